"""A stand-in for the pulumi package, for sdkgen's tests on machines where
the real one cannot be installed (PyPI is out of reach there). It is not
Pulumi: it has just enough of pulumi's API for the generated SDK to import,
and its ComponentResource records what it is given instead of registering
it with an engine (see `registrations`). Outputs are not modelled.
"""

import sys
import typing

from . import runtime  # noqa: F401  (pulumi.runtime, as the SDK imports it)

T = typing.TypeVar("T")

# What ComponentResource and ProviderResource were constructed with, in
# order: dicts of type, name, props, opts and remote.
registrations = []


class Output(typing.Generic[T]):
    """Only a name here: the stand-in resolves nothing."""

    @staticmethod
    def from_input(value):
        return value


Input = typing.Union[T, typing.Awaitable[T], Output[T]]
Inputs = typing.Mapping[str, typing.Any]


class _Options:
    _fields = ("id", "urn", "parent", "version", "plugin_download_url", "provider", "providers")

    def __init__(self, **kwargs):
        for f in self._fields:
            setattr(self, f, None)
        for k, v in kwargs.items():
            setattr(self, k, v)

    @classmethod
    def merge(cls, first, second):
        merged = cls(**vars(first)) if first is not None else cls()
        if second is not None:
            for k, v in vars(second).items():
                if v is not None:
                    setattr(merged, k, v)
        return merged


class ResourceOptions(_Options):
    pass


class InvokeOptions(_Options):
    pass


class Resource:
    def __init__(self, t, name, props=None, opts=None, remote=False, **_):
        registrations.append({"type": t, "name": name, "props": props, "opts": opts, "remote": remote})


class ComponentResource(Resource):
    pass


class ProviderResource(Resource):
    def __init__(self, pkg, name, props=None, opts=None, **kwargs):
        super().__init__("pulumi:providers:" + pkg, name, props, opts, **kwargs)


def input_type(cls):
    return cls


def output_type(cls):
    return cls


def type_token(token):
    def decorate(cls):
        cls.pulumi_type = token
        return cls

    return decorate


def getter(_fn=None, *, name=None):
    if _fn is not None:
        return _fn
    return lambda fn: fn


def set(obj, name, value):  # noqa: A001  (pulumi's own name)
    obj.__dict__[name] = value


def get(obj, name):
    return obj.__dict__.get(name)


def warn(msg, *args, **kwargs):
    print("warning:", msg, file=sys.stderr)
