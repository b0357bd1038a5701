package userdata_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The health check runs under systemd on an instance; no test namespace has
// one, so these tests run what selfhealing-health.service runs, one tick at
// a time, on the instance the boot left behind.

// app is a stand-in application on the host's loopback: it answers
// /healthz with the status it is set to, and nothing once stopped. It
// records each request's target as the client sent it.
type app struct {
	srv    *httptest.Server
	status atomic.Int32

	mu      sync.Mutex
	targets []string
}

func startApp(t *testing.T) *app {
	t.Helper()
	a := &app{}
	a.status.Store(http.StatusOK)
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.targets = append(a.targets, r.RequestURI)
		a.mu.Unlock()
		w.WriteHeader(int(a.status.Load()))
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// requests returns the request targets a has answered, in order.
func (a *app) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.targets)
}

// healthParams are g's parameters with a URL check on a.
func (g *gated) healthParams(a *app) userdata.Params {
	p := g.params()
	p.HealthCheck = &userdata.HealthCheckParams{URL: a.srv.URL + "/healthz", ExpectedStatus: 200, IntervalSeconds: 15, TimeoutSeconds: 2, FailureThreshold: 3}
	return p
}

// ticks runs the timer's service n times on g's instance and returns the
// new lines of the boot log, one slice per tick.
func (g *gated) ticks(n int) [][]string {
	g.t.Helper()
	unit := g.fs.ReadFile(filepath.Join(userdata.UnitDir, userdata.HealthService))
	const exec = "ExecStart=" + userdata.InstalledBootScript + " --health-check\n"
	if !strings.Contains(unit, exec) {
		g.t.Fatalf("%s lacks %q:\n%s", userdata.HealthService, exec, unit)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	var out [][]string
	for i := 0; i < n; i++ {
		before := len(g.fs.ReadFile(userdata.LogFile))
		res, err := emulator.RunOnInstance(ctx, g.fs, "exec "+userdata.InstalledBootScript+" --health-check\n", g.env(), 1)
		if err != nil || res[0].ExitCode != 0 {
			g.t.Fatalf("health check tick %d: %v\n%v", i+1, err, res)
		}
		var lines []string
		sc := bufio.NewScanner(strings.NewReader(g.fs.ReadFile(userdata.LogFile)[before:]))
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		out = append(out, lines)
	}
	return out
}

// wantTick fails the test unless the tick logged exactly one line, which
// contains want, or nothing if want is "".
func wantTick(t *testing.T, i int, lines []string, want string) {
	t.Helper()
	switch {
	case want == "" && len(lines) != 0:
		t.Errorf("tick %d logged %q, want nothing", i, lines)
	case want != "" && !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, want) }):
		t.Errorf("tick %d logged %q, want a line with %q", i, lines, want)
	}
}

