package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

const (
	// stopGrace is how long a stopped process group gets to exit after
	// SIGTERM before it is sent SIGKILL.
	stopGrace = 5 * time.Second
	// reapTimeout bounds the wait for the group leader after SIGKILL; it only
	// trips if the kernel cannot kill it (for example a process stuck in D
	// state), and then the test fails rather than hangs.
	reapTimeout = 10 * time.Second
	// portAttempts bounds how often a server is restarted on a new port when
	// it exits before answering, which is what losing the race for a free
	// port looks like.
	portAttempts = 3
	// logTailBytes is how much of a server's output is attached to a failed
	// test.
	logTailBytes = 8 << 10
)

// process is a long-running child started in its own process group, with its
// stdout and stderr captured in a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error         // the result of cmd.Wait; read only after exited is closed
}

// startProcess starts cmd in a new process group with its output appended to
// logPath. The caller must eventually call stop.
func startProcess(name string, cmd *exec.Cmd, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log for %s: %w", name, err)
	}
	// The child inherits the descriptor; the parent's copy is not needed once
	// it has started.
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// stop ends the whole process group: SIGTERM first, SIGKILL after stopGrace
// (or at once, for whatever is left once the leader has exited, since
// children such as the interpreter behind a pyenv shim can outlive it). It
// returns once the group leader has been reaped.
func (p *process) stop() error {
	pgid := p.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: SIGTERM process group %d: %w", p.name, pgid, err)
	}
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: SIGKILL process group %d: %w", p.name, pgid, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(reapTimeout):
		return fmt.Errorf("stop %s: process %d still not reaped %v after SIGKILL", p.name, pgid, reapTimeout)
	}
}

// logTail returns the last logTailBytes of the process's output.
func (p *process) logTail() string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > logTailBytes {
		if _, err := f.Seek(-logTailBytes, io.SeekEnd); err != nil {
			return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
	}
	return string(b)
}

// serverSpec describes a loopback HTTP server to run as a child process.
type serverSpec struct {
	// name identifies the server in logs and failure messages.
	name string
	// command returns the command that serves HTTP on 127.0.0.1:port.
	command func(port int) *exec.Cmd
	// probePath is requested until the server answers; any HTTP status
	// counts as an answer.
	probePath string
	// timeout bounds the wait for the first answer.
	timeout time.Duration
}

// startServer starts spec on a free loopback port, waits until it answers
// HTTP, and registers a t.Cleanup that stops its process group. It returns the
// running process and its base URL (http://127.0.0.1:PORT), and fails the test
// if the server cannot be started.
func startServer(t testing.TB, spec serverSpec) (*process, string) {
	t.Helper()
	logDir := t.TempDir()
	var lastErr error
	for attempt := 1; attempt <= portAttempts; attempt++ {
		port, err := freeLoopbackPort()
		if err != nil {
			t.Fatalf("start %s: %v", spec.name, err)
		}
		logPath := filepath.Join(logDir, fmt.Sprintf("%s-%d.log", spec.name, attempt))
		p, err := startProcess(spec.name, spec.command(port), logPath)
		if err != nil {
			t.Fatalf("%v", err)
		}
		baseURL := fmt.Sprintf("http://127.0.0.1:%d", port)
		err = waitHTTP(p, baseURL+spec.probePath, spec.timeout)
		if err == nil {
			t.Cleanup(func() {
				if err := p.stop(); err != nil {
					t.Errorf("%v", err)
				}
				if t.Failed() {
					t.Logf("%s output (%s):\n%s", spec.name, p.logPath, p.logTail())
				}
			})
			return p, baseURL
		}
		diedOnItsOwn := false
		select {
		case <-p.exited:
			diedOnItsOwn = true
		default:
		}
		stopErr := p.stop()
		lastErr = fmt.Errorf("%w\n%s output:\n%s", errors.Join(err, stopErr), spec.name, p.logTail())
		if !diedOnItsOwn {
			break // it hangs: another port will not help
		}
		// Most likely another process took the port between
		// freeLoopbackPort and bind: try another one.
	}
	t.Fatalf("start %s: %v", spec.name, lastErr)
	return nil, ""
}

// waitHTTP polls url until it answers with any HTTP status, the process
// exits, or timeout elapses.
func waitHTTP(p *process, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("probe %s: %w", url, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before answering %s: %v", p.name, url, p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer %s within %v: %w", p.name, url, timeout, err)
		case <-tick.C:
		}
	}
}

// freeLoopbackPort asks the kernel for a currently unused TCP port on
// 127.0.0.1. The port is released before it is returned, so a caller can
// lose it to another process; startServer retries when that happens.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
