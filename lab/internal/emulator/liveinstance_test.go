package emulator

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLiveInstanceKeepsItsMountsUntilStopped(t *testing.T) {
	RequireFirstBoot(t)
	RequireTool(t, "nsenter", "apt-get install util-linux")
	ctx := testContext(t, time.Minute)
	root := InstanceRoot(t.TempDir())
	script := `#!/bin/bash
set -euo pipefail
mkdir -p /srv/kept
mount -t tmpfs kept /srv/kept
echo "$GREETING" >/srv/kept/file
echo booted
exit 5
`
	inst, err := BootInstanceE(ctx, root, []byte(script), []string{"PATH=" + os.Getenv("PATH"), "GREETING=hello"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Stop() })
	if inst.Boot.ExitCode != 5 || inst.Boot.Stdout != "booted\n" {
		t.Errorf("boot result:\n%s\nwant the script's exit 5 and output", inst.Boot)
	}

	// A second command sees the boot's mount; the host does not.
	res, err := inst.Run(ctx, `cat /srv/kept/file; findmnt -n -o FSTYPE /srv/kept; echo "$EXTRA"`, "EXTRA=more")
	if err != nil || res.ExitCode != 0 || res.Stdout != "hello\ntmpfs\nmore\n" {
		t.Fatalf("run on the instance (%v):\n%s\nwant the boot's file, its tmpfs and the extra variable", err, res)
	}
	if _, err := os.Stat(root.Path("/srv/kept/file")); !os.IsNotExist(err) {
		t.Errorf("the file is on the instance's /srv directory itself, not on its mount (stat: %v)", err)
	}
	hostMounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil || strings.Contains(string(hostMounts), "/srv/kept") {
		t.Errorf("the instance's mount shows on the host (%v)", err)
	}

	pid := inst.Pid()
	if err := inst.Stop(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	if _, err := inst.Run(ctx, "true"); err == nil {
		t.Error("Run succeeded on a stopped instance")
	}
	if err := inst.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestLiveInstanceReportsANamespaceThatCannotBeSetUp(t *testing.T) {
	RequireFirstBoot(t)
	ctx := testContext(t, time.Minute)
	// unshare is found on the caller's PATH, but then finds no bash on
	// the instance's, so the namespace never comes up.
	inst, err := BootInstanceE(ctx, InstanceRoot(t.TempDir()), []byte("#!/bin/bash\nexit 0\n"), []string{"PATH=/nonexistent"})
	if err == nil {
		_ = inst.Stop()
		t.Fatal("BootInstanceE succeeded without the tools to set up the namespace")
	}
	if !strings.Contains(err.Error(), "namespace") {
		t.Errorf("error %q does not say the namespace failed", err)
	}
}

// TestABootHonoursTheScriptsInterpreterLine: cloud-init executes a user-data
// script, so the options on its "#!" line apply (the seed article's
// "#!/bin/bash -ex" stops at the first failing command and traces each).
func TestABootHonoursTheScriptsInterpreterLine(t *testing.T) {
	RequireFirstBoot(t)
	ctx := testContext(t, time.Minute)
	inst, err := BootInstanceE(ctx, InstanceRoot(t.TempDir()), []byte("#!/bin/bash -ex\nfalse\necho after\n"), []string{"PATH=" + os.Getenv("PATH")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Stop() })
	if inst.Boot.ExitCode != 1 || strings.Contains(inst.Boot.Stdout, "after") || !strings.Contains(inst.Boot.Stderr, "+ false") {
		t.Errorf("boot result:\n%s\nwant bash -e to stop at false (exit 1) and -x to trace it", inst.Boot)
	}
}

// TestStartingAStoppedInstanceRunsWhatItInstalled: a start empties /run,
// keeps the disk and the user data, and runs the given command, not the
// user data.
func TestStartingAStoppedInstanceRunsWhatItInstalled(t *testing.T) {
	RequireFirstBoot(t)
	ctx := testContext(t, time.Minute)
	root := InstanceRoot(t.TempDir())
	userData := "#!/bin/bash\necho first >>/var/lib/boots\ntouch /run/booted\nprintf '#!/bin/bash\\necho later >>/var/lib/boots\\n' >/usr/local/bin/later\nchmod +x /usr/local/bin/later\n"
	env := []string{"PATH=" + os.Getenv("PATH")}
	first, err := BootInstanceE(ctx, root, []byte(userData), env)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	started, err := StartInstanceE(ctx, root, "exec /usr/local/bin/later\n", env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = started.Stop() })
	if started.Boot.ExitCode != 0 {
		t.Fatalf("the start's command:\n%s", started.Boot)
	}
	if got := root.ReadFile("/var/lib/boots"); got != "first\nlater\n" {
		t.Errorf("/var/lib/boots = %q, want the first boot's line and the start's", got)
	}
	if _, err := os.Stat(root.Path("/run/booted")); !os.IsNotExist(err) {
		t.Errorf("/run survived the stop and start (stat: %v)", err)
	}
	if got := root.ReadFile(userDataPath); got != userData {
		t.Errorf("the user data changed at the start: %q", got)
	}
}

// TestAServiceLeavesWhatItStartsRunningUntilTheInstanceStops: as under
// systemd, a service's background child outlives the service's command,
// and ends with the instance.
func TestAServiceLeavesWhatItStartsRunningUntilTheInstanceStops(t *testing.T) {
	RequireFirstBoot(t)
	RequireTool(t, "nsenter", "apt-get install util-linux")
	ctx := testContext(t, time.Minute)
	root := InstanceRoot(t.TempDir())
	inst, err := BootInstanceE(ctx, root, []byte("#!/bin/bash\ntrue\n"), []string{"PATH=" + os.Getenv("PATH")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Stop() })
	done, err := inst.Service("sleep 600 & echo $! >/run/child; echo started")
	if err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.ExitCode != 0 || res.Stdout != "started\n" {
		t.Fatalf("the service's command:\n%s", res)
	}
	child, err := strconv.Atoi(strings.TrimSpace(root.ReadFile("/run/child")))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(child, 0); err != nil {
		t.Fatalf("the service's child %d ended with the service's command: %v", child, err)
	}
	if err := inst.Stop(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, child)
}
