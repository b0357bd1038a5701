package e2e

import (
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// startHandover deploys the dev stack with the downtime application, its
// data volume and stopScript, boots the first instance and starts the
// client.
func startHandover(t *testing.T, stopScript string) (*heallab.DowntimeRun, *heallab.Lab) {
	t.Helper()
	lab, ctx := startLabShaped(t, heallab.Options{Overrides: heallab.HandoverOverrides(stopScript)})
	run, err := lab.StartDowntime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run.Stop)
	return run, lab
}

// checkHandover fails the test unless the planned replacement came back
// with every acknowledged write, the volume never held by two instances,
// and the address on the instance that serves. Timings are reported,
// never asserted.
func checkHandover(t *testing.T, lab *heallab.Lab, d heallab.Downtime, res heallab.HandoverResult) {
	t.Helper()
	t.Log(d.Line())
	t.Logf("hand-over of %s (hook: %s):\n%s", res.Old.ID, res.HookResult, res.HandoverLog())
	checkDowntime(t, d, res.Old.ID, res.Boot.Instance.ID)
	// Every instance the lab terminated, the one the Auto Scaling model
	// terminated for marking itself Unhealthy included.
	terminated := lab.Terminations()
	history := lab.VolumeHistory()
	if problems := heallab.TwoHolders(history, terminated); len(problems) > 0 {
		t.Errorf("the volume was attached to two instances at once:\n%s\nhistory: %v", strings.Join(problems, "\n"), history)
	}
	holder, err := lab.Holder(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if holder != res.Boot.Instance.ID {
		t.Errorf("the Elastic IP ends on %q, not on %s, which serves", holder, res.Boot.Instance.ID)
	}
}

// TestPlannedReplacementHandsTheVolumeOver: a rollout as today
// (terminate first) and a planned replacement with the hand-over, in one
// run of one stack, the client asking all along. The hand-over stops the
// application with the stop script, unmounts and detaches the volume and
// completes the termination hook; the new instance, launched first, takes
// it over; no acknowledged write is lost.
func TestPlannedReplacementHandsTheVolumeOver(t *testing.T) {
	run, lab := startHandover(t, heallab.HandoverStopScript)
	old, err := lab.OnlyInstance(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	first, boot, err := run.Play(t.Context(), heallab.EventRollout)
	if err != nil {
		t.Fatal(err)
	}
	checkDowntime(t, first, old.ID, boot.Instance.ID)
	d, res, err := run.PlayHandover(t.Context(), heallab.HandoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkHandover(t, lab, d, res)
	if res.HookResult != "CONTINUE" || !strings.Contains(res.HandoverLog(), "is detached from "+res.Old.ID) {
		t.Errorf("the old instance did not hand over (hook %s):\n%s", res.HookResult, res.Handover)
	}
	t.Logf("HANDOVER terminate-first: refused_s=%.1f modelled_s=%.1f lost_writes=%d; hand-over: refused_s=%.1f modelled_s=%.1f lost_writes=%d; ratio %.1f",
		first.Refused.Seconds(), first.Modelled.Seconds(), first.LostWrites, d.Refused.Seconds(), d.Modelled.Seconds(), d.LostWrites,
		first.Refused.Seconds()/max(d.Refused.Seconds(), 0.001))
}
