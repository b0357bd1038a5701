package userdata_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// goodGate and goodHealth are valid, with long values.
func goodGate() *userdata.LaunchGateParams {
	return &userdata.LaunchGateParams{HookName: "selfhealing-launch-gate", TimeoutSeconds: 7200}
}

func goodURLCheck() *userdata.HealthCheckParams {
	return &userdata.HealthCheckParams{URL: "https://[::1]:8443/healthz?deep=1", ExpectedStatus: 204, IntervalSeconds: 15, TimeoutSeconds: 5, FailureThreshold: 3}
}

// globURLCheck's URL holds what bash or curl could read as their own: a
// "$", a backquote, brackets and braces. The script carries it verbatim.
func globURLCheck() *userdata.HealthCheckParams {
	return &userdata.HealthCheckParams{URL: "http://localhost:8080/healthz?q=$HOME&t=`id`&f[a]={b,c}", ExpectedStatus: 200, IntervalSeconds: 15, TimeoutSeconds: 5, FailureThreshold: 3}
}

func goodCommandCheck() *userdata.HealthCheckParams {
	return &userdata.HealthCheckParams{Command: `systemctl is-active --quiet app && [ "$(cat /run/x)" = 'ok' ]`, IntervalSeconds: 2, TimeoutSeconds: 1, FailureThreshold: 1}
}

// everything is the script with every option on, and the group's name as
// long as AWS allows.
func everything() userdata.Params {
	return userdata.Params{GroupName: strings.Repeat("g", 255), AllocationID: "eipalloc-0123456789abcdef0", DataVolume: goodVolume(), Handover: goodHandover(), LaunchGate: goodGate(), HealthCheck: goodURLCheck()}
}

// goodHandover is the hand-over the component gives every data volume.
func goodHandover() *userdata.HandoverParams {
	return &userdata.HandoverParams{HookName: "selfhealing-handover", StopTimeoutSeconds: 60}
}

func TestRenderedScriptWithGateAndHealthPassesBashAndShellcheck(t *testing.T) {
	emulator.RequireTool(t, "bash", "apt-get install bash")
	emulator.RequireTool(t, "shellcheck", "apt-get install shellcheck")
	// A failed boot ends with the gate's ABANDON, or the report.
	for _, volume := range volumeCombinations() {
		for _, gate := range []*userdata.LaunchGateParams{nil, goodGate()} {
			for _, check := range []*userdata.HealthCheckParams{nil, goodURLCheck(), globURLCheck(), goodCommandCheck()} {
				p := userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-12345678", UserScript: "#!/bin/sh\n# kept\necho hi\n", DataVolume: volume,
					LaunchGate: gate, HealthCheck: check}
				script, err := userdata.Render(p)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				if out, err := run("bash", script, "-n"); err != nil {
					t.Errorf("bash -n, volume %v gate %v check %v: %v\n%s", volume != nil, gate != nil, check, err, out)
				}
				if out, err := run("shellcheck", script, "-s", "bash", "-S", "style", "-o", "add-default-case,quote-safe-variables,require-double-brackets", "-"); err != nil {
					t.Errorf("shellcheck, volume %v gate %v check %v: %v\n%s", volume != nil, gate != nil, check, err, out)
				}
			}
		}
	}
}

func TestGateAndHealthValuesCannotEscapeTheirQuoting(t *testing.T) {
	emulator.RequireTool(t, "bash", "apt-get install bash")
	for _, value := range hostile[1:] {
		if strings.ContainsAny(value, "\n\r\x00\x01\x7f") {
			continue // refused below
		}
		p := everything()
		p.HealthCheck = goodCommandCheck()
		p.HealthCheck.Command = value
		got := templatedVariables(t, p, "gate_hook", "gate_timeout", "health_command", "health_interval", "health_timeout", "health_threshold")
		want := []string{p.LaunchGate.HookName, "7200", value, "2", "1", "1"}
		if !slices.Equal(got, want) {
			t.Errorf("bash holds %q, want %q", got, want)
		}
	}
	for _, check := range []*userdata.HealthCheckParams{goodURLCheck(), globURLCheck()} {
		p := everything()
		p.HealthCheck = check
		got := templatedVariables(t, p, "health_url", "health_expected_status", "health_command")
		if want := []string{check.URL, strconv.Itoa(check.ExpectedStatus), ""}; !slices.Equal(got, want) {
			t.Errorf("bash holds %q, want %q", got, want)
		}
	}
}

