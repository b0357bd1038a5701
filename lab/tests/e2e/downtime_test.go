package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// startDowntime deploys the dev stack with the downtime application, with
// or without its data volume, boots the first instance and starts the
// client outside it.
func startDowntime(t *testing.T, volume bool) (*heallab.DowntimeRun, *heallab.Lab) {
	t.Helper()
	run, lab, _ := startDowntimeShaped(t, heallab.DowntimeOverrides(volume))
	return run, lab
}

// startDowntimeShaped is startDowntime for the stack the overrides shape.
func startDowntimeShaped(t *testing.T, overrides map[string]string) (*heallab.DowntimeRun, *heallab.Lab, context.Context) {
	t.Helper()
	lab, ctx := startLabShaped(t, heallab.Options{Overrides: overrides})
	run, err := lab.StartDowntime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run.Stop)
	return run, lab, ctx
}

// onlyInstance is the lab's one instance, or the end of the test.
func onlyInstance(t *testing.T, ctx context.Context, lab *heallab.Lab) heallab.Instance {
	t.Helper()
	inst, err := lab.OnlyInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// checkDowntime fails the test unless the client saw the heal: answers
// from the old instance and from its replacement, never an answer from an
// instance the address did not lead to, and, with a data volume, no
// acknowledged write lost. Timings are reported, never asserted.
func checkDowntime(t *testing.T, d heallab.Downtime, old, replacement string) {
	t.Helper()
	t.Log(d.Line())
	t.Logf("during %s the client sent a request at least every %v, each routed by a lookup at most %v old; answers came from %v", d.Event, d.Spacing, d.Staleness, d.Instances)
	if !slices.Contains(d.Instances, old) || !slices.Contains(d.Instances, replacement) || old == replacement {
		t.Errorf("the client heard from %v, want the old instance %s and its replacement %s", d.Instances, old, replacement)
	}
	if !d.Recovered {
		t.Error("the client never got an answer after the event")
	}
	if d.Misrouted != 0 {
		t.Errorf("%d answers came from an instance the address did not lead to", d.Misrouted)
	}
	if d.Writes == 0 {
		t.Error("the client had no write acknowledged")
	}
	if d.Volume && d.LostWrites != 0 {
		t.Errorf("the replacement lacks %d of the writes the old instance acknowledged, with the counter on the data volume", d.LostWrites)
	}
	// Without a data volume the counter is on the instance's own disk,
	// which goes with it: the measurement must say the writes are lost.
	if !d.Volume && d.LostWrites == 0 {
		t.Error("without a data volume the replacement starts a fresh counter, yet no write was counted lost")
	}
}

// TestDowntimeIsMeasuredFromOutside terminates the instance once with and
// once without the data volume, with the client asking all along.
func TestDowntimeIsMeasuredFromOutside(t *testing.T) {
	for _, volume := range []bool{true, false} {
		name := map[bool]string{true: "with-volume", false: "without-volume"}[volume]
		t.Run(name, func(t *testing.T) {
			run, lab := startDowntime(t, volume)
			old := onlyInstance(t, t.Context(), lab)
			d, boot, err := run.Play(t.Context(), heallab.EventTerminated)
			if err != nil {
				t.Fatal(err)
			}
			if d.Volume != volume {
				t.Errorf("measured volume=%v in a stack deployed with volume=%v", d.Volume, volume)
			}
			checkDowntime(t, d, old.ID, boot.Instance.ID)
		})
	}
}

// firstAnswerFrom is when the client first heard from id.
func firstAnswerFrom(probes []heallab.Probe, id string) (time.Time, bool) {
	for _, p := range probes {
		if p.From == id {
			return p.Sent, true
		}
	}
	return time.Time{}, false
}

// TestDowntimeLaunchFirstWithoutAVolume plays every event but a
// termination (TestDowntimeIsMeasuredFromOutside) on the stack without a
// data volume, ours (launch first) and terminate first, in the same run.
// Launch first, the replacement holds the address before the old instance
// is terminated: it booted beside it and took the address last. Terminate
// first, it answers only after the old instance is gone. The figures are
// in the DOWNTIME lines; `make downtime-report` plays every event in every
// stack.
func TestDowntimeLaunchFirstWithoutAVolume(t *testing.T) {
	run, lab := startDowntime(t, false)
	if ways := run.Ways(); !slices.Equal(ways, []string{heallab.WayOurs, heallab.WayTerminateFirst}) {
		t.Fatalf("ways %v, want ours (launch first) and terminate-first: the stack without a volume should launch first (maintenance policy %v)", ways, lab.MaintenancePolicy())
	}
	for _, event := range []heallab.DowntimeEvent{heallab.EventAppDies, heallab.EventImpaired, heallab.EventRollout, heallab.EventRebalance} {
		for _, way := range run.Ways() {
			old := onlyInstance(t, t.Context(), lab)
			d, boot, err := run.PlayWay(t.Context(), event, way)
			if err != nil {
				t.Fatal(err)
			}
			checkDowntime(t, d, old.ID, boot.Instance.ID)
			first, ok := firstAnswerFrom(run.Probes(), boot.Instance.ID)
			switch {
			case !ok || d.OldGone.IsZero():
				t.Errorf("%s %s: no answer from %s, or the old instance was never terminated (%v)", event, way, boot.Instance.ID, d.OldGone)
			case way == heallab.WayOurs && d.HolderWhenOldGoes != boot.Instance.ID:
				t.Errorf("%s launch first: when the old instance's termination began the address was on %q, want the replacement %s", event, d.HolderWhenOldGoes, boot.Instance.ID)
			case way == heallab.WayTerminateFirst && first.Before(d.OldGone):
				t.Errorf("%s terminate first: the replacement answered %v before the old instance was terminated", event, d.OldGone.Sub(first))
			}
		}
	}
}
