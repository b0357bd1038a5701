package userdata_test

import (
	"context"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the boot script of a group without the launch gate: the
// group from newGated, whose hook the script is not told about and never
// calls. Nothing abandons a failed boot there, so the script marks its
// instance Unhealthy instead, and the model replaces it as AWS would.

// ungatedParams are g's parameters without the launch gate, as the
// component renders them.
func (g *gated) ungatedParams() userdata.Params {
	p := g.params()
	p.LaunchGate = nil
	return p
}

// wantReportedUnhealthy fails the test unless the failed run r marked g's
// instance Unhealthy once, after its FAILED line, not respecting the grace
// period, and the group replaced it; and nothing touched a lifecycle hook.
func (g *gated) wantReportedUnhealthy(r bootResult) {
	g.t.Helper()
	reports := g.asg.HealthReports(g.group.InstanceID)
	if len(reports) != 1 || reports[0].Result != emulator.HealthUnhealthy || reports[0].RespectGracePeriod ||
		reports[0].Group != g.group.Name || !reports[0].Terminated {
		g.t.Fatalf("health reports %v, want one Unhealthy in %s that does not wait out the grace period", reports, g.group.Name)
	}
	if n := g.api.Calls("SetInstanceHealth"); n != 1 {
		g.t.Errorf("SetInstanceHealth called %d times, want once", n)
	}
	const marked = "marked this instance Unhealthy in "
	if !strings.Contains(r.Log, marked+g.group.Name) {
		g.t.Errorf("the log does not say the instance was marked Unhealthy:\n%s", r.Log)
	}
	if strings.Index(r.Stderr, marked) < strings.Index(r.Stderr, "FAILED") {
		g.t.Errorf("the report is logged before the failure:\n%s", r.Stderr)
	}
	for _, action := range []string{"CompleteLifecycleAction", "RecordLifecycleActionHeartbeat"} {
		if n := g.api.Calls(action); n != 0 {
			g.t.Errorf("%s called %d times without a launch gate", action, n)
		}
	}
	ids, err := emulator.GroupInstanceIDs(context.Background(), g.cfg, g.group.Name)
	if err != nil || len(ids) != 1 || ids[0] == g.group.InstanceID {
		g.t.Errorf("the group holds %v (%v), want a replacement for the unhealthy instance", ids, err)
	}
}

func TestWithoutTheGateAFailedBootMarksTheInstanceUnhealthy(t *testing.T) {
	g := newGated(t)
	p := g.ungatedParams()
	p.AllocationID = "eipalloc-0000000000000000f" // refused for good
	r := g.firstBoot(p)
	wantOneFailure(t, r, "associating Elastic IP eipalloc-0000000000000000f", "InvalidAllocationID.NotFound")
	g.wantReportedUnhealthy(r)
}

// A later boot that fails leaves an instance that was in service without
// its address (or its volume): as broken as a failed first boot, and
// replaced the same way.
func TestWithoutTheGateAFailedLaterBootMarksTheInstanceUnhealthy(t *testing.T) {
	g := newGated(t)
	first := g.firstBoot(g.ungatedParams())
	g.wantReady(first)
	if n := g.api.Calls("SetInstanceHealth"); n != 0 {
		t.Fatalf("SetInstanceHealth called %d times by a boot that succeeded", n)
	}
	g.api.FailFirst("AssociateAddress", 1000, emulator.APIError{Status: 400, Code: "InvalidAllocationID.NotFound",
		Message: "The allocation ID '" + g.alloc + "' does not exist"})
	later := g.laterBoot()
	wantOneFailure(t, later, "associating Elastic IP "+g.alloc, "InvalidAllocationID.NotFound")
	g.wantReportedUnhealthy(later)
}

func TestFailureReportIsBoundedAndNeverMasksTheFailure(t *testing.T) {
	g := newGated(t)
	g.api.FailFirst("SetInstanceHealth", 1000, emulator.APIError{Status: 500, Code: "InternalFailure", Message: "down"})
	p := g.ungatedParams()
	p.UserScript = "exit 3"
	r := g.firstBoot(p)
	wantOneFailure(t, r, "running the user script", "exited 3")
	if n := g.api.Calls("SetInstanceHealth"); n != 3 {
		t.Errorf("SetInstanceHealth tried %d times, want the bound of 3", n)
	}
	if !strings.Contains(r.Log, "gave up marking this instance Unhealthy in "+g.group.Name) {
		t.Errorf("the log does not say the report was given up:\n%s", r.Log)
	}
}

// An error that no retry mends (a group that does not know the instance,
// say) is not tried again: the report stops at once and logs it.
func TestFailureReportStopsAtAnErrorNoRetryMends(t *testing.T) {
	g := newGated(t)
	g.api.FailFirst("SetInstanceHealth", 1000, emulator.APIError{Status: 400, Code: "ValidationError", Message: "instance not in group"})
	p := g.ungatedParams()
	p.UserScript = "exit 3"
	r := g.firstBoot(p)
	wantOneFailure(t, r, "running the user script", "exited 3")
	if n := g.api.Calls("SetInstanceHealth"); n != 1 {
		t.Errorf("SetInstanceHealth tried %d times, want once: a ValidationError is not worth another try", n)
	}
	if !strings.Contains(r.Log, "gave up marking this instance Unhealthy in "+g.group.Name) || !strings.Contains(r.Log, "instance not in group") {
		t.Errorf("the log does not give up with the error:\n%s", r.Log)
	}
}

// With the launch gate, a later boot has no launch action to abandon: one
// that fails marks its instance Unhealthy, as without the gate, so that a
// failed reboot does not leave a broken instance in service.
func TestWithTheGateAFailedLaterBootMarksTheInstanceUnhealthy(t *testing.T) {
	g := newGated(t)
	first := g.firstBoot(g.params())
	g.wantReady(first)
	g.api.FailFirst("AssociateAddress", 1000, emulator.APIError{Status: 400, Code: "InvalidAllocationID.NotFound",
		Message: "The allocation ID '" + g.alloc + "' does not exist"})
	later := g.laterBoot()
	wantOneFailure(t, later, "associating Elastic IP "+g.alloc, "InvalidAllocationID.NotFound")
	reports := g.asg.HealthReports(g.group.InstanceID)
	if len(reports) != 1 || reports[0].Result != emulator.HealthUnhealthy || reports[0].RespectGracePeriod || !reports[0].Terminated {
		t.Fatalf("health reports %v, want one Unhealthy that does not wait out the grace period", reports)
	}
	if !strings.Contains(later.Log, "no lifecycle action waits for this instance (a reboot") {
		t.Errorf("the later boot does not say no launch action waits:\n%s", later.Log)
	}
	if !strings.Contains(later.Log, "marked this instance Unhealthy in "+g.group.Name) {
		t.Errorf("the log does not say the instance was marked Unhealthy:\n%s", later.Log)
	}
}
