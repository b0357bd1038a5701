package userdata_test

import (
	"testing"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestStacksUserDataLeavesRoomForMore reports the user data of the
// repository's two example stacks, as README's limits give them: the dev
// stack (Pulumi.dev.yaml: launch gate, failure report, data volume and its
// user script) and every option on (Pulumi.full.yaml's features), with the
// dev stack's user script, and the agent publishing memory and both
// disks for the alarms.
func TestStacksUserDataLeavesRoomForMore(t *testing.T) {
	dev := userdata.Params{
		AllocationID: "eipalloc-0123456789abcdef0",
		UserScript:   "#!/bin/bash\nset -euo pipefail\ndnf install -y nginx\nsystemctl enable --now nginx\n",
		GroupName:    "selfhealing-dev-web-asg",
		LaunchGate:   &userdata.LaunchGateParams{HookName: "selfhealing-launch-gate", TimeoutSeconds: 600},
		DataVolume: &userdata.DataVolumeParams{VolumeID: "vol-0123456789abcdef0", DeviceName: "/dev/sdf", MountPath: "/srv/data",
			FSType: "ext4", WaitSeconds: 300, ForceDetach: true, MayFormat: true},
		Handover: &userdata.HandoverParams{HookName: "selfhealing-handover", StopTimeoutSeconds: 60},
	}
	full := dev
	full.HealthCheck = &userdata.HealthCheckParams{URL: "http://localhost:8080/", ExpectedStatus: 200, IntervalSeconds: 20, TimeoutSeconds: 5, FailureThreshold: 3}
	full.Parameters = &userdata.ParametersParams{Path: "/selfhealing/full/web"}
	full.Logs = &userdata.LogsParams{LogGroupName: "/selfhealing/full/web", ExtraFiles: []string{"/var/log/nginx/access.log", "/var/log/nginx/error.log"}}
	full.AgentMetrics = &userdata.AgentMetricsParams{DiskPaths: []string{"/", "/srv/data"}, Memory: true}
	full.HTTPS = &userdata.HTTPSParams{DomainName: "app.example.com", Email: "ops@example.com", AppPort: 8080, CertDir: "/data/.selfhealing/tls"}
	for _, tc := range []struct {
		name string
		p    userdata.Params
	}{{"the dev stack", dev}, {"every option, with the dev stack's user script", full}} {
		plain, err := userdata.Render(tc.p)
		if err != nil {
			t.Fatal(err)
		}
		size := compressedLen(t, tc.p)
		t.Logf("REPORT user data of %s: %d bytes plain, %d bytes gzip-compressed; %d of EC2's %d bytes left",
			tc.name, len(plain), size, userdata.MaxBytes-size, userdata.MaxBytes)
	}
}