func TestHealthCheckReportsUnhealthyOnceAtTheThreshold(t *testing.T) {
	g := newGated(t)
	a := startApp(t)
	r := g.firstBoot(g.healthParams(a))
	g.wantReady(r)
	if !strings.Contains(r.Log, "app health check passed: HTTP 200 from "+a.srv.URL) {
		t.Errorf("the boot did not wait for the first health check:\n%s", r.Log)
	}
	// The check gates the launch: it passed before the script said ready.
	passed, ready := logTime(t, r.Log, "app health check passed"), logTime(t, r.Log, "ready: ")
	if ready.Before(passed) {
		t.Errorf("ready at %v, before the health check passed at %v", ready, passed)
	}

	// Healthy, a wrong answer, recovered; then the application dies.
	ticks := g.ticks(1)
	wantTick(t, 1, ticks[0], "app health check: healthy: HTTP 200")
	a.status.Store(http.StatusServiceUnavailable)
	wantTick(t, 2, g.ticks(1)[0], "failing (1/3): HTTP 503 from "+a.srv.URL+"/healthz")
	a.status.Store(http.StatusOK)
	wantTick(t, 3, g.ticks(1)[0], "recovered: HTTP 200")
	wantTick(t, 4, g.ticks(1)[0], "")
	a.srv.Close()
	// Auto Scaling throttles the first report; the check retries it.
	g.api.FailFirst("SetInstanceHealth", 1, emulator.APIError{Status: 400, Code: "Throttling", Message: "Rate exceeded"})
	ticks = g.ticks(5)
	wantTick(t, 5, ticks[0], "failing (1/3): no HTTP answer from")
	wantTick(t, 6, ticks[1], "failing (2/3)")
	wantTick(t, 7, ticks[2], "unhealthy after 3 failed checks in a row")
	wantTick(t, 7, ticks[2], "set-instance-health (attempt 1/4):  An error occurred (Throttling)")
	wantTick(t, 7, ticks[2], "set-instance-health Unhealthy taken; the group replaces this instance")
	wantTick(t, 8, ticks[3], "")
	wantTick(t, 9, ticks[4], "")

	if n := g.api.Calls("SetInstanceHealth"); n != 2 {
		t.Errorf("SetInstanceHealth called %d times, want once throttled and once taken", n)
	}
	reports := g.asg.HealthReports(g.group.InstanceID)
	if len(reports) != 1 || reports[0].Result != emulator.HealthUnhealthy || !reports[0].RespectGracePeriod || reports[0].Group != g.group.Name {
		t.Fatalf("health reports %v, want one Unhealthy that respects the grace period", reports)
	}
	// As AWS would, the group replaced the instance.
	ids, err := emulator.GroupInstanceIDs(context.Background(), g.cfg, g.group.Name)
	if err != nil || len(ids) != 1 || ids[0] == g.group.InstanceID {
		t.Errorf("the group holds %v (%v), want a replacement", ids, err)
	}
	state := strings.Fields(g.fs.ReadFile(userdata.HealthStateFile))
	if len(state) != 3 || state[0] != "unhealthy" || state[1] != "5" || state[2] == "0" {
		t.Errorf("health state %q, want unhealthy, 5 failures, a report time", state)
	}
}

// Brackets and braces are legal in a query as browsers and Go's url.Parse
// read one, and the component accepts them; curl would read them as globs
// (a range, a list). The check must fetch the URL exactly once, as it is,
// and judge that one answer; a "$" stays a "$".
func TestHealthCheckFetchesTheURLLiterally(t *testing.T) {
	for _, tc := range []struct{ name, target string }{
		{"brackets", "/healthz?filter[status]=up&x[]=1"},
		{"braces", "/healthz?fields={a,b}&v=$HOME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGated(t)
			a := startApp(t)
			p := g.healthParams(a)
			p.LaunchGate = nil // the timer alone judges the application
			p.HealthCheck.URL = a.srv.URL + tc.target
			g.wantReady(g.firstBoot(p))
			wantTick(t, 1, g.ticks(1)[0], "app health check: healthy: HTTP 200 from "+p.HealthCheck.URL)
			if got := a.requests(); !slices.Equal(got, []string{tc.target}) {
				t.Errorf("the application was asked for %q, want %q once", got, tc.target)
			}
		})
	}
}

