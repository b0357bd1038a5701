package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
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
	// state), and then stopping fails rather than hangs.
	reapTimeout = 10 * time.Second
	// portAttempts bounds how often a server is restarted on a new port when
	// it exits before answering, which is what losing the race for a free
	// port looks like.
	portAttempts = 3
	// logTailBytes is how much of a server's output is attached to a start
	// error or a failed test.
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
	release func()        // if not nil, stop calls it: it frees the port reserved for the process

	stopOnce sync.Once
	stopErr  error
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
	setParentDeathSignal(cmd.SysProcAttr)
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
// returns once the group leader has been reaped. Only the first call signals
// anything (the group's ID could be reused once it is gone); later calls
// return the first one's result.
func (p *process) stop() error {
	p.stopOnce.Do(func() {
		p.stopErr = p.stopGroup()
		if p.release != nil {
			p.release()
		}
	})
	return p.stopErr
}

// stopGroup does the work of stop.
func (p *process) stopGroup() error {
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
	// name identifies the server in logs and error messages.
	name string
	// command returns the command that serves HTTP on 127.0.0.1:port.
	command func(port int) *exec.Cmd
	// probePath is requested until the server answers; any HTTP status
	// counts as an answer.
	probePath string
	// timeout bounds the wait for the first answer.
	timeout time.Duration
}

// startServerE starts spec on a reserved loopback port (see
// [ReserveLoopbackPort]; a port the kernel handed out and took back could be
// handed to another process first, whose server would then answer the
// probe), with its output logged in logDir, and waits until it answers
// HTTP. It returns the running process and its base URL
// (http://127.0.0.1:PORT); the caller must stop the process, which frees
// the port. If the server cannot be started, nothing is left running and
// the error includes the tail of the server's output.
func startServerE(spec serverSpec, logDir string) (*process, string, error) {
	var lastErr error
	for attempt := 1; attempt <= portAttempts; attempt++ {
		port, release, err := reserveLoopbackPort()
		if err != nil {
			return nil, "", fmt.Errorf("start %s: %w", spec.name, err)
		}
		logPath := filepath.Join(logDir, fmt.Sprintf("%s-%d.log", spec.name, attempt))
		p, err := startProcess(spec.name, spec.command(port), logPath)
		if err != nil {
			release()
			return nil, "", err
		}
		p.release = release
		baseURL := fmt.Sprintf("http://127.0.0.1:%d", port)
		err = waitHTTP(p, baseURL+spec.probePath, spec.timeout)
		if err == nil {
			return p, baseURL, nil
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
		// Most likely a program took the port between
		// reserveLoopbackPort and bind: try another one.
	}
	return nil, "", fmt.Errorf("start %s: %w", spec.name, lastErr)
}

// server is a child server that owns a temporary directory (for its log
// and any configuration), as [Moto] and [IMDS] hold it.
type server struct {
	proc *process
	dir  string

	closeOnce sync.Once
	closeErr  error

	mu        sync.Mutex
	closed    bool
	finalTail string // the log tail at close, once dir is gone
}

// startOwnedServer creates a temporary directory for a server called name,
// asks specFor (which may write configuration files there) how to run it,
// and starts it with its log in that directory. On failure it removes the
// directory again.
func startOwnedServer(name string, specFor func(dir string) (serverSpec, error)) (*server, string, error) {
	dir, err := os.MkdirTemp("", "emulator-"+name+"-")
	if err != nil {
		return nil, "", fmt.Errorf("start %s: create its directory: %w", name, err)
	}
	spec, err := specFor(dir)
	if err != nil {
		return nil, "", errors.Join(err, removeDir(dir))
	}
	p, url, err := startServerE(spec, dir)
	if err != nil {
		return nil, "", errors.Join(err, removeDir(dir))
	}
	return &server{proc: p, dir: dir}, url, nil
}

// close stops the server's process group and removes its directory, keeping
// the log tail in memory. Only the first call does anything; later ones
// return its result.
func (s *server) close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		stopErr := s.proc.stop()
		tail := s.proc.logTail()
		s.mu.Lock()
		s.closed, s.finalTail = true, tail
		s.mu.Unlock()
		s.closeErr = errors.Join(stopErr, removeDir(s.dir))
	})
	return s.closeErr
}

