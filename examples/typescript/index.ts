// The dev stack (Pulumi.dev.yaml) in TypeScript: a small Graviton instance
// serving nginx's default site on port 80, with port 443 open too, reached
// for administration through Session Manager, and an 8 GiB data volume at
// /srv/data that outlives every instance.
//
// `pulumi package add ../../cmd/pulumi-resource-selfhealing` builds the
// provider from source and installs this SDK; the repository's tests check
// this file against the committed sdk/nodejs.
import * as selfhealing from "@selfhealing-dev/selfhealing";

const web = new selfhealing.SelfHealingInstance("web", {
    instanceType: "t4g.small",
    ingress: [
        { description: "HTTP from anywhere", protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0", "::/0"] },
        { description: "HTTPS from anywhere", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0", "::/0"] },
    ],
    metadataHopLimit: 1,
    tags: { environment: "dev", owner: "platform-team" },
    userScript: `#!/bin/bash
set -euo pipefail
dnf install -y nginx
systemctl enable --now nginx
`,
    dataVolume: { sizeGiB: 8, mountPath: "/srv/data" },
});

export const publicIp = web.publicIp;
export const url = web.url;
export const dataVolumeId = web.dataVolumeId;
