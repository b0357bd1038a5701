package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStopKillsWholeProcessGroup shows that stop leaves no orphans: a
// background child of the process dies with it.
func TestStopKillsWholeProcessGroup(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The child ignores SIGTERM, so only the group-wide SIGKILL ends it.
	cmd := exec.Command(sh, "-c", `(trap '' TERM; exec sleep 300) & echo $! > "$1"; exec sleep 300`, "sh", pidFile)
	p, err := startProcess("sleeper", cmd, filepath.Join(dir, "sleeper.log"))
	if err != nil {
		t.Fatal(err)
	}
	childPID := readPIDFile(t, pidFile)
	if !processAlive(t, childPID) {
		t.Fatalf("background child %d is not running before stop", childPID)
	}

	if err := p.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	select {
	case <-p.exited:
	default:
		t.Fatal("stop returned before the group leader was reaped")
	}
	waitGone(t, childPID)
}

// TestStartServerFailsWhenServerExits shows that a server that dies at start
// fails the test, after retrying on fresh ports, with its output attached.
func TestStartServerFailsWhenServerExits(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	starts := 0
	f := runFake(t, func(tb testing.TB) {
		startServer(tb, serverSpec{
			name: "crasher",
			command: func(port int) *exec.Cmd {
				starts++
				return exec.Command(sh, "-c", "echo cannot bind port $0 >&2; exit 3", strconv.Itoa(port))
			},
			probePath: "/",
			timeout:   time.Minute,
		})
		t.Error("startServer returned for a server that exited")
	})
	fatal, _ := f.outcome()
	if !strings.Contains(fatal, "exited before answering") || !strings.Contains(fatal, "cannot bind port") {
		t.Errorf("fatal message %q should say the server exited and include its output", fatal)
	}
	if starts != portAttempts {
		t.Errorf("server started %d times, want %d", starts, portAttempts)
	}
}

// TestStartServerTimesOut shows that a server that never answers fails the
// test within the bound, and is killed.
func TestStartServerTimesOut(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	pidFile := filepath.Join(t.TempDir(), "mute.pid")
	starts := 0
	f := runFake(t, func(tb testing.TB) {
		startServer(tb, serverSpec{
			name: "mute",
			command: func(int) *exec.Cmd {
				starts++
				return exec.Command(sh, "-c", `echo $$ > "$0"; exec sleep 300`, pidFile)
			},
			probePath: "/",
			timeout:   500 * time.Millisecond,
		})
		t.Error("startServer returned for a server that never answered")
	})
	if fatal, _ := f.outcome(); !strings.Contains(fatal, "did not answer") {
		t.Errorf("fatal message %q should say the server did not answer", fatal)
	}
	if starts != 1 {
		t.Errorf("server started %d times, want 1: a server that hangs is not retried", starts)
	}
	waitGone(t, readPIDFile(t, pidFile))
}

// readPIDFile waits, for a bounded time, until a shell has written a PID to
// path, and returns it.
func readPIDFile(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if s := strings.TrimSpace(string(b)); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("%s holds %q, not a PID", path, b)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PID in %s after 10s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
