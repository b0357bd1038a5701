package tests

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func loadFull(t *testing.T) *stackconfig.Stack {
	t.Helper()
	cfg, err := stackconfig.Load(repoRoot, "full")
	if err != nil {
		t.Fatalf("loading the full stack: %v", err)
	}
	return cfg
}

func TestFullStackTurnsEveryHealingFeatureOn(t *testing.T) {
	monitor, err := runProgram(t, loadFull(t), nil)
	if err != nil {
		t.Fatalf("the program failed on the full stack: %v", err)
	}
	group := only(t, monitor, "aws:autoscaling/group:Group")

	hook := group["initialLifecycleHooks"].([]any)[0].(map[string]any)
	if hook["name"] != components.LaunchGateHookName || hook["heartbeatTimeout"] != 900.0 || hook["defaultResult"] != "ABANDON" {
		t.Errorf("launch gate = %v, want %s, 900 s, ABANDON", hook, components.LaunchGateHookName)
	}
	if group["waitForCapacityTimeout"] != "1200s" {
		t.Errorf("waitForCapacityTimeout = %v, want 1200s (900 s hook + 300 s)", group["waitForCapacityTimeout"])
	}
	if refresh, ok := group["instanceRefresh"].(map[string]any); !ok || refresh["strategy"] != "Rolling" {
		t.Errorf("instanceRefresh = %v, want Rolling", group["instanceRefresh"])
	}
	if _, ok := group["launchTemplate"]; ok {
		t.Errorf("a Spot group sets launchTemplate beside mixedInstancesPolicy")
	}
	var types []string
	policy := group["mixedInstancesPolicy"].(map[string]any)
	for _, o := range policy["launchTemplate"].(map[string]any)["overrides"].([]any) {
		types = append(types, o.(map[string]any)["instanceType"].(string))
	}
	if !slices.Equal(types, []string{"t4g.small", "t4g.medium", "m7g.medium", "c7g.medium"}) {
		t.Errorf("Spot instance types = %v", types)
	}
	// With the data volume a rebalance launches first and the old
	// instance hands the volume over, as a rollout does.
	if group["capacityRebalance"] != true {
		t.Errorf("capacityRebalance = %v, want true", group["capacityRebalance"])
	}
	// The data volume pins Spot to one zone's subnet; the features combine.
	only(t, monitor, "aws:ebs/volume:Volume")
	if subnets := group["vpcZoneIdentifiers"].([]any); len(subnets) != 1 {
		t.Errorf("vpcZoneIdentifiers = %v, want the data volume's one zone", subnets)
	}

	doc := only(t, monitor, "aws:iam/rolePolicy:RolePolicy")["policy"].(string)
	want := "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/selfhealing-full-instance"
	for _, action := range []string{"autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"} {
		if !strings.Contains(doc, action) {
			t.Errorf("the instance policy lacks %s", action)
		}
	}
	if strings.Count(doc, want) != 3 {
		t.Errorf("the instance policy names the group %d times, want 3 (launch gate, the data volume's hand-over, health):\n%s", strings.Count(doc, want), doc)
	}
}

