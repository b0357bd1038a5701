package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeTB stands in for a test so that a helper's Fatalf or Skipf can be
// observed without ending the real test. Everything else (TempDir, Cleanup,
// Logf, ...) goes to the real test it embeds.
type fakeTB struct {
	testing.TB

	mu          sync.Mutex
	fatal, skip string
}

func (f *fakeTB) Fatalf(format string, args ...any) { f.end(&f.fatal, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Fatal(args ...any)                 { f.end(&f.fatal, fmt.Sprint(args...)) }
func (f *fakeTB) FailNow()                          { f.end(&f.fatal, "FailNow") }
func (f *fakeTB) Skipf(format string, args ...any)  { f.end(&f.skip, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Skip(args ...any)                  { f.end(&f.skip, fmt.Sprint(args...)) }
func (f *fakeTB) SkipNow()                          { f.end(&f.skip, "SkipNow") }

// end records msg and ends the calling goroutine, as the testing package
// does.
func (f *fakeTB) end(dst *string, msg string) {
	f.mu.Lock()
	*dst = msg
	f.mu.Unlock()
	runtime.Goexit()
}

// outcome returns the recorded Fatalf and Skipf messages ("" if none).
func (f *fakeTB) outcome() (fatal, skip string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fatal, f.skip
}

// runFake runs fn with a fakeTB on its own goroutine, so that a Fatalf or
// Skipf in fn ends only fn, and returns the fakeTB once fn has ended.
func runFake(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	t.Helper()
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

// testContext returns a context that ends with the test or after timeout,
// which is meant only to turn a hang into a failure.
func testContext(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// processAlive reports whether pid is a live (not zombie) process.
func processAlive(t *testing.T, pid int) bool {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatalf("read state of process %d: %v", pid, err)
	}
	// pid (comm) state ...; comm may contain spaces and parentheses.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// waitGone waits, for a bounded time, until pid is no longer alive; it
// allows for the kernel delivering SIGKILL asynchronously to processes we
// did not reap ourselves.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(t, pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive 10s after its process group was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// requireRefused fails the test unless nothing listens at baseURL any more,
// which shows that a server's cleanup stopped it.
func requireRefused(t *testing.T, baseURL string) {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("parse %q: %v", baseURL, err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after cleanup", baseURL)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s after cleanup: got %v, want connection refused", baseURL, err)
	}
}

// runAWS runs the AWS CLI with env and args, failing the test only if it
// cannot be run at all.
func runAWS(t *testing.T, env []string, args ...string) CommandResult {
	t.Helper()
	aws := RequireAWSCLIv2(t)
	res, err := RunCommand(testContext(t, 2*time.Minute), env, aws, args...)
	if err != nil {
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// requireCLIError fails the test unless res is the AWS CLI failing with the
// error code code while calling operation.
func requireCLIError(t *testing.T, res CommandResult, code, operation string) {
	t.Helper()
	want := "An error occurred (" + code + ") when calling the " + operation + " operation"
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, want) {
		t.Fatalf("want the AWS CLI to fail with %q; got %v", want, res)
	}
}

// requireCLISuccess fails the test unless the AWS CLI succeeded.
func requireCLISuccess(t *testing.T, res CommandResult) {
	t.Helper()
	if res.ExitCode != 0 {
		t.Fatalf("want the AWS CLI to succeed; got %v", res)
	}
}

// requireClosesCleanly calls closeServer twice and fails the test unless
// both calls succeed, the server at url refuses connections, its process pid
// is gone, and its directory dir is removed.
func requireClosesCleanly(t *testing.T, closeServer func() error, url string, pid int, dir string) {
	t.Helper()
	if err := closeServer(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	requireRefused(t, url)
	if processAlive(t, pid) {
		t.Errorf("the server (process %d) is alive after Close", pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the server's directory %s still exists after Close (stat: %v)", dir, err)
	}
	if err := closeServer(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
