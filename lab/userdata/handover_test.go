package userdata_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestHandoverWatcherLetsGoWhenTheGroupTerminates runs the boot, then the
// watcher as its unit runs it (boot --handover-watch), on an instance whose
// target lifecycle state turns Terminated a while after it started: the
// watcher waits for it, then runs the stop script, unmounts the volume and
// detaches it from this instance, without force, and ends.
func TestHandoverWatcherLetsGoWhenTheGroupTerminates(t *testing.T) {
	c := newCloud(t, diskBytes)
	c.seed("ext4")
	id, err := emulator.CreateInstance(context.Background(), c.cfg, emulator.MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	const terminateAfter = 15 * time.Second
	started := time.Now()
	imds := emulator.StartIMDS(t, emulator.IMDSOptions{InstanceID: id, AvailabilityZone: c.zone, TerminateAfter: terminateAfter})
	h := &host{id: id, metadata: emulator.NewFaultProxy(t, imds.URL), fs: emulator.InstanceRoot(t.TempDir()), dev: &emulator.InstanceDev{Dir: t.TempDir()}}
	c.showTo(h)

	p := c.params()
	p.DataVolume.WaitSeconds = userdata.HandoverHookTimeoutSeconds(userdata.MinStopTimeoutSeconds)
	p.Handover = &userdata.HandoverParams{HookName: "selfhealing-handover", StopScript: "touch /var/lib/stop-script-ran", StopTimeoutSeconds: userdata.MinStopTimeoutSeconds}
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(h.fs.Path("/var/lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.fs.Path("/var/lib/user-data"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	results, err := emulator.RunOnInstance(ctx, h.fs, "/var/lib/user-data && exec "+userdata.InstalledBootScript+" --handover-watch", c.env(h), 1)
	if err != nil || len(results) != 1 {
		t.Fatalf("running the boot and the watcher: %v %v", err, results)
	}
	res := results[0]
	log := h.fs.ReadFile(userdata.LogFile)
	t.Logf("exit %d:\n%s", res.ExitCode, log)
	if res.ExitCode != 0 || !strings.Contains(log, "ready: ") {
		t.Fatalf("the boot or the watcher failed (exit %d):\n%s", res.ExitCode, res.Stderr)
	}
	if _, err := os.Stat(h.fs.Path("/var/lib/stop-script-ran")); err != nil {
		t.Errorf("the stop script did not run: %v", err)
	}
	if !strings.Contains(log, "data volume "+c.volumeID+" is detached from "+id) {
		t.Errorf("the watcher did not detach the volume:\n%s", log)
	}
	// The metadata mock counts its termination delay in whole seconds
	// from its own start, so the state may turn up to a second before
	// terminateAfter has passed here.
	at, ok := logLineTime(log, "hand-over: terminating")
	if !ok || at.Before(started.Add(terminateAfter-time.Second)) {
		t.Errorf("the hand-over began at %v, before the lifecycle state turned Terminated (%v after %v)", at, terminateAfter, started)
	}
	if holder, state := c.attachment(); holder != "" {
		t.Errorf("the volume is still on %s (%s)", holder, state)
	}
	detached := false
	for _, e := range c.ebs.History() {
		if e.Kind == "detach" {
			detached = e.Instance == id && !e.Forced
		}
	}
	if !detached {
		t.Errorf("no plain DetachVolume from %s: %v", id, c.ebs.History())
	}
}

// logLineTime returns the time of the first log line containing needle.
func logLineTime(log, needle string) (time.Time, bool) {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, needle) {
			stamp, _, _ := strings.Cut(line, " ")
			at, err := time.Parse("2006-01-02T15:04:05.000Z", stamp)
			return at, err == nil
		}
	}
	return time.Time{}, false
}
