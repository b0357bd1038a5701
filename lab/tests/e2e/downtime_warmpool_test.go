package e2e

import (
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// TestDowntimeWarmPool deploys the stack with its warm pool and its data
// volume, has the pool's instance boot into the pool (outside the measured
// window), terminates the instance in service, and has the group take the
// pooled instance: it serves, with every acknowledged write. With the pool
// kept Stopped the group starts the instance, whose unit runs the boot
// script again; kept Running (warmPoolState), nothing boots it again, and
// the watcher its boot in the pool started runs the boot script once its
// metadata says InService. The report (TestDowntimeReport) plays both
// without the volume too, beside the cold replacement.
func TestDowntimeWarmPool(t *testing.T) {
	for _, tc := range []struct{ state, event string }{
		{"", "terminated-warm-pool"},
		{"Running", "terminated-warm-pool-running"},
	} {
		t.Run("state="+tc.state, func(t *testing.T) {
			run, lab, ctx := startDowntimeShaped(t, heallab.WarmPoolOverrides(true, tc.state))
			old := onlyInstance(t, ctx, lab)
			d, res, err := run.PlayWarmPool(ctx, heallab.EventTerminated)
			if err != nil {
				t.Fatal(err)
			}
			checkDowntime(t, d, old.ID, res.Boot.Instance.ID)
			if d.Event != tc.event || d.Way != heallab.WayOurs {
				t.Errorf("measured as event=%s way=%s, want %s, ours", d.Event, d.Way, tc.event)
			}
			// The instance that served is the one that booted in the
			// pool, and took nothing there.
			pool := res.Pool
			if pool.Instance.ID != res.Boot.Instance.ID {
				t.Errorf("the pool's instance is %s, but %s went into service", pool.Instance.ID, res.Boot.Instance.ID)
			}
			if pool.ExitCode != 0 || pool.Status != "warm" || pool.HoldsAddress || pool.UserScriptRan || pool.Volume.Mounted {
				t.Errorf("the boot into the pool: exit %d, status %q, holds the address %v, ran the user script %v, mounted the volume %v; want a warm boot that took nothing:\n%s",
					pool.ExitCode, pool.Status, pool.HoldsAddress, pool.UserScriptRan, pool.Volume.Mounted, pool.Log)
			}
			if got := lab.Gate(pool.Instance.ID); got != "CONTINUE,CONTINUE" {
				t.Errorf("the pooled instance completed the launch gate with %q, want CONTINUE into the pool and out of it", got)
			}
			if res.Boot.Log == pool.Log || !res.Boot.UserScriptRan {
				t.Errorf("the boot into service did not run the installed script again, or not the user script:\n%s", res.Boot.Log)
			}
			if tc.state == "Running" && !strings.Contains(res.Boot.Log, "warm pool watcher: target lifecycle state InService") {
				t.Errorf("the watcher did not run the boot into service:\n%s", res.Boot.Log)
			}
		})
	}
}
