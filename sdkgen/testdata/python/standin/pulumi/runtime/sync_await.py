def _sync_await(awaitable):
    raise NotImplementedError("the pulumi stand-in has no event loop")