func TestFullStackWithAWarmPoolInsteadOfSpot(t *testing.T) {
	monitor, err := runProgram(t, loadFull(t), map[string]string{
		"selfhealing:spot": "false", "selfhealing:spotInstanceTypes": "[]", "selfhealing:warmPool": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	group := only(t, monitor, "aws:autoscaling/group:Group")
	pool, _ := group["warmPool"].(map[string]any)
	if pool["poolState"] != "Stopped" || pool["minSize"] != 1.0 {
		t.Errorf("warmPool = %v, want one stopped instance", group["warmPool"])
	}
	if _, ok := group["mixedInstancesPolicy"]; ok {
		t.Errorf("mixedInstancesPolicy is set with spot false")
	}
}

func TestFullStackSynthesizes(t *testing.T) {
	report, err := synth.Run(repoRoot, "full")
	if err != nil {
		t.Fatal(err)
	}
	if report.Outputs["autoScalingGroupName"] != "selfhealing-full-instance" {
		t.Errorf("autoScalingGroupName = %v", report.Outputs["autoScalingGroupName"])
	}
}

func TestDefaultsGateAndRefreshButAddNothingElse(t *testing.T) {
	monitor, err := runProgram(t, loadDev(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	group := only(t, monitor, "aws:autoscaling/group:Group")
	if hooks, _ := group["initialLifecycleHooks"].([]any); len(hooks) != 1 || group["waitForCapacityTimeout"] != "900s" {
		t.Errorf("dev stack: hooks %v, wait %v; want the launch gate by default, 600 s + 300 s", group["initialLifecycleHooks"], group["waitForCapacityTimeout"])
	}
	if group["instanceRefresh"] == nil {
		t.Errorf("dev stack: no instanceRefresh; want it by default")
	}
	for _, field := range []string{"mixedInstancesPolicy", "warmPool"} {
		if v, ok := group[field]; ok {
			t.Errorf("dev stack sets %s = %v", field, v)
		}
	}
	if doc := only(t, monitor, "aws:iam/rolePolicy:RolePolicy")["policy"].(string); !strings.Contains(doc, "SetInstanceHealth") {
		t.Errorf("dev stack: the policy does not allow SetInstanceHealth, which a failed later boot needs to get its instance replaced")
	}

	monitor, err = runProgram(t, loadDev(t), map[string]string{"selfhealing:launchGate": "false", "selfhealing:instanceRefresh": "false"})
	if err != nil {
		t.Fatal(err)
	}
	group = only(t, monitor, "aws:autoscaling/group:Group")
	for _, field := range []string{"initialLifecycleHooks", "instanceRefresh"} {
		if v, ok := group[field]; ok && v != nil {
			t.Errorf("turned off, yet %s = %v", field, v)
		}
	}
}

func TestBadHealingConfigurationNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		overrides map[string]string
		want      []string
	}{
		{map[string]string{"selfhealing:launchGate": "maybe"}, []string{"selfhealing:launchGate", "true or false"}},
		{map[string]string{"selfhealing:launchGateTimeoutSeconds": "0"}, []string{"launchGateTimeoutSeconds 0: want 30 to 7200"}},
		{map[string]string{"selfhealing:launchGateTimeoutSeconds": "10"}, []string{"launchGateTimeoutSeconds", "10", "30 to 7200"}},
		{map[string]string{"selfhealing:launchGate": "false", "selfhealing:launchGateTimeoutSeconds": "900"}, []string{"launchGateTimeoutSeconds 900", "launchGate false turns off"}},
		{map[string]string{"selfhealing:appHealthCheck": `{"uri":"http://localhost/"}`}, []string{"selfhealing:appHealthCheck", `unknown field "uri"`}},
		{map[string]string{"selfhealing:appHealthCheck": `{"command":"true","intervalSeconds":0}`}, []string{"appHealthCheck.intervalSeconds 0", "leave it unset for the default"}},
		{map[string]string{"selfhealing:appHealthCheck": `{"command":"true","failureThreshold":"three"}`}, []string{"selfhealing:appHealthCheck", "want a whole number"}},
		{map[string]string{"selfhealing:appHealthCheck": `{"url":"http://example.com/"}`}, []string{"appHealthCheck.url", "localhost"}},
		{map[string]string{"selfhealing:spot": "true", "selfhealing:warmPool": "true"}, []string{"warmPool and spot"}},
		{map[string]string{"selfhealing:spotInstanceTypes": `"t4g.medium"`}, []string{"selfhealing:spotInstanceTypes", "want "}},
		{map[string]string{"selfhealing:spot": "true", "selfhealing:spotInstanceTypes": `["c7i.large"]`}, []string{"spotInstanceTypes[0]", "c7i.large", "arm64"}},
	} {
		t.Run(strings.Join(slices.Sorted(mapKeysValues(tc.overrides)), ","), func(t *testing.T) {
			requireRejected(t, loadDev(t), tc.overrides, tc.want...)
		})
	}
}

func TestWithoutGateOrHealthCheckAFailedBootIsTheOnlyHealthReport(t *testing.T) {
	requireRejected(t, loadDev(t), map[string]string{"selfhealing:appHealthCheck": "{}"}, "appHealthCheck.url/command: both empty")
	monitor, err := runProgram(t, loadDev(t), map[string]string{"selfhealing:launchGate": "false"})
	if err != nil {
		t.Fatal(err)
	}
	script, err := userdata.Decode(only(t, monitor, "aws:ec2/launchTemplate:LaunchTemplate")["userData"].(string))
	if err != nil || !strings.Contains(script, "readonly with_health_check=0") {
		t.Errorf("the dev stack installed a health check (err %v)", err)
	}
	// Without the gate a failed boot marks the instance Unhealthy; the
	// data volume's hand-over completes its termination hook and asks the
	// group who holds the volume: those autoscaling actions, and no other.
	text := only(t, monitor, "aws:iam/rolePolicy:RolePolicy")["policy"].(string)
	var doc policy.Document
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("the policy is not JSON: %v\n%s", err, text)
	}
	var actions []string
	for _, st := range doc.Statement {
		for _, action := range st.Action {
			if strings.HasPrefix(action, "autoscaling:") {
				actions = append(actions, action)
			}
		}
	}
	if want := []string{"autoscaling:CompleteLifecycleAction", "autoscaling:DescribeAutoScalingInstances", "autoscaling:SetInstanceHealth"}; !slices.Equal(actions, want) {
		t.Errorf("no gate and no health check: autoscaling actions %v, want %v (the hand-over's, and the failed boot's SetInstanceHealth):\n%s", actions, want, text)
	}
}

func mapKeysValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k, v := range m {
			if !yield(strings.TrimPrefix(k, "selfhealing:") + "=" + v) {
				return
			}
		}
	}
}
