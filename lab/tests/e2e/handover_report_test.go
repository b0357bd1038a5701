//go:build report

package e2e

import (
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// TestHandoverReport plays 20 planned replacements with the hand-over in a
// row on one stack, the client asking all along, and fails on any lost
// write, any moment two instances held the volume, or an address left on
// an instance that does not serve. It prints one DOWNTIME line each and
// the totals. It takes minutes, so it is built only with the report tag;
// `make test` runs TestPlannedReplacementHandsTheVolumeOver.
func TestHandoverReport(t *testing.T) {
	run, lab := startHandover(t, heallab.HandoverStopScript)
	const replacements = 20
	var refused, longest time.Duration
	lost := 0
	for i := 1; i <= replacements; i++ {
		d, res, err := run.PlayHandover(t.Context(), heallab.HandoverOptions{})
		if err != nil {
			t.Fatalf("replacement %d: %v", i, err)
		}
		checkHandover(t, lab, d, res)
		if res.HookResult != "CONTINUE" {
			t.Errorf("replacement %d: the old instance's hook ended with %s, want CONTINUE:\n%s", i, res.HookResult, res.Handover)
		}
		refused += d.Refused
		longest = max(longest, d.Refused)
		lost += d.LostWrites
	}
	t.Logf("HANDOVER-REPORT replacements=%d lost_writes=%d mean_refused_s=%.1f longest_refused_s=%.1f",
		replacements, lost, refused.Seconds()/replacements, longest.Seconds())
}
