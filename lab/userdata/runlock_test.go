package userdata_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the boot script more than once in one boot of an
// instance, where the run lock decides who goes first.

// runsBound catches a run that waits for the lock in vain (the script
// waits up to an hour); it is no timing assertion. A run takes seconds.
const runsBound = 2 * time.Minute

// userScriptRunsFile is where the tests' user scripts count their runs.
const userScriptRunsFile = "/var/lib/user-script-runs"

// wantRunsReady fails the test unless every run succeeded without a
// failure, the address is on the instance, the status is ready and the
// user script ran exactly once.
func (in *instance) wantRunsReady(results []emulator.CommandResult) {
	in.t.Helper()
	for i, r := range results {
		if r.ExitCode != 0 || strings.Contains(r.Stderr, "FAILED") {
			in.t.Errorf("run %d: exit %d; want a ready run:\n%s", i+1, r.ExitCode, r.Stderr)
		}
	}
	if status := strings.TrimSpace(in.fs.ReadFile(userdata.StatusFile)); status != "ready" {
		in.t.Errorf("status %q, want ready", status)
	}
	if got := in.holder(); got != in.fixture.InstanceID {
		in.t.Errorf("the Elastic IP is on %q, want %s", got, in.fixture.InstanceID)
	}
	if n := strings.Count(in.fs.ReadFile(userScriptRunsFile), "run\n"); n != 1 {
		in.t.Errorf("the user script ran %d times, want once", n)
	}
}

// TestBootRunLockIsNotLeftToTheUserScriptsProcesses: a user script that
// leaves a process running, as one that starts an application without
// systemd does, must not leave it holding the run lock, or a second run in
// the same boot would wait for that process to end, up to an hour.
func TestBootRunLockIsNotLeftToTheUserScriptsProcesses(t *testing.T) {
	in := newInstance(t)
	const pidFile = "/var/lib/leftover.pid"
	p := in.params()
	p.UserScript = "echo run >>" + userScriptRunsFile + "\nnohup sleep 600 >/dev/null 2>&1 &\necho $! >" + pidFile
	t.Cleanup(func() {
		// RunBoots ends the process group, leftover included; this is in
		// case the leftover escaped it.
		if pid, err := strconv.Atoi(strings.TrimSpace(in.fs.ReadFile(pidFile))); err == nil {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				t.Errorf("killing the user script's leftover process %d: %v", pid, err)
			}
		}
	})
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runsBound)
	defer cancel()
	results, err := emulator.RunBoots(ctx, in.fs, []byte(script), in.env(), 2)
	if err != nil {
		t.Fatalf("two runs in one boot did not both end (%v): the second waits for the lock, held by what the first run's user script left running\n%v", err, results)
	}
	in.wantRunsReady(results)
	if !strings.Contains(results[1].Stderr, "the user script already succeeded on this instance") {
		t.Errorf("the second run does not say the user script already ran:\n%s", results[1].Stderr)
	}
}

// TestBootRunsStartedTogetherBothSucceed: two runs at once, the case the
// lock exists for, both end well: one takes the address and runs the user
// script, the other waits for it, then finds everything done. A PATH shim
// stalls each rename of the status file for a second, as a busy instance
// may stall a process between two commands, so that the runs overlap
// wherever the status is written and a shared step shows reliably.
func TestBootRunsStartedTogetherBothSucceed(t *testing.T) {
	in := newInstance(t)
	p := in.params()
	p.UserScript = "echo run >>" + userScriptRunsFile
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	env := emulator.PrependPath(in.env(), slowStatusRenames(t))
	ctx, cancel := context.WithTimeout(context.Background(), runsBound)
	defer cancel()
	results, err := emulator.RunBootsAtOnce(ctx, in.fs, []byte(script), env, 2)
	if err != nil {
		t.Fatalf("two runs started together did not both end: %v\n%v", err, results)
	}
	in.wantRunsReady(results)
}

// slowStatusRenames returns a PATH directory whose mv waits a second
// before it moves anything into the boot script's status directory.
func slowStatusRenames(t *testing.T) string {
	t.Helper()
	mv, err := exec.LookPath("mv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shim := "#!/bin/bash\ncase \" $* \" in\n*\" " + filepath.Dir(userdata.StatusFile) + "/\"*) sleep 1 ;;\nesac\nexec " + mv + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "mv"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
