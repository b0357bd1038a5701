package e2e

import (
	"slices"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// TestDowntimeOfficeHours runs the office-hours schedule's stop and start,
// as Auto Scaling would (moto stores the actions but never runs them), with
// the data volume: the morning's instance serves, the outage is reported as
// expected, and no write acknowledged before the night is lost. The report
// (TestDowntimeReport) runs it without the volume too.
func TestDowntimeOfficeHours(t *testing.T) {
	run, lab, ctx := startDowntimeShaped(t, heallab.OfficeHoursOverrides(true))
	if !slices.Contains(run.Events(), heallab.EventOfficeHours) {
		t.Fatalf("a stack with a schedule can take %v, want %s among them", run.Events(), heallab.EventOfficeHours)
	}
	old := onlyInstance(t, ctx, lab)
	d, boot, err := run.Play(ctx, heallab.EventOfficeHours)
	if err != nil {
		t.Fatal(err)
	}
	if d.Way != heallab.WayExpected {
		t.Errorf("the office-hours outage is reported as way=%s, want %s (expected, not a failure)", d.Way, heallab.WayExpected)
	}
	if !d.Volume {
		t.Error("measured volume=no in a stack deployed with its data volume")
	}
	checkDowntime(t, d, old.ID, boot.Instance.ID)
}

// TestDowntimeZoneLost loses the instance's zone in a stack without a data
// volume: the lab refuses moto's launch into the lost zone, and the
// replacement serves from another.
func TestDowntimeZoneLost(t *testing.T) {
	run, lab, ctx := startDowntimeShaped(t, heallab.DowntimeOverrides(false))
	old := onlyInstance(t, ctx, lab)
	d, boot, err := run.Play(ctx, heallab.EventZoneLost)
	if err != nil {
		t.Fatal(err)
	}
	checkDowntime(t, d, old.ID, boot.Instance.ID)
	loss := run.ZoneLoss()
	t.Logf("zone %s lost; launches refused there: %v; the replacement %s serves from %s", loss.Lost, loss.FailedLaunches, boot.Instance.ID, boot.Instance.AvailabilityZone)
	if loss.Lost != old.AvailabilityZone || boot.Instance.AvailabilityZone == old.AvailabilityZone || loss.Replacement != boot.Instance.AvailabilityZone {
		t.Errorf("the replacement %s is in %s after %s, in %s, was lost (recorded %+v)", boot.Instance.ID, boot.Instance.AvailabilityZone, old.ID, old.AvailabilityZone, loss)
	}
	// moto launches every replacement into the group's first subnet, the
	// lost zone's: the lab's Auto Scaling side must have refused one.
	if len(loss.FailedLaunches) == 0 {
		t.Error("no launch into the lost zone was refused: moto's replacement went elsewhere, so the test shows nothing")
	}
}
