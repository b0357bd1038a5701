"""Imports the installed selfhealing_dev_selfhealing with the pulumi
stand-in on PYTHONPATH, constructs a SelfHealingInstance and prints, as one
JSON line, what the stand-in's ComponentResource was given and where the
package was loaded from."""

import importlib.metadata
import json
import pathlib

import pulumi
import selfhealing_dev_selfhealing as selfhealing

web = selfhealing.SelfHealingInstance(
    "web",
    instance_type="t4g.small",
    metadata_hop_limit=2,
    subnet_ids=["subnet-0123456789abcdef0"],
    data_volume=selfhealing.DataVolumeArgs(size_gi_b=8),
)


def plain(value):
    if hasattr(value, "__dict__"):
        return {k: plain(v) for k, v in vars(value).items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


package_dir = pathlib.Path(selfhealing.__file__).parent
print(json.dumps({
    "registered": [
        {"type": r["type"], "name": r["name"], "remote": r["remote"],
         "version": r["opts"].version, "props": plain(r["props"])}
        for r in pulumi.registrations
    ],
    "resourceModules": [list(m) for m in pulumi.runtime.registered_modules],
    "distributionVersion": importlib.metadata.version("selfhealing_dev_selfhealing"),
    "packageDir": str(package_dir),
    "packageData": sorted(p.name for p in package_dir.iterdir() if p.suffix in (".json", ".typed")),
}))