func TestHealthCheckWaitsForTheBootAndTimesOutItsCommand(t *testing.T) {
	g := newGated(t)
	p := g.params()
	p.LaunchGate = nil // the timer alone judges the application
	p.HealthCheck = &userdata.HealthCheckParams{Command: "test -e /run/app.up && sleep \"$(cat /run/app.up)\"", IntervalSeconds: 3, TimeoutSeconds: 1, FailureThreshold: 2}
	p.UserScript = "echo 0 >/run/app.up"
	r := g.firstBoot(p)
	g.wantReady(r)
	if !strings.Contains(r.Log, "app health check: the timer checks the application every 3s from now on") {
		t.Errorf("without the gate the boot should leave the check to the timer:\n%s", r.Log)
	}
	// A reboot: /run is empty, the boot script has not run yet.
	if err := g.fs.Reboot(); err != nil {
		t.Fatal(err)
	}
	ticks := g.ticks(2)
	wantTick(t, 1, ticks[0], "not checking before the boot script is ready (status: none)")
	wantTick(t, 2, ticks[1], "")
	// The boot puts the application back (the user script does not run
	// again: the test does it), and the check begins.
	later := g.laterBoot()
	g.wantReady(later)
	if err := os.WriteFile(g.fs.Path("/run/app.up"), []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantTick(t, 3, g.ticks(1)[0], "healthy: the check command exited 0")
	// The application hangs: the check gives up after its timeout.
	if err := os.WriteFile(g.fs.Path("/run/app.up"), []byte("30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ticks = g.ticks(2)
	wantTick(t, 4, ticks[0], "failing (1/2): the check command did not finish within 1s")
	wantTick(t, 5, ticks[1], "unhealthy after 2 failed checks in a row")
	if n := g.api.Calls("SetInstanceHealth"); n != 1 {
		t.Errorf("SetInstanceHealth called %d times, want once", n)
	}
}

func TestHealthCheckThatNeverPassesAbandonsTheLaunch(t *testing.T) {
	g := newGated(t)
	a := startApp(t)
	a.status.Store(http.StatusInternalServerError)
	p := g.healthParams(a)
	p.LaunchGate.TimeoutSeconds = 30 // the shortest: the wait is 27 s
	r := g.firstBoot(p)
	wantOneFailure(t, r, "waiting for the app health check to pass", "did not pass before the launch gate's time ran out", "HTTP 500")
	if done := g.asg.Completions(g.group.InstanceID); len(done) != 1 || done[0].Result != emulator.LifecycleAbandon {
		t.Errorf("completions %v, want one ABANDON", done)
	}
	if n := g.api.Calls("SetInstanceHealth"); n != 0 {
		t.Errorf("SetInstanceHealth called %d times during the boot", n)
	}
}

func TestHealthUnitsAreValid(t *testing.T) {
	g := newGated(t)
	a := startApp(t)
	p := g.healthParams(a)
	p.HealthCheck.IntervalSeconds = 20
	g.wantReady(g.firstBoot(p))
	units := map[string]string{}
	for _, name := range []string{userdata.BootUnit, userdata.HealthService, userdata.HealthTimer} {
		units[name] = g.fs.ReadFile(filepath.Join(userdata.UnitDir, name))
	}
	for name, want := range map[string][]string{
		userdata.BootUnit: {"[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=" + userdata.InstalledBootScript + "\n",
			"Wants=network-online.target\nAfter=network-online.target\nBefore=multi-user.target\n", "[Install]\nWantedBy=multi-user.target\n"},
		userdata.HealthService: {"After=" + userdata.BootUnit + "\n", "Type=oneshot\nExecStart=" + userdata.InstalledBootScript + " --health-check\n"},
		userdata.HealthTimer:   {"OnActiveSec=20s\nOnUnitActiveSec=20s\nAccuracySec=1s\n", "[Install]\nWantedBy=timers.target\n"},
	} {
		for _, w := range want {
			if !strings.Contains(units[name], w) {
				t.Errorf("%s lacks %q:\n%s", name, w, units[name])
			}
		}
	}
	for unit, target := range map[string]string{userdata.BootUnit: "multi-user.target", userdata.HealthTimer: "timers.target"} {
		link := filepath.Join(userdata.UnitDir, target+".wants", unit)
		if got, err := os.Readlink(g.fs.Path(link)); err != nil || got != filepath.Join(userdata.UnitDir, unit) {
			t.Errorf("%s -> %q (%v): not enabled", link, got, err)
		}
	}

	// systemd's own checker, on the instance, where the units' programs
	// exist. It needs no running systemd.
	emulator.RequireTool(t, "systemd-analyze", "apt-get install systemd")
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	res, err := emulator.RunOnInstance(ctx, g.fs, "exec systemd-analyze verify "+
		strings.Join([]string{filepath.Join(userdata.UnitDir, userdata.BootUnit), filepath.Join(userdata.UnitDir, userdata.HealthService),
			filepath.Join(userdata.UnitDir, userdata.HealthTimer)}, " ")+"\n", g.env(), 1)
	if err != nil {
		t.Fatal(err)
	}
	// verify also reports on units it loads as dependencies, which are
	// the host's; only lines about ours count.
	var ours []string
	for _, line := range strings.Split(res[0].Stdout+res[0].Stderr, "\n") {
		if strings.Contains(line, "selfhealing") {
			ours = append(ours, line)
		}
	}
	if res[0].ExitCode != 0 || len(ours) != 0 {
		t.Errorf("systemd-analyze verify: exit %d, about our units: %q\n%s", res[0].ExitCode, ours, res[0])
	}
}
