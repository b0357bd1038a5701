package userdata_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the boot script of an instance that waits in a warm pool:
// its boot in the pool prepares what needs neither the data volume, the
// network interface nor the Elastic IP (the CloudWatch agent, HTTPS's
// packages), so that its boot into service installs nothing.

// packageShims are stand-ins, first on PATH, for what installs and serves
// on Amazon Linux and this machine lacks: dnf installs a package by
// recording it on the instance (in /var/lib, which outlives a reboot), rpm
// -q answers from that record, and nginx, certbot and systemctl succeed.
// Each call is logged to calls, outside the instance.
func packageShims(t *testing.T) (dir, calls string) {
	t.Helper()
	dir = t.TempDir()
	calls = filepath.Join(dir, "calls.log")
	q := userdata.ShellQuote
	record := "printf '%s %s\\n' \"${0##*/}\" \"$*\" >>" + q(calls) + "\n"
	tools := map[string]string{
		"dnf": record + `[[ "$1" == install ]] || exit 1
shift
mkdir -p /var/lib/shim-rpm
for pkg; do [[ "$pkg" == -* ]] || : >"/var/lib/shim-rpm/${pkg}"; done
`,
		"rpm": record + `[[ "$1" == -q ]] || exit 1
shift
for pkg; do [[ "$pkg" == -* || -e "/var/lib/shim-rpm/${pkg}" ]] || exit 1; done
`,
		"nginx":     record,
		"certbot":   record,
		"systemctl": record,
	}
	for name, body := range tools {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/bash\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, calls
}

// installs returns the dnf install lines of the calls log.
func installs(calls string) []string {
	b, _ := os.ReadFile(calls)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "dnf install") {
			out = append(out, line)
		}
	}
	return out
}

// warmParams are g's parameters with logs and HTTPS, whose certificates
// stay on the instance, and an /etc in which the domain resolves to the
// Elastic IP, as the user's DNS record makes it.
func (g *gated) warmParams() userdata.Params {
	g.t.Helper()
	p := g.params()
	p.Logs = &userdata.LogsParams{LogGroupName: "/selfhealing/dev/web"}
	https := testHTTPS
	https.CertDir = "/var/lib/selfhealing-tls"
	p.HTTPS = &https
	if err := os.MkdirAll(g.fs.Path(filepath.Dir(userdata.NginxConfigFile)), 0o755); err != nil {
		g.t.Fatal(err)
	}
	writeTestFile(g.t, g.fs.Path("/etc/hosts"), "127.0.0.1 localhost\n"+g.publicIP+" "+https.DomainName+"\n")
	return p
}