func TestRenderRefusesBadGateAndHealthParams(t *testing.T) {
	for _, tc := range []struct {
		change func(p *userdata.Params)
		want   string
	}{
		{func(p *userdata.Params) { p.LaunchGate.HookName = "gate; id" }, `launchGate.hookName "gate; id"`},
		{func(p *userdata.Params) { p.LaunchGate.HookName = "" }, "launchGate.hookName"},
		{func(p *userdata.Params) { p.GroupName = "" }, `groupName ""`},
		{func(p *userdata.Params) { p.GroupName = "a\nb" }, "groupName"},
		{func(p *userdata.Params) { p.GroupName = strings.Repeat("g", 256) }, "groupName"},
		{func(p *userdata.Params) { p.Handover.HookName = "" }, "handover.hookName"},
		{func(p *userdata.Params) { p.LaunchGate.TimeoutSeconds = 29 }, "launchGate.timeoutSeconds 29: want 30 to 7200"},
		{func(p *userdata.Params) { p.LaunchGate.TimeoutSeconds = 7201 }, "launchGate.timeoutSeconds 7201"},
		{func(p *userdata.Params) { p.HealthCheck.Command = "true" }, "appHealthCheck.url/command: set exactly one"},
		{func(p *userdata.Params) { p.HealthCheck.URL = "" }, "appHealthCheck.url/command: set exactly one"},
		{func(p *userdata.Params) { p.HealthCheck.URL = "ftp://localhost/" }, "appHealthCheck.url"},
		{func(p *userdata.Params) { p.HealthCheck.URL = "http://localhost/a b" }, "without spaces"},
		{func(p *userdata.Params) { p.HealthCheck.ExpectedStatus = 99 }, "appHealthCheck.expectedStatus 99"},
		{func(p *userdata.Params) { *p.HealthCheck = *goodCommandCheck(); p.HealthCheck.ExpectedStatus = 200 }, "applies only to a url check"},
		{func(p *userdata.Params) { *p.HealthCheck = *goodCommandCheck(); p.HealthCheck.Command = "a\nb" }, "appHealthCheck.command: want one line"},
		{func(p *userdata.Params) {
			*p.HealthCheck = *goodCommandCheck()
			p.HealthCheck.Command = strings.Repeat("x", userdata.MaxHealthCommandBytes+1)
		}, "appHealthCheck.command"},
		{func(p *userdata.Params) { p.HealthCheck.IntervalSeconds = 1 }, "appHealthCheck.intervalSeconds 1: want 2 to 86400"},
		{func(p *userdata.Params) { p.HealthCheck.TimeoutSeconds = 15 }, "appHealthCheck.timeoutSeconds 15: want at least 1 and less than intervalSeconds 15"},
		{func(p *userdata.Params) { p.HealthCheck.TimeoutSeconds = 0 }, "appHealthCheck.timeoutSeconds 0"},
		{func(p *userdata.Params) { p.HealthCheck.FailureThreshold = 0 }, "appHealthCheck.failureThreshold 0: want 1 to 1000"},
	} {
		p := everything()
		tc.change(&p)
		if _, err := userdata.Render(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want one mentioning %q", err, tc.want)
		}
	}
	// All at once, each named.
	p := everything()
	p.GroupName = ""
	p.LaunchGate = &userdata.LaunchGateParams{}
	p.HealthCheck = &userdata.HealthCheckParams{}
	err := p.Validate()
	for _, field := range []string{"groupName", "launchGate.hookName", "launchGate.timeoutSeconds", "appHealthCheck.url/command",
		"appHealthCheck.intervalSeconds", "appHealthCheck.timeoutSeconds", "appHealthCheck.failureThreshold"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Validate does not name %s: %v", field, err)
		}
	}
}

