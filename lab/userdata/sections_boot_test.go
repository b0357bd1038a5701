package userdata_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the logs and https sections where this machine lets them
// run without touching the host: the CloudWatch agent and nginx cannot be
// installed here (there is no dnf), which is exactly the failure whose
// handling they check.

// bootWithTools boots like instance.boot, with tools (name -> bash script)
// first on PATH.
func (in *instance) bootWithTools(p userdata.Params, tools map[string]string) bootResult {
	in.t.Helper()
	bin := in.t.TempDir()
	for name, body := range tools {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/bash\n"+body), 0o755); err != nil {
			in.t.Fatal(err)
		}
	}
	script, err := userdata.Render(p)
	if err != nil {
		in.t.Fatalf("Render: %v", err)
	}
	env := emulator.PrependPath(in.env(), bin)
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	res, err := emulator.RunFirstBoot(ctx, in.fs, []byte(script), env)
	if err != nil {
		in.t.Fatalf("running the boot script: %v\n%s", err, res)
	}
	return resultOn(in.fs, res)
}

func (in *instance) withLogs() userdata.Params {
	p := in.params()
	p.Logs = &userdata.LogsParams{LogGroupName: "/selfhealing/dev/web", ExtraFiles: []string{"/var/log/app.log"}}
	return p
}

// TestBootGoesOnWhenTheCloudWatchAgentCannotBeInstalled: shipping logs is
// not worth withholding the application, so a failed agent is a warning.
func TestBootGoesOnWhenTheCloudWatchAgentCannotBeInstalled(t *testing.T) {
	in := newInstance(t)
	p := in.withLogs()
	// A dnf whose mirrors are down, as on an instance without egress.
	r := in.bootWithTools(p, map[string]string{
		"dnf": "echo 'Error: Failed to download metadata for repo amazonlinux' >&2\nexit 1\n",
	})
	in.wantHealed(r)
	for _, want := range []string{
		"dnf install amazon-cloudwatch-agent: failed (attempt 1/3): Error: Failed to download metadata",
		"dnf install amazon-cloudwatch-agent: failed (attempt 3/3)",
		"WARNING: the CloudWatch agent did not start",
	} {
		if !strings.Contains(r.Log, want) {
			t.Errorf("the log lacks %q:\n%s", want, r.Log)
		}
	}
	if strings.Contains(r.Log, "attempt 4/") {
		t.Errorf("dnf was tried more than 3 times:\n%s", r.Log)
	}
	want, err := p.Logs.AgentConfig()
	if err != nil {
		t.Fatal(err)
	}
	if got := in.fs.ReadFile(userdata.CloudWatchAgentConfigFile); got != want+"\n" {
		t.Errorf("%s = %q, want the rendered configuration %q", userdata.CloudWatchAgentConfigFile, got, want)
	}
}

func TestBootGoesOnWithoutDnf(t *testing.T) {
	in := newInstance(t)
	// No dnf anywhere on PATH (this machine is Debian).
	r := in.boot(in.withLogs())
	in.wantHealed(r)
	if !strings.Contains(r.Log, "dnf is not installed") || !strings.Contains(r.Log, "WARNING: the CloudWatch agent did not start") {
		t.Errorf("the log does not say why the agent did not start:\n%s", r.Log)
	}
}

// TestBootFailsLoudlyWithoutTheHTTPSProxy: unlike logs, HTTPS is what the
// users reach the application through, so an instance that cannot serve it
// must not look ready.
func TestBootFailsLoudlyWithoutTheHTTPSProxy(t *testing.T) {
	in := newInstance(t)
	p := in.params()
	https := testHTTPS
	p.HTTPS = &https
	r := in.bootWithTools(p, map[string]string{"dnf": "echo 'Error: Unable to find a match: certbot' >&2\nexit 1\n"})
	in.wantFailed(r, "setting up HTTPS for app.example.com", "could not install nginx and certbot")
	// HTTPS is set up before the address moves: a failure leaves it where
	// it was.
	if got := in.holder(); got == in.fixture.InstanceID {
		t.Errorf("the address is on %s, whose HTTPS failed; it is taken last", got)
	}
}
