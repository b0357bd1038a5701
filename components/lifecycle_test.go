package components_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// groupARN is the test group's ARN as IAM policies name it.
const groupARN = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/proj-test-bastion"

func TestLaunchGateHoldsEveryInstanceUntilReady(t *testing.T) {
	for _, tc := range []struct {
		name        string
		args        *components.SelfHealingInstanceArgs
		wantTimeout float64
		wantWait    string
	}{
		{"default", nil, 600, "900s"},
		{"configured timeout", &components.SelfHealingInstanceArgs{LaunchGateTimeoutSeconds: pulumi.IntRef(1800)}, 1800, "2100s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			group := mustDeploy(t, tc.args).Group()
			hooks, _ := group["initialLifecycleHooks"].([]any)
			if len(hooks) != 1 {
				t.Fatalf("initialLifecycleHooks = %v, want exactly the launch gate", group["initialLifecycleHooks"])
			}
			want := map[string]any{
				"name":                components.LaunchGateHookName,
				"lifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
				"defaultResult":       "ABANDON",
				"heartbeatTimeout":    tc.wantTimeout,
			}
			for field, value := range want {
				if got := path(hooks, 0, field); got != value {
					t.Errorf("hook %s = %v, want %v", field, got, value)
				}
			}
			if n := len(hooks[0].(map[string]any)); n != len(want) {
				t.Errorf("hook = %v, want only %v (no notification target, no role)", hooks[0], want)
			}
			if got := group["waitForCapacityTimeout"]; got != tc.wantWait {
				t.Errorf("waitForCapacityTimeout = %v, want %s", got, tc.wantWait)
			}
		})
	}
	if components.LaunchGateHookName != "selfhealing-launch-gate" {
		t.Errorf("LaunchGateHookName = %q; the boot script is given this name, so changing it is a breaking change", components.LaunchGateHookName)
	}
}

func TestWithoutTheLaunchGateThereIsNoHookAndNoPermission(t *testing.T) {
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{LaunchGate: pulumi.BoolRef(false)})
	group := d.Group()
	if hooks, ok := group["initialLifecycleHooks"]; ok && len(hooks.([]any)) > 0 {
		t.Errorf("initialLifecycleHooks = %v, want none", hooks)
	}
	if got := group["waitForCapacityTimeout"]; got != "10m" {
		t.Errorf("waitForCapacityTimeout = %v, want the provider's default 10m", got)
	}
	for _, st := range d.RolePolicy().Statement {
		for _, action := range st.Action {
			if action == "autoscaling:CompleteLifecycleAction" || action == "autoscaling:RecordLifecycleActionHeartbeat" {
				t.Errorf("statement %s allows %s without a launch gate", st.Sid, action)
			}
		}
	}
}

// Without the gate nothing abandons a failed boot: the boot script marks
// its instance Unhealthy instead, which it may do in its own group only.
func TestWithoutTheLaunchGateAFailedBootMayMarkItselfUnhealthy(t *testing.T) {
	doc := mustDeploy(t, &components.SelfHealingInstanceArgs{LaunchGate: pulumi.BoolRef(false)}).RolePolicy()
	var found []policy.Statement
	for _, st := range doc.Statement {
		if slices.Contains(st.Action, "autoscaling:SetInstanceHealth") {
			found = append(found, st)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d statements allow autoscaling:SetInstanceHealth, want 1: %+v", len(found), doc.Statement)
	}
	if st := found[0]; st.Effect != "Allow" || !slices.Equal(st.Action, []string{"autoscaling:SetInstanceHealth"}) ||
		!slices.Equal(st.Resource, []string{groupARN}) || st.Condition != nil {
		t.Errorf("statement = %+v, want SetInstanceHealth alone on %s only", st, groupARN)
	}
}

func TestCapacityWaitCoversTheHookTimeout(t *testing.T) {
	for _, timeout := range []int{components.MinLaunchGateTimeoutSeconds, 600, components.MaxLaunchGateTimeoutSeconds} {
		text := components.CapacityWaitTimeout(true, timeout)
		wait, err := time.ParseDuration(text)
		if err != nil {
			t.Fatalf("CapacityWaitTimeout(true, %d) = %q, which the provider cannot parse: %v", timeout, text, err)
		}
		hook := time.Duration(timeout) * time.Second
		// The instance must launch before the hook's clock starts, and move
		// InService after it ends: the wait must exceed the hook by a margin.
		if wait < hook+5*time.Minute {
			t.Errorf("hook timeout %v: capacity wait %v leaves less than 5 minutes for launch and InService", hook, wait)
		}
	}
	if got := components.CapacityWaitTimeout(false, 600); got != "10m" {
		t.Errorf("CapacityWaitTimeout(false) = %q, want the provider's default 10m", got)
	}
}

func TestLaunchGatePermissionIsThisGroupsAlone(t *testing.T) {
	doc := mustDeploy(t, nil).RolePolicy()
	var found []policy.Statement
	for _, st := range doc.Statement {
		if slices.Contains(st.Action, "autoscaling:CompleteLifecycleAction") {
			found = append(found, st)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d statements allow autoscaling:CompleteLifecycleAction, want 1: %+v", len(found), doc.Statement)
	}
	st := found[0]
	if st.Effect != "Allow" ||
		!slices.Equal(st.Action, []string{"autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"}) ||
		!slices.Equal(st.Resource, []string{groupARN}) {
		t.Errorf("launch gate statement = %+v, want both lifecycle actions on %s only", st, groupARN)
	}
	for _, st := range doc.Statement {
		if slices.Contains(st.Action, "autoscaling:DescribeAutoScalingInstances") {
			t.Errorf("statement %s allows DescribeAutoScalingInstances, which needs * and the boot script does not need", st.Sid)
		}
	}
}

func TestLaunchGateParamsForTheBootScript(t *testing.T) {
	got := components.BootParamsInGroup(components.SelfHealingInstanceArgs{LaunchGateTimeoutSeconds: pulumi.IntRef(900)}, "p-s-web", "eipalloc-0123456789abcdef0", "").LaunchGate
	want := userdata.LaunchGateParams{HookName: components.LaunchGateHookName, TimeoutSeconds: 900}
	if got == nil || *got != want {
		t.Errorf("LaunchGateParams = %+v, want %+v", got, want)
	}
	if got := components.BootParamsInGroup(components.SelfHealingInstanceArgs{}, "g", "eipalloc-0123456789abcdef0", "").LaunchGate; got == nil || got.TimeoutSeconds != components.DefaultLaunchGateTimeoutSeconds {
		t.Errorf("default LaunchGateParams = %+v, want the default timeout", got)
	}
	if got := components.BootParamsInGroup(components.SelfHealingInstanceArgs{LaunchGate: pulumi.BoolRef(false)}, "g", "eipalloc-0123456789abcdef0", "").LaunchGate; got != nil {
		t.Errorf("LaunchGateParams with the gate off = %+v, want nil", got)
	}
}
