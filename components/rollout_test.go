package components_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestTemplateChangesRollOut(t *testing.T) {
	group := mustDeploy(t, nil).Group()
	refresh, ok := group["instanceRefresh"].(map[string]any)
	if !ok {
		t.Fatalf("instanceRefresh = %v, want it on by default", group["instanceRefresh"])
	}
	if refresh["strategy"] != "Rolling" {
		t.Errorf("instanceRefresh.strategy = %v, want Rolling", refresh["strategy"])
	}
	// Triggers stay unset: the provider always refreshes on a change of
	// launchTemplate or mixedInstancesPolicy, which is what we want.
	if triggers, ok := refresh["triggers"]; ok && len(triggers.([]any)) > 0 {
		t.Errorf("instanceRefresh.triggers = %v, want none beyond the provider's own", triggers)
	}
	// The healthy percentages are the replacement rule's:
	// TestGroupLaunchesFirstWhenOnlyTheAddressMoves.
	want := map[string]any{
		"minHealthyPercentage": 100.0,
		"maxHealthyPercentage": 200.0,
		"instanceWarmup":       "0",
		"skipMatching":         true,
	}
	prefs, _ := refresh["preferences"].(map[string]any)
	for field, value := range want {
		if got := prefs[field]; got != value {
			t.Errorf("instanceRefresh.preferences.%s = %v, want %v", field, got, value)
		}
	}
	if len(prefs) != len(want) {
		t.Errorf("instanceRefresh.preferences = %v, want exactly %v (autoRollback stays off)", prefs, want)
	}

	off := mustDeploy(t, &components.SelfHealingInstanceArgs{InstanceRefresh: pulumi.BoolRef(false)}).Group()
	if v, ok := off["instanceRefresh"]; ok && v != nil {
		t.Errorf("InstanceRefresh false: instanceRefresh = %v, want unset", v)
	}
}

func TestOnDemandGroupHasNoSpotOrWarmPool(t *testing.T) {
	group := mustDeploy(t, nil).Group()
	for _, field := range []string{"mixedInstancesPolicy", "warmPool", "capacityRebalance"} {
		if v, ok := group[field]; ok && v != nil {
			t.Errorf("default group sets %s = %v", field, v)
		}
	}
}

func TestSpotIsAMixedInstancesPolicyOfSpotOnly(t *testing.T) {
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{
		InstanceType: "t3.small", Spot: true, SpotInstanceTypes: []string{"t3a.small", "m5.large"},
	})
	lt := d.One("aws:ec2/launchTemplate:LaunchTemplate")
	group := d.Group()
	if v, ok := group["launchTemplate"]; ok && v != nil {
		t.Errorf("group sets launchTemplate = %v beside mixedInstancesPolicy; AWS takes one or the other", v)
	}
	policy, ok := group["mixedInstancesPolicy"].(map[string]any)
	if !ok {
		t.Fatalf("mixedInstancesPolicy = %v", group["mixedInstancesPolicy"])
	}
	dist := map[string]any{
		"onDemandBaseCapacity":                0.0,
		"onDemandPercentageAboveBaseCapacity": 0.0,
		"spotAllocationStrategy":              "capacity-optimized",
	}
	for field, value := range dist {
		if got := path(policy, "instancesDistribution", field); got != value {
			t.Errorf("instancesDistribution.%s = %v, want %v", field, got, value)
		}
	}
	if n := len(path(policy, "instancesDistribution").(map[string]any)); n != len(dist) {
		t.Errorf("instancesDistribution = %v, want exactly %v (no max price: pay at most On-Demand)", path(policy, "instancesDistribution"), dist)
	}
	spec := path(policy, "launchTemplate", "launchTemplateSpecification")
	if path(spec, "launchTemplateId") != lt.ID || path(spec, "version") != "1" {
		t.Errorf("launchTemplateSpecification = %v, want %s at its latestVersion \"1\"", spec, lt.ID)
	}
	var types []string
	for _, o := range path(policy, "launchTemplate", "overrides").([]any) {
		types = append(types, path(o, "instanceType").(string))
		if len(o.(map[string]any)) != 1 {
			t.Errorf("override %v: want only an instance type", o)
		}
	}
	if !slices.Equal(types, []string{"t3.small", "t3a.small", "m5.large"}) {
		t.Errorf("overrides = %v, want instanceType first, then spotInstanceTypes", types)
	}
	// capacityRebalance: TestGroupLaunchesFirstWhenOnlyTheAddressMoves.
	if got := d.LaunchTemplate()["instanceType"]; got != "t3.small" {
		t.Errorf("launch template instanceType = %v, want instanceType t3.small", got)
	}
}

