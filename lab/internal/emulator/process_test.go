package emulator

import (
	"net"
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
// is reported, after retrying on fresh ports, with its output attached.
func TestStartServerFailsWhenServerExits(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	starts := 0
	p, url, err := startServerE(serverSpec{
		name: "crasher",
		command: func(port int) *exec.Cmd {
			starts++
			return exec.Command(sh, "-c", "echo cannot bind port $0 >&2; exit 3", strconv.Itoa(port))
		},
		probePath: "/",
		timeout:   time.Minute,
	}, t.TempDir())
	if err == nil {
		p.stop()
		t.Fatalf("startServerE returned %s for a server that exited", url)
	}
	if msg := err.Error(); !strings.Contains(msg, "exited before answering") || !strings.Contains(msg, "cannot bind port") {
		t.Errorf("error %q should say the server exited and include its output", msg)
	}
	if starts != portAttempts {
		t.Errorf("server started %d times, want %d", starts, portAttempts)
	}
}

// TestStartServerTimesOut shows that a server that never answers is
// reported within the bound, and is killed.
func TestStartServerTimesOut(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	pidFile := filepath.Join(t.TempDir(), "mute.pid")
	starts := 0
	p, url, err := startServerE(serverSpec{
		name: "mute",
		command: func(int) *exec.Cmd {
			starts++
			return exec.Command(sh, "-c", `echo $$ > "$0"; exec sleep 300`, pidFile)
		},
		probePath: "/",
		timeout:   500 * time.Millisecond,
	}, t.TempDir())
	if err == nil {
		p.stop()
		t.Fatalf("startServerE returned %s for a server that never answered", url)
	}
	if !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("error %q should say the server did not answer", err)
	}
	if starts != 1 {
		t.Errorf("server started %d times, want 1: a server that hangs is not retried", starts)
	}
	waitGone(t, readPIDFile(t, pidFile))
}

// TestStopIsIdempotent shows that stopping a process again neither fails
// nor signals anything.
func TestStopIsIdempotent(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	dir := t.TempDir()
	p, err := startProcess("sleeper", exec.Command(sh, "-c", "exec sleep 300"), filepath.Join(dir, "sleeper.log"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := p.stop(); err != nil {
			t.Fatalf("stop #%d: %v", i+1, err)
		}
	}
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

// TestReservedLoopbackPortIsNeverHandedOutByTheKernel: a port from
// ReserveLoopbackPort, which the caller's server releases each time it
// stops, is outside the kernel's ephemeral range, so no bind of port 0
// (another test's server) is handed it; and no other reservation gets it
// while the test holds it. A port that a bind of port 0 was handed and
// released, as the former FreeLoopbackPort's were, fails this: it is in the range, and
// the kernel hands it out again (in this loop of binds, as in a full test
// run), which is how an instance's nginx lost its port between two heals.
func TestReservedLoopbackPortIsNeverHandedOutByTheKernel(t *testing.T) {
	lo, hi, err := ephemeralPortRange()
	if err != nil {
		t.Fatal(err)
	}
	port := ReserveLoopbackPort(t)
	if port >= lo && port <= hi {
		t.Errorf("reserved port %d is in the ephemeral range %d-%d: a bind of port 0 can be handed it", port, lo, hi)
	}
	// The kernel's own answer, not only its setting: twice as many binds of
	// port 0 as the range has ports, each released at once as a stopped
	// server's is.
	for i := range 2 * (hi - lo + 1) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		got := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if got == port {
			t.Fatalf("bind %d of port 0 was handed the reserved port %d", i+1, port)
		}
		if got < lo || got > hi {
			t.Fatalf("bind %d of port 0 was handed port %d, outside the ephemeral range %d-%d read from %s", i+1, got, lo, hi, ipLocalPortRange)
		}
	}
	// A second taker, here or in another process, is refused its lock.
	if unlock, err := lockPort(port); err != nil || unlock != nil {
		if unlock != nil {
			unlock()
		}
		t.Errorf("lockPort(%d) while the test holds it: granted %v, error %v; want it refused", port, unlock != nil, err)
	}
	seen := map[int]bool{port: true}
	for range 50 {
		p, release, err := reserveLoopbackPort()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(release)
		if seen[p] {
			t.Fatalf("port %d reserved twice while held", p)
		}
		seen[p] = true
	}
}
