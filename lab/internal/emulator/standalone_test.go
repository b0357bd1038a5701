package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// standaloneOutput is what testdata/standalone prints.
type standaloneOutput struct {
	Moto, IMDS, Proxy string
	Calls             int
}

// TestStandaloneProgram shows the error-returning API at work outside any
// test, as cmd/demo uses it: from a "go run" binary started in the module
// root, from a built binary started outside the module, and in a binary that
// crashes without closing anything, which must not leave servers behind.
func TestStandaloneProgram(t *testing.T) {
	goCmd := RequireTool(t, "go", goInstallHint)
	RequireTool(t, "moto_server", motoInstallHint)
	root := moduleRoot(t, goCmd)
	const pkg = "./internal/emulator/testdata/standalone"

	t.Run("go run from the module root", func(t *testing.T) {
		out, stderr, code := runIn(t, root, goCmd, "run", pkg)
		if code != 0 {
			t.Fatalf("go run %s: exit code %d\n%s", pkg, code, stderr)
		}
		requireAllStopped(t, out)
	})

	bin := filepath.Join(t.TempDir(), "standalone")
	if _, stderr, code := runIn(t, root, goCmd, "build", "-o", bin, pkg); code != 0 {
		t.Fatalf("go build %s: exit code %d\n%s", pkg, code, stderr)
	}
	t.Run("built binary outside the module", func(t *testing.T) {
		out, stderr, code := runIn(t, t.TempDir(), bin)
		if code != 0 {
			t.Fatalf("%s: exit code %d\n%s", bin, code, stderr)
		}
		requireAllStopped(t, out)
	})
	t.Run("crash without Close", func(t *testing.T) {
		out, stderr, code := runIn(t, t.TempDir(), bin, "-crash")
		if code != 3 {
			t.Fatalf("%s -crash: exit code %d, want 3\n%s", bin, code, stderr)
		}
		// The kernel kills the servers when their parent dies, but
		// asynchronously. (A dying process's cmdline is empty while it
		// still holds its sockets, so wait for the port, then look.)
		for _, u := range []string{out.Moto, out.IMDS} {
			waitRefused(t, u)
			for _, pid := range serverPIDs(t, u) {
				waitGone(t, pid)
			}
		}
	})
}

// runIn runs name with args in dir with the test's environment, bounded by
// a generous timeout, and returns what it printed on stdout (parsed) and
// stderr, and its exit code.
func runIn(t *testing.T, dir, name string, args ...string) (standaloneOutput, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(testContext(t, 5*time.Minute), name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("run %s: %v", name, err)
	}
	var out standaloneOutput
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("%s printed %q: %v", name, stdout.String(), err)
		}
	}
	return out, stderr.String(), cmd.ProcessState.ExitCode()
}

// requireAllStopped fails the test unless the program used all three
// servers and left none of them running.
func requireAllStopped(t *testing.T, out standaloneOutput) {
	t.Helper()
	if out.Moto == "" || out.IMDS == "" || out.Proxy == "" || out.Calls != 1 {
		t.Fatalf("program printed %+v, want three URLs and one call through the proxy", out)
	}
	for _, u := range []string{out.Moto, out.IMDS, out.Proxy} {
		requireRefused(t, u)
	}
	for _, u := range []string{out.Moto, out.IMDS} {
		if pids := serverPIDs(t, u); len(pids) > 0 {
			t.Errorf("processes %v serving %s are still alive after Close", pids, u)
		}
	}
}

// waitRefused waits, for a bounded time, until nothing listens at baseURL.
func waitRefused(t *testing.T, baseURL string) {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("parse %q: %v", baseURL, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if err == nil {
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still not refusing connections 10s after its owner died (last dial: %v)", baseURL, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// moduleRoot returns the directory of this module's go.mod.
func moduleRoot(t *testing.T, goCmd string) string {
	t.Helper()
	out, err := exec.CommandContext(testContext(t, time.Minute), goCmd, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || !filepath.IsAbs(gomod) {
		t.Fatalf("go env GOMOD = %q, %v; want this module's go.mod", gomod, err)
	}
	return filepath.Dir(gomod)
}

// serverPIDs returns the live processes that were started to serve baseURL's
// port (with "-p PORT" or "--port PORT", as moto_server and the metadata
// mock are).
func serverPIDs(t *testing.T, baseURL string) []int {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("parse %q: %v", baseURL, err)
	}
	port := u.Port()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("list processes: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // gone meanwhile
		}
		args := strings.Split(string(cmdline), "\x00")
		for i := 1; i < len(args); i++ {
			if args[i] == port && slices.Contains([]string{"-p", "--port"}, args[i-1]) && processAlive(t, pid) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