func TestSpotWithInstanceTypeAlone(t *testing.T) {
	group := mustDeploy(t, &components.SelfHealingInstanceArgs{InstanceType: "t4g.small", Spot: true}).Group()
	overrides, _ := path(group, "mixedInstancesPolicy", "launchTemplate", "overrides").([]any)
	if len(overrides) != 1 || path(overrides, 0, "instanceType") != "t4g.small" {
		t.Errorf("overrides = %v, want [t4g.small]", overrides)
	}
}

func TestWarmPoolKeepsOneStoppedInstance(t *testing.T) {
	group := mustDeploy(t, &components.SelfHealingInstanceArgs{WarmPool: true}).Group()
	pool, ok := group["warmPool"].(map[string]any)
	if !ok {
		t.Fatalf("warmPool = %v", group["warmPool"])
	}
	// MinSize must be set: the pool's size defaults to max - desired = 0.
	if pool["poolState"] != "Stopped" || pool["minSize"] != 1.0 || len(pool) != 2 {
		t.Errorf("warmPool = %v, want exactly poolState Stopped and minSize 1", pool)
	}
	if v, ok := group["launchTemplate"].(map[string]any); !ok || v["version"] != "1" {
		t.Errorf("warm pool group launchTemplate = %v, want the template at its latest version", group["launchTemplate"])
	}
}

// bootScript returns the boot script d's launch template holds.
func bootScript(t *testing.T, d *deployment) string {
	t.Helper()
	script, err := userdata.Decode(reveal(d.One(typeLaunchTemplate).Inputs["userData"]))
	if err != nil {
		t.Fatalf("userData: %v", err)
	}
	return script
}

func TestWarmPoolStateRunningKeepsTheInstanceRunningAndWatched(t *testing.T) {
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{WarmPool: true, WarmPoolState: "Running"})
	pool, _ := d.Group()["warmPool"].(map[string]any)
	if pool["poolState"] != "Running" || pool["minSize"] != 1.0 {
		t.Errorf("warmPool = %v, want poolState Running and minSize 1", pool)
	}
	// Nothing starts a running instance again: the boot script carries
	// the watcher that runs it when the group takes the instance.
	if script := bootScript(t, d); !strings.Contains(script, "with_warm_watch=1") {
		t.Errorf("the boot script has no warm-pool watcher")
	}
	if script := bootScript(t, mustDeploy(t, &components.SelfHealingInstanceArgs{WarmPool: true})); !strings.Contains(script, "with_warm_watch=0") {
		t.Errorf("a stopped warm pool's boot script carries the watcher, which it never needs")
	}
}

