package components_test

import (
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The boot script completes the launch gate the group has, by the group's
// name, or without one reports a failed boot to the group; and it runs the
// health check the args describe, with every default filled in.
func TestBootParamsCarryTheGateAndTheHealthCheck(t *testing.T) {
	const group = "proj-stack-web"
	for _, tc := range []struct {
		name       string
		args       components.SelfHealingInstanceArgs
		wantGate   *userdata.LaunchGateParams
		wantHealth *userdata.HealthCheckParams
	}{
		{
			name:     "defaults: the gate, no check; a failed later boot reports the instance",
			wantGate: &userdata.LaunchGateParams{HookName: components.LaunchGateHookName, TimeoutSeconds: 600},
		},
		{
			name:     "gate timeout and a URL check",
			args:     components.SelfHealingInstanceArgs{LaunchGateTimeoutSeconds: pulumi.IntRef(900), AppHealthCheck: &components.AppHealthCheck{URL: pulumi.String("http://localhost:8080/healthz")}},
			wantGate: &userdata.LaunchGateParams{HookName: components.LaunchGateHookName, TimeoutSeconds: 900},
			wantHealth: &userdata.HealthCheckParams{URL: "http://localhost:8080/healthz", ExpectedStatus: 200,
				IntervalSeconds: 15, TimeoutSeconds: 5, FailureThreshold: 3},
		},
		{
			name: "no gate: a failed boot reports the instance to its group",
			args: components.SelfHealingInstanceArgs{LaunchGate: pulumi.BoolRef(false)},
		},
		{
			name: "no gate, a command check",
			args: components.SelfHealingInstanceArgs{LaunchGate: pulumi.BoolRef(false),
				AppHealthCheck: &components.AppHealthCheck{Command: pulumi.String("systemctl is-active --quiet app"), IntervalSeconds: pulumi.IntRef(30), TimeoutSeconds: pulumi.IntRef(10), FailureThreshold: pulumi.IntRef(5)}},
			wantHealth: &userdata.HealthCheckParams{Command: "systemctl is-active --quiet app", IntervalSeconds: 30, TimeoutSeconds: 10, FailureThreshold: 5},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := components.BootParamsInGroup(tc.args, group, "eipalloc-0123456789abcdef0", "")
			if !reflect.DeepEqual(p.LaunchGate, tc.wantGate) {
				t.Errorf("LaunchGate = %+v, want %+v", p.LaunchGate, tc.wantGate)
			}
			if p.GroupName != group {
				t.Errorf("GroupName = %q, want %q: a failed boot reports the instance to its group", p.GroupName, group)
			}
			if !reflect.DeepEqual(p.HealthCheck, tc.wantHealth) {
				t.Errorf("HealthCheck = %+v, want %+v", p.HealthCheck, tc.wantHealth)
			}
			if _, err := userdata.Render(p); err != nil {
				t.Errorf("the boot script does not render with them: %v", err)
			}
		})
	}
}
