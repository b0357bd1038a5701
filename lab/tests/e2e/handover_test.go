package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// startHandover deploys the dev stack with the downtime application, its
// data volume and stopScript, boots the first instance and starts the
// client.
func startHandover(t *testing.T, stopScript string) (*heallab.DowntimeRun, *heallab.Lab) {
	t.Helper()
	run, lab, _ := startDowntimeShaped(t, heallab.HandoverOverrides(stopScript))
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
	old := onlyInstance(t, t.Context(), lab)
	first, boot, err := run.PlayWay(t.Context(), heallab.EventRollout, heallab.WayTerminateFirst)
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

// TestHandoverSurvivesWhatTriesToBreakIt plays, in one run of one stack,
// planned replacements that try to put two instances on the volume or
// lose the address: the old instance slow to let go, the new one failing
// after the old let go, and the old one never letting go (its stop script
// outlasts the termination hook). Each time the service comes back, on
// one instance at a time, with every acknowledged write.
func TestHandoverSurvivesWhatTriesToBreakIt(t *testing.T) {
	run, lab := startHandover(t, heallab.HandoverStopScript)
	play := func(t *testing.T, stopSeconds int, opts heallab.HandoverOptions) heallab.HandoverResult {
		t.Helper()
		old := onlyInstance(t, t.Context(), lab)
		if stopSeconds > 0 {
			if err := lab.SlowStop(old, stopSeconds); err != nil {
				t.Fatal(err)
			}
		}
		d, res, err := run.PlayHandover(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		checkHandover(t, lab, d, res)
		return res
	}
	t.Run("old slow to let go", func(t *testing.T) {
		res := play(t, 5, heallab.HandoverOptions{})
		if res.HookResult != "CONTINUE" {
			t.Errorf("a stop script of 5 s within its 60 s ended the hook with %s, want CONTINUE:\n%s", res.HookResult, res.Handover)
		}
	})
	t.Run("new fails after the old let go", func(t *testing.T) {
		res := play(t, 0, heallab.HandoverOptions{NewFails: true, BeforeNewBoots: func(heallab.Instance) {
			// Once, for the new instance: it fails after it mounted the
			// volume the old one let go of.
			lab.API.FailFirst("AssociateAddress", 1, emulator.APIError{Status: 400, Code: "InvalidParameterValue", Message: "harness: the new instance fails here"})
		}})
		if res.HookResult != "CONTINUE" {
			t.Errorf("the old instance's hook ended with %s, want CONTINUE", res.HookResult)
		}
		failed := res.FailedBoot
		if !strings.Contains(failed.Log, "mounted data volume") || !strings.Contains(failed.FailureLine, "associate-address") {
			t.Errorf("the new instance did not fail after mounting the volume: %s\n%s", failed.FailureLine, failed.Log)
		}
		if reports := lab.Lifecycle.HealthReports(failed.Instance.ID); len(reports) != 1 || !reports[0].Terminated {
			t.Errorf("the failed instance's health reports are %v, want one Unhealthy that had it replaced (its launch gate was completed early)", reports)
		}
	})
	t.Run("volume still in use: not detached", func(t *testing.T) {
		old := onlyInstance(t, t.Context(), lab)
		if err := lab.KeepVolumeOpen(old); err != nil {
			t.Fatal(err)
		}
		res := play(t, 0, heallab.HandoverOptions{})
		if res.HookResult != "CONTINUE" || !strings.Contains(res.HandoverLog(), "not detaching a volume in use") {
			t.Errorf("with the volume in use the hand-over should refuse to detach it and still complete the hook (%s):\n%s", res.HookResult, res.Handover)
		}
		for _, e := range lab.VolumeHistory() {
			if e.Kind == "detach" && e.Instance == old.ID {
				t.Errorf("the volume was detached from %s while in use: %+v", old.ID, e)
			}
		}
	})
	t.Run("hand-over interrupted by a termination", func(t *testing.T) {
		// Terminated for good 2 s into a 20 s stop: the volume, still
		// mounted, leaves with the instance, as after a failure.
		res := play(t, 20, heallab.HandoverOptions{InterruptAfter: 2 * time.Second})
		if res.HookResult != "interrupted" {
			t.Errorf("the hook ended with %s, want the interruption", res.HookResult)
		}
	})
	t.Run("old never lets go", func(t *testing.T) {
		res := play(t, 600, heallab.HandoverOptions{})
		if res.HookResult != "timeout" {
			t.Errorf("a stop script of 600 s ended the hook with %s, want its timeout", res.HookResult)
		}
		if !strings.Contains(res.Boot.Log, "is on "+res.Old.ID+" ("+lab.Outputs["autoScalingGroupName"]+" InService)") {
			t.Errorf("the new instance did not find the old one in service:\n%s", res.Boot.Log)
		}
	})
}
