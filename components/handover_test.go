package components_test

import (
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

const typeLifecycleHook = "aws:autoscaling/lifecycleHook:LifecycleHook"

// With a data volume, the group gets a termination hook of its own (not
// an initialLifecycleHook, which would replace an existing group), whose
// timeout is the stop script's bound and the hand-over's reserve, and
// whose default lets an instance that cannot hand over terminate.
func TestDataVolumeHasATerminationHookForTheHandover(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, StopTimeoutSeconds: intPtr(90)}))
	in := inputs(d.One(typeLifecycleHook))
	want := map[string]any{
		"name":                 components.HandoverHookName,
		"lifecycleTransition":  "autoscaling:EC2_INSTANCE_TERMINATING",
		"defaultResult":        "CONTINUE",
		"heartbeatTimeout":     float64(90 + userdata.HandoverReserveSeconds),
		"autoscalingGroupName": d.Group()["name"],
	}
	for field, value := range want {
		if got := in[field]; got != value {
			t.Errorf("hook %s = %v, want %v", field, got, value)
		}
	}
	for _, hook := range asSlice(d.Group()["initialLifecycleHooks"]) {
		if h, _ := hook.(map[string]any); h["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING" {
			t.Errorf("the termination hook is among the group's initialLifecycleHooks: %v", h)
		}
	}
	if n := len(mustDeploy(t, nil).Monitor.ByType(typeLifecycleHook)); n != 0 {
		t.Errorf("without a data volume there are %d lifecycle hook resources, want none", n)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// With a data volume a rollout launches first (100/200) and hands the
// volume over; without one it stays as the rest of the stack says.
func TestRolloutWithADataVolumeLaunchesFirstAndHandsOver(t *testing.T) {
	prefs, _ := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5})).Group()["instanceRefresh"].(map[string]any)["preferences"].(map[string]any)
	if prefs["minHealthyPercentage"] != 100.0 || prefs["maxHealthyPercentage"] != 200.0 {
		t.Errorf("with a data volume the refresh keeps %v%% to %v%% healthy, want 100 to 200 (launch first, then hand over)",
			prefs["minHealthyPercentage"], prefs["maxHealthyPercentage"])
	}
}

// The stop script and its bound reach the boot script, and the instance
// role may complete the hook and detach the volume from this group's
// instances.
func TestHandoverReachesTheBootScriptAndThePolicy(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, StopScript: "systemctl stop app"}))
	script := d.BootScript()
	for _, want := range []string{"readonly with_handover=1", "readonly handover_hook='" + components.HandoverHookName + "'", "stop_script='systemctl stop app'", "stop_timeout='60'"} {
		if !strings.Contains(script, want) {
			t.Errorf("the boot script lacks %q", want)
		}
	}
	doc := d.RolePolicy()
	for _, sid := range []string{"CompleteThisGroupsHandover", "FindTheInstanceHoldingTheDataVolume", "FreeThisDataVolumeFromADeadInstance", "FromThisGroupsInstances"} {
		statement(t, doc, sid)
	}
}

// A stop timeout AWS's hook cannot hold, or a wait for the volume shorter
// than the hand-over, is refused at preview, naming the fields.
func TestHandoverSettingsAreCheckedAtPreview(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    components.DataVolumeArgs
		want []string
	}{
		{"too short", components.DataVolumeArgs{SizeGiB: 5, StopTimeoutSeconds: intPtr(5)}, []string{"dataVolume.stopTimeoutSeconds 5", "want 10 to 7140"}},
		{"too long for the hook", components.DataVolumeArgs{SizeGiB: 5, StopTimeoutSeconds: intPtr(7141)}, []string{"dataVolume.stopTimeoutSeconds 7141", "7200"}},
		{"attach wait shorter than the hand-over", components.DataVolumeArgs{SizeGiB: 5, StopTimeoutSeconds: intPtr(300), AttachTimeoutSeconds: intPtr(300)},
			[]string{"dataVolume.attachTimeoutSeconds 300", "stopTimeoutSeconds 300", "at least", "360"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := deploy(t, withVolume(tc.v))
			if err == nil {
				t.Fatalf("accepted %+v", tc.v)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}
