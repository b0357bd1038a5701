"""pulumi.runtime's names the generated SDK uses at import, as no-ops."""

registered_modules = []
registered_packages = []


class ResourceModule:
    pass


class ResourcePackage:
    pass


def register_resource_module(pkg, mod, module):
    registered_modules.append((pkg, mod))


def register_resource_package(pkg, package):
    registered_packages.append(pkg)


def call(*args, **kwargs):
    raise NotImplementedError("the pulumi stand-in has no engine to call")


def plain(*args, **kwargs):
    raise NotImplementedError("the pulumi stand-in has no engine to call")