// Every autoscaling permission is scoped to the group's own ARN. This fails
// if any of them is ever widened, to "*" or to another group.
func TestNoAutoScalingPermissionIsWidened(t *testing.T) {
	doc := mustDeploy(t, &components.SelfHealingInstanceArgs{
		AppHealthCheck: &components.AppHealthCheck{Command: pulumi.String("true")},
	}).RolePolicy()
	actions := map[string]bool{}
	for _, st := range doc.Statement {
		for _, action := range st.Action {
			if !strings.HasPrefix(action, "autoscaling:") {
				continue
			}
			actions[action] = true
			if !slices.Equal(st.Resource, []string{groupARN}) {
				t.Errorf("%s is allowed on %v, want only %s", action, st.Resource, groupARN)
			}
		}
		if slices.Contains(st.Resource, "*") && !slices.Equal(st.Action, []string{"ec2:DescribeAddresses"}) && !slices.Equal(st.Action, policy.SessionManagerActions) {
			t.Errorf("statement %s allows %v on *; only ec2:DescribeAddresses and Session Manager's actions may be", st.Sid, st.Action)
		}
	}
	for _, want := range []string{"autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat", "autoscaling:SetInstanceHealth"} {
		if !actions[want] {
			t.Errorf("%s is not allowed; the boot script will need it", want)
		}
	}
	if len(actions) != 3 {
		t.Errorf("autoscaling actions = %v, want exactly the three the boot script needs", actions)
	}

	// The pure policy function scopes the group in every partition.
	for _, s := range []policy.Scope{
		{Partition: "aws-cn", Region: "cn-north-1", AccountID: "111122223333", AllocationID: "eipalloc-1", AutoScalingGroupName: "p-s-c", LaunchGate: true},
		{Partition: "aws-us-gov", Region: "us-gov-west-1", AccountID: "111122223333", AllocationID: "eipalloc-1", AutoScalingGroupName: "p-s-c", LaunchGate: true},
	} {
		want := "arn:" + s.Partition + ":autoscaling:" + s.Region + ":111122223333:autoScalingGroup:*:autoScalingGroupName/p-s-c"
		for _, st := range policy.Instance(s).Statement {
			if strings.HasPrefix(st.Action[0], "autoscaling:") && !slices.Equal(st.Resource, []string{want}) {
				t.Errorf("%s: %v on %v, want %s", s.Partition, st.Action, st.Resource, want)
			}
		}
	}
}

func TestCombinationsThatCannotWorkAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		args components.SelfHealingInstanceArgs
		want []string
	}{
		{"warm pool with spot", components.SelfHealingInstanceArgs{Spot: true, WarmPool: true}, []string{"warmPool and spot", "does not allow", "turn one of them off"}},
		{"warm pool state without a warm pool", components.SelfHealingInstanceArgs{WarmPoolState: "Running"}, []string{"warmPoolState", "only with warmPool", "set warmPool to true"}},
		{"warm pool state AWS has but we do not", components.SelfHealingInstanceArgs{WarmPool: true, WarmPoolState: "Hibernated"}, []string{"warmPoolState", `"Hibernated"`, "Stopped (the default) or Running"}},
		{"spot types without spot", components.SelfHealingInstanceArgs{SpotInstanceTypes: []string{"t3a.micro"}}, []string{"spotInstanceTypes", "t3a.micro", "set spot to true"}},
		{"malformed spot type", components.SelfHealingInstanceArgs{Spot: true, SpotInstanceTypes: []string{"big"}}, []string{"spotInstanceTypes[0]", `"big"`, "t3.small"}},
		{"spot type twice", components.SelfHealingInstanceArgs{Spot: true, SpotInstanceTypes: []string{"t3a.micro", "t3a.micro"}}, []string{"spotInstanceTypes[1]", "twice"}},
		{"instance type again", components.SelfHealingInstanceArgs{Spot: true, SpotInstanceTypes: []string{"t3.micro"}}, []string{"spotInstanceTypes[0]", `"t3.micro"`, "is instanceType"}},
		{"too many spot types", components.SelfHealingInstanceArgs{Spot: true, SpotInstanceTypes: manyTypes(40)}, []string{"spotInstanceTypes", "40 types", "at most 39"}},
		{"gate timeout too short", components.SelfHealingInstanceArgs{LaunchGateTimeoutSeconds: pulumi.IntRef(29)}, []string{"launchGateTimeoutSeconds", "29", "30 to 7200"}},
		{"gate timeout too long", components.SelfHealingInstanceArgs{LaunchGateTimeoutSeconds: pulumi.IntRef(7201)}, []string{"launchGateTimeoutSeconds", "7201", "30 to 7200"}},
		{"gate timeout without gate", components.SelfHealingInstanceArgs{LaunchGate: pulumi.BoolRef(false), LaunchGateTimeoutSeconds: pulumi.IntRef(600)}, []string{"launchGateTimeoutSeconds", "launchGate false"}},
		{"gate shorter than the volume wait", components.SelfHealingInstanceArgs{DataVolume: &components.DataVolumeArgs{SizeGiB: 20, AttachTimeoutSeconds: pulumi.IntRef(600)}},
			[]string{"launchGateTimeoutSeconds 600", "dataVolume.attachTimeoutSeconds 600", "more than 780"}},
		{"default gate, default volume wait plus a long one", components.SelfHealingInstanceArgs{LaunchGateTimeoutSeconds: pulumi.IntRef(400), DataVolume: &components.DataVolumeArgs{SizeGiB: 20}},
			[]string{"launchGateTimeoutSeconds 400", "attachTimeoutSeconds 300", "more than 480"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, &tc.args)
			if err == nil {
				t.Fatalf("accepted %+v", tc.args)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := len(d.Monitor.Resources()); n != 0 {
				t.Errorf("%d resources were registered before the error", n)
			}
		})
	}
}