// Every script reports a failed boot to its group, once, without waiting
// out the grace period, whether or not it has a launch gate (whose ABANDON
// ends a first boot instead, when a launch action waits).
func TestEveryScriptReportsAFailedBoot(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    userdata.Params
	}{
		{"no launch gate", userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-12345678"}},
		{"the launch gate", userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-12345678", LaunchGate: goodGate()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script, err := userdata.Render(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(script, "autoscaling set-instance-health"); n != 1 {
				t.Errorf("the script calls set-instance-health %d times, want 1", n)
			}
			if n := strings.Count(script, "--no-should-respect-grace-period"); n != 1 {
				t.Errorf("the script ignores the grace period %d times, want 1", n)
			}
			if !strings.Contains(script, "group_name='proj-dev-web'") {
				t.Errorf("group_name not rendered")
			}
		})
	}
	// With the app health check as well, its own report still respects
	// the grace period: an application may still be starting.
	p := userdata.Params{AllocationID: "eipalloc-12345678", GroupName: "g", HealthCheck: goodURLCheck()}
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(script, "--should-respect-grace-period") != 1 || strings.Count(script, "--no-should-respect-grace-period") != 1 {
		t.Errorf("want one report that respects the grace period (the health check's) and one that does not (the failed boot's)")
	}
}

// goodInterface is a persistent network interface with the component's
// defaults after a data volume.
func goodInterface() *userdata.NetworkInterfaceParams {
	return &userdata.NetworkInterfaceParams{InterfaceID: "eni-0123456789abcdef0", WaitSeconds: 90, ForceDetach: true}
}

// maxEverythingBytes keeps room for users' scripts with every option on:
// the launch gate, the health check and a data volume with its hand-over,
// and the failure report every script carries. Users then get at least
// 5 KB of compressed script.
const maxEverythingBytes = 11 * 1024

func TestBootScriptWithEveryOptionLeavesRoomForUserScripts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     userdata.Params
		limit int
	}{
		{"with the launch gate (the default)", userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", LaunchGate: goodGate()}, maxBootScriptBytes},
		{"with the launch gate and a data volume (and its hand-over)", userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", LaunchGate: goodGate(), DataVolume: goodVolume(), Handover: goodHandover()}, maxBootScriptBytes},
		{"with the launch gate, the health check and a data volume", everything(), maxEverythingBytes},
		{"with the launch gate and a network interface", userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", LaunchGate: goodGate(),
			NetworkInterface: goodInterface()}, maxBootScriptBytes},
		{"with the launch gate, a data volume and a network interface", userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", LaunchGate: goodGate(),
			DataVolume: goodVolume(), NetworkInterface: goodInterface()}, maxEverythingBytes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, err := userdata.Render(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			size := compressedLen(t, tc.p)
			t.Logf("REPORT boot script %s: %d bytes plain, %d bytes gzip-compressed; %d of EC2's %d bytes left for the user script",
				tc.name, len(plain), size, userdata.MaxBytes-size, userdata.MaxBytes)
			if size > tc.limit {
				t.Errorf("the boot script alone compresses to %d bytes; keep it under %d", size, tc.limit)
			}
			// What is left is the user script's: one that takes it all is
			// refused, naming the field.
			p := tc.p
			p.UserScript = incompressible(userdata.MaxBytes)
			if _, err := userdata.Encode(p); err == nil || !strings.Contains(err.Error(), "userScript") {
				t.Errorf("a user script of %d incompressible bytes: err = %v, want one naming userScript", userdata.MaxBytes, err)
			}
		})
	}
}

func TestRenderDropsTheTemplatesCommentsButNotTheUsers(t *testing.T) {
	const userScript = "#!/bin/bash\n# the users own comment\n  # indented too\necho hi\n"
	p := everything()
	p.UserScript = userScript
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(script, "#!/bin/bash\n") {
		t.Errorf("the script lost its #! line:\n%.200s", script)
	}
	if got := templatedVariables(t, p, "user_script")[0]; got != userScript {
		t.Errorf("the user script became %q", got)
	}
	for _, line := range strings.Split(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(trimmed, "#!") && !strings.HasPrefix(trimmed, "# shellcheck ") &&
			!strings.Contains(userScript, trimmed) {
			t.Errorf("a comment line of the template is in the user data: %q", line)
		}
	}
}