// logTail returns the last logTailBytes of the server's output, also after
// close.
func (s *server) logTail() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.finalTail
	}
	return s.proc.logTail()
}

// removeDir removes dir and everything in it.
func removeDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
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

// ReserveLoopbackPort returns a TCP port, free on all addresses when asked,
// that no other test takes until t ends: for a program the test configures
// to listen there, also one it stops and starts again on the same port (an
// instance's nginx, at each heal), or a port that nothing must listen on.
//
// A port the kernel hands to a bind of port 0, released for the program to
// bind, is not fit for that: until the program binds it, and whenever it is
// down, the kernel may hand that port to any process binding port 0 (the
// httptest servers and emulators of test packages running in parallel),
// and the program then cannot bind it, while its clients reach that other
// server. So the port comes from outside the kernel's ephemeral range
// (net.ipv4.ip_local_port_range), which the kernel never hands to a bind
// of port 0; and while t runs this process holds an flock on the port's
// lock file in os.TempDir() (see lockPort), which every ReserveLoopbackPort,
// in this process or another, takes before it uses a port.
func ReserveLoopbackPort(t testing.TB) int {
	t.Helper()
	port, release, err := reserveLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return port
}

// reservedPortAttempts bounds how many random candidates
// reserveLoopbackPort tries before it gives up.
const reservedPortAttempts = 200

// reserveLoopbackPort does the work of ReserveLoopbackPort; release drops
// the port's lock.
func reserveLoopbackPort() (port int, release func(), err error) {
	lo, hi, err := ephemeralPortRange()
	if err != nil {
		return 0, nil, err
	}
	// Unprivileged ports below and above the ephemeral range.
	below, above := max(lo-1024, 0), max(65535-hi, 0)
	if below+above == 0 {
		return 0, nil, fmt.Errorf("reserve a loopback port: the ephemeral port range %d-%d leaves no port outside it (sysctl net.ipv4.ip_local_port_range)", lo, hi)
	}
	for range reservedPortAttempts {
		n := rand.IntN(below + above)
		port = 1024 + n
		if n >= below {
			port = hi + 1 + n - below
		}
		unlock, err := lockPort(port)
		if err != nil {
			return 0, nil, err
		}
		if unlock == nil {
			continue // another test holds it
		}
		// Free on every address, as a server listening on all of them
		// (nginx's "listen PORT" and "listen [::]:PORT") needs it.
		l, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		if err != nil {
			unlock()
			continue // some program listens there
		}
		l.Close()
		return port, unlock, nil
	}
	return 0, nil, fmt.Errorf("reserve a loopback port: no free port outside the ephemeral range %d-%d in %d tries", lo, hi, reservedPortAttempts)
}

// lockPort takes port's lock without waiting: a function that releases
// it, or nil if someone else holds it. The lock is an flock on a file in
// os.TempDir(), which the process's end releases too; releasing removes the
// file while still holding the lock, so a taker that opened it before then
// finds, once it has the lock, that the path no longer names its file, and
// counts the port as held.
func lockPort(port int) (release func(), err error) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("selfhealing-emulator-port-%d.lock", port))
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("reserve a loopback port: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("reserve a loopback port: lock %s: %w", path, err)
	}
	held, errHeld := f.Stat()
	named, errNamed := os.Stat(path)
	if errHeld != nil || errNamed != nil || !os.SameFile(held, named) {
		f.Close()
		return nil, nil // its holder released it meanwhile: try another
	}
	return func() {
		os.Remove(path)
		f.Close()
	}, nil
}

// ephemeralPortRange returns the kernel's range of ports for binds of port
// 0 and for connections. Without Linux's setting it assumes IANA's dynamic
// range, the BSDs' and macOS's default.
func ephemeralPortRange() (lo, hi int, err error) {
	b, err := os.ReadFile(ipLocalPortRange)
	if errors.Is(err, os.ErrNotExist) {
		return 49152, 65535, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read the ephemeral port range: %w", err)
	}
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil || lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("read the ephemeral port range: %s holds %q", ipLocalPortRange, b)
	}
	return lo, hi, nil
}

// ipLocalPortRange is Linux's setting of the ephemeral port range.
const ipLocalPortRange = "/proc/sys/net/ipv4/ip_local_port_range"