func TestSpotTypesMustRunTheImage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  components.SelfHealingInstanceArgs
		shape func(*fake.Account)
		want  []string
	}{
		{"other architecture", components.SelfHealingInstanceArgs{Spot: true, SpotInstanceTypes: []string{"t3a.micro", "t4g.micro"}}, nil,
			[]string{"spotInstanceTypes[1]", `"t4g.micro"`, "[arm64]", "x86_64", `instanceType "t3.micro"`}},
		{"unknown type", components.SelfHealingInstanceArgs{Spot: true, SpotInstanceTypes: []string{"zz9.huge"}},
			func(a *fake.Account) { a.ArchitectureFor = nil; a.InstanceTypes["t3.micro"] = []string{"x86_64"} },
			[]string{"spotInstanceTypes[0]", `"zz9.huge"`, "looking it up"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var shapes []func(*fake.Account)
			if tc.shape != nil {
				shapes = append(shapes, tc.shape)
			}
			d, err := deploy(t, &tc.args, shapes...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			for _, r := range d.Monitor.Resources() {
				if r.Custom {
					t.Errorf("%s %s was created before the error", r.Type, r.Name)
				}
			}
		})
	}
}

func manyTypes(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("m%d.large", i+1))
	}
	return out
}

// The group launches the template's latestVersion, whatever it is, in both
// shapes: "$Latest" would hide new versions from the group, and a refresh
// starts only when the number changes.
func TestGroupFollowsTheTemplatesLatestVersion(t *testing.T) {
	seventh := func(a *fake.Account) { a.LaunchTemplateVersion = 7 }
	d := mustDeploy(t, nil, seventh)
	if got := path(d.Group(), "launchTemplate", "version"); got != "7" {
		t.Errorf("launchTemplate.version = %v, want the template's latestVersion \"7\"", got)
	}
	d = mustDeploy(t, &components.SelfHealingInstanceArgs{Spot: true}, seventh)
	if got := path(d.Group(), "mixedInstancesPolicy", "launchTemplate", "launchTemplateSpecification", "version"); got != "7" {
		t.Errorf("mixedInstancesPolicy launchTemplateSpecification.version = %v, want \"7\"", got)
	}
}

func TestLaunchGateOutlastsTheDataVolumeWait(t *testing.T) {
	for _, args := range []components.SelfHealingInstanceArgs{
		{DataVolume: &components.DataVolumeArgs{SizeGiB: 20}}, // 600 > 300 + 180
		{LaunchGateTimeoutSeconds: pulumi.IntRef(3800), DataVolume: &components.DataVolumeArgs{SizeGiB: 20, AttachTimeoutSeconds: pulumi.IntRef(3600)}},
		{LaunchGate: pulumi.BoolRef(false), DataVolume: &components.DataVolumeArgs{SizeGiB: 20, AttachTimeoutSeconds: pulumi.IntRef(3600)}},
	} {
		if _, err := deploy(t, &args); err != nil {
			t.Errorf("gate %s s (on: %s), volume wait %s s: refused: %v", show(args.LaunchGateTimeoutSeconds), show(args.LaunchGate), show(args.DataVolume.AttachTimeoutSeconds), err)
		}
	}
}
