"""The dev stack (Pulumi.dev.yaml) in Python: a small Graviton instance
serving nginx's default site on port 80, with port 443 open too, reached for
administration through Session Manager, and an 8 GiB data volume at
/srv/data that outlives every instance.

`pulumi package add ../../cmd/pulumi-resource-selfhealing` builds the
provider from source and installs this SDK (sdk/python in the repository).
"""

import pulumi
import selfhealing_dev_selfhealing as selfhealing

USER_SCRIPT = """#!/bin/bash
set -euo pipefail
dnf install -y nginx
systemctl enable --now nginx
"""

web = selfhealing.SelfHealingInstance(
    "web",
    instance_type="t4g.small",
    ingress=[
        selfhealing.IngressRuleArgs(
            description="HTTP from anywhere", protocol="tcp", from_port=80, to_port=80,
            cidr_blocks=["0.0.0.0/0", "::/0"],
        ),
        selfhealing.IngressRuleArgs(
            description="HTTPS from anywhere", protocol="tcp", from_port=443, to_port=443,
            cidr_blocks=["0.0.0.0/0", "::/0"],
        ),
    ],
    metadata_hop_limit=1,
    tags={"environment": "dev", "owner": "platform-team"},
    user_script=USER_SCRIPT,
    data_volume=selfhealing.DataVolumeArgs(size_gi_b=8, mount_path="/srv/data"),
)

pulumi.export("publicIp", web.public_ip)
pulumi.export("url", web.url)
pulumi.export("dataVolumeId", web.data_volume_id)