// firstBootWith runs the script for p as user data, with env.
func (g *gated) firstBootWith(p userdata.Params, env []string) bootResult {
	g.t.Helper()
	script, err := userdata.Render(p)
	if err != nil {
		g.t.Fatalf("Render: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	res, err := emulator.RunFirstBoot(ctx, g.fs, []byte(script), env)
	if err != nil {
		g.t.Fatalf("running the boot script: %v\n%s", err, res)
	}
	g.t.Logf("first boot: exit %d\n%s", res.ExitCode, res.Stderr)
	return g.result(res)
}

func TestWarmPoolBootPreparesAndTheBootIntoServiceInstallsNothing(t *testing.T) {
	g := newGated(t)
	shims, calls := packageShims(t)
	env := emulator.PrependPath(g.env(), shims)
	p := g.warmParams()

	g.lifecycle.set("Warmed:Stopped")
	pool := g.firstBootWith(p, env)
	if pool.ExitCode != 0 || pool.Status != "warm" || strings.Contains(pool.Stderr, "FAILED") {
		t.Fatalf("exit %d, status %q; want a warm boot:\n%s", pool.ExitCode, pool.Status, pool.Stderr)
	}
	// Prepared: the agent's configuration is written, the packages are in.
	want, err := p.Logs.AgentConfig()
	if err != nil {
		t.Fatal(err)
	}
	if got := g.fs.ReadFile(userdata.CloudWatchAgentConfigFile); got != want+"\n" {
		t.Errorf("%s after the pool boot = %q, want the agent's configuration", userdata.CloudWatchAgentConfigFile, got)
	}
	inPool := installs(calls)
	for _, pkg := range []string{"amazon-cloudwatch-agent", "nginx certbot"} {
		if !strings.Contains(strings.Join(inPool, "\n"), pkg) {
			t.Errorf("the pool boot did not install %s; dnf calls: %q", pkg, inPool)
		}
	}
	// And took nothing, nor ran the user script.
	if got := g.holder(); got != "" {
		t.Errorf("the Elastic IP is on %q after a warm-pool boot", got)
	}
	if n := g.api.Calls("AssociateAddress"); n != 0 || pool.UserScriptRan {
		t.Errorf("AssociateAddress called %d times, user script ran %v; want neither in the pool", n, pool.UserScriptRan)
	}
	if g.fs.ReadFile(userdata.NginxConfigFile) != "" {
		t.Errorf("nginx is configured in the pool, before the volume that may hold its certificate is there")
	}

	// The group starts it to replace the instance in service.
	g.asg.BeginLaunch(g.group.InstanceID)
	g.lifecycle.set("InService")
	later := g.result(laterBoot(t, g.fs, env, 1)[0])
	g.wantReady(later)
	if after := installs(calls); len(after) != len(inPool) {
		t.Errorf("the boot into service installed again: %q", after[len(inPool):])
	}
	if !later.UserScriptRan || g.fs.ReadFile(userdata.NginxConfigFile) == "" {
		t.Errorf("user script ran %v, nginx configured %v: want both in service", later.UserScriptRan, g.fs.ReadFile(userdata.NginxConfigFile) != "")
	}
	if done := g.asg.Completions(g.group.InstanceID); len(done) != 2 || done[1].Result != emulator.LifecycleContinue {
		t.Errorf("completions %v, want CONTINUE into the pool and out of it", done)
	}
}

// TestBootNeverInAPoolInstallsInService: without a pool, the one boot does
// all of it.
func TestBootNeverInAPoolInstallsInService(t *testing.T) {
	g := newGated(t)
	shims, calls := packageShims(t)
	r := g.firstBootWith(g.warmParams(), emulator.PrependPath(g.env(), shims))
	g.wantReady(r)
	got := strings.Join(installs(calls), "\n")
	for _, pkg := range []string{"amazon-cloudwatch-agent", "nginx certbot"} {
		if !strings.Contains(got, pkg) {
			t.Errorf("the boot did not install %s; dnf calls:\n%s", pkg, got)
		}
	}
}

// TestWarmPoolRunningInstanceIsWatchedIntoService: kept running in the
// pool (warmPoolState Running), the instance is not booted again when the
// group takes it; the watcher its pool boot installed runs the script once
// the state says InService, and disables itself.
func TestWarmPoolRunningInstanceIsWatchedIntoService(t *testing.T) {
	g := newGated(t)
	p := g.params()
	p.WarmWatch = true
	g.lifecycle.set("Warmed:Running")
	pool := g.firstBoot(p)
	if pool.ExitCode != 0 || pool.Status != "warm" || g.holder() != "" || pool.UserScriptRan {
		t.Fatalf("exit %d, status %q, address on %q, user script ran %v; want a warm boot that took nothing:\n%s",
			pool.ExitCode, pool.Status, g.holder(), pool.UserScriptRan, pool.Stderr)
	}
	unit := filepath.Join(userdata.UnitDir, "selfhealing-warm-watch.service")
	link := filepath.Join(userdata.UnitDir, "multi-user.target.wants", "selfhealing-warm-watch.service")
	if !strings.Contains(g.fs.ReadFile(unit), "ExecStart="+userdata.InstalledBootScript+" --warm-watch\n") {
		t.Fatalf("the pool boot installed no watcher unit:\n%s", g.fs.ReadFile(unit))
	}
	if _, err := os.Lstat(g.fs.Path(link)); err != nil {
		t.Errorf("the watcher is not enabled (%v): a reboot in the pool would not start it", err)
	}

	// The watcher, as its unit runs it, while the instance waits in the
	// pool; then the group takes it.
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	done := make(chan []emulator.CommandResult, 1)
	go func() {
		results, err := emulator.RunOnInstance(ctx, g.fs, "exec "+userdata.InstalledBootScript+" --warm-watch\n", g.env(), 1)
		if err != nil {
			t.Errorf("running the watcher: %v", err)
		}
		done <- results
	}()
	time.Sleep(3 * time.Second) // a poll or two in the pool
	if g.userScriptRuns() != 0 || g.holder() != "" {
		t.Fatalf("the watcher ran the script while the instance is still in the pool")
	}
	g.asg.BeginLaunch(g.group.InstanceID)
	g.lifecycle.set("InService")
	results := <-done
	if len(results) != 1 {
		t.Fatal("the watcher did not finish")
	}
	t.Logf("watcher: exit %d\n%s", results[0].ExitCode, results[0].Stderr)
	g.wantReady(g.result(results[0]))
	if g.userScriptRuns() != 1 {
		t.Errorf("the user script ran %d times, want once, in service", g.userScriptRuns())
	}
	if done := g.asg.Completions(g.group.InstanceID); len(done) != 2 || done[1].Result != emulator.LifecycleContinue {
		t.Errorf("completions %v, want CONTINUE into the pool and out of it", done)
	}
	if _, err := os.Lstat(g.fs.Path(link)); !os.IsNotExist(err) {
		t.Errorf("the watcher is still enabled after the instance went into service (%v)", err)
	}
}
