//go:build report

package e2e

import (
	"os"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// TestDowntimeReport plays every downtime event with and without the data
// volume, each in every way the run has (ours, and terminate first beside
// ours where ours launches first; the office-hours schedule deployed, so
// that its night is among them; the zone loss without the volume only),
// and those the seed's stack can take part in with the seed's
// script, and the warm pool's events on the stack with its warm pool, and prints one DOWNTIME line each; with DOWNTIME_REPORT naming the
// heal report, it writes its downtime section there. `make
// downtime-report` runs it; it takes minutes, so it is built only with the
// report tag, and `make test` runs TestDowntimeIsMeasuredFromOutside, TestDowntimeOfficeHours
// and TestDowntimeZoneLost.
func TestDowntimeReport(t *testing.T) {
	path := os.Getenv("DOWNTIME_REPORT")
	if path == "" {
		t.Fatal("DOWNTIME_REPORT names no report to write; `make downtime-report` sets it")
	}
	var all []heallab.Downtime
	for _, tc := range []struct {
		name      string
		overrides map[string]string
		script    heallab.Script
	}{
		{"ours-with-volume", heallab.OfficeHoursOverrides(true), heallab.Ours},
		{"ours-without-volume", heallab.OfficeHoursOverrides(false), heallab.Ours},
		{"seed", heallab.DowntimeSeedOverrides(), heallab.Seed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab, ctx := startLabShaped(t, heallab.Options{Overrides: tc.overrides})
			run, err := lab.StartDowntimeWith(ctx, tc.script)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(run.Stop)
			for _, event := range run.Events() {
				// Each way in turn, side by side in the report.
				for _, way := range run.WaysOf(event) {
					old := onlyInstance(t, ctx, lab)
					d, boot, err := run.PlayWay(ctx, event, way)
					if err != nil {
						t.Fatal(err)
					}
					checkDowntime(t, d, old.ID, boot.Instance.ID)
					all = append(all, d)
				}
			}
		})
	}
	// The warm pool's stacks: the same events, the group taking the pool's
	// instance; the cold rows above are the comparison.
	for _, tc := range []struct {
		name   string
		volume bool
		state  string
	}{
		{"warm-pool-with-volume", true, ""}, {"warm-pool-without-volume", false, ""},
		{"warm-pool-running-with-volume", true, "Running"}, {"warm-pool-running-without-volume", false, "Running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, lab, ctx := startDowntimeShaped(t, heallab.WarmPoolOverrides(tc.volume, tc.state))
			for _, event := range heallab.WarmPoolEvents() {
				old := onlyInstance(t, ctx, lab)
				d, res, err := run.PlayWarmPool(ctx, event)
				if err != nil {
					t.Fatal(err)
				}
				checkDowntime(t, d, old.ID, res.Boot.Instance.ID)
				all = append(all, d)
			}
		})
	}
	if t.Failed() {
		return
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	updated := heallab.ReplaceDowntime(string(text), heallab.DowntimeSection(all))
	if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote the downtime section into %s", path)
}
