package components_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// agreeAllocationID and agreeVolumeID are the ids the rendered script gets
// when a row does not set its own.
const (
	agreeAllocationID = "eipalloc-0123456789abcdef0"
	agreeVolumeID     = "vol-0123456789abcdef0"
)

// ruleRow is one value of one field: set puts it into valid arguments,
// accept says whether it is allowed.
type ruleRow struct {
	field, value string
	set          func(a *components.SelfHealingInstanceArgs)
	accept       bool
}

// agreeBase are valid arguments with every field that reaches the boot
// script in use but the data volume, the health check, logs and HTTPS,
// which the rows add. The user script is an output: the component then
// checks the other fields by their own rules alone, as it does whenever
// the user script comes from another resource, instead of by rendering the
// script with them, which only a literal user script lets it do at preview.
func agreeBase() components.SelfHealingInstanceArgs {
	return components.SelfHealingInstanceArgs{UserScript: pulumi.String("echo hi").ToStringOutput()}
}

// Each field of the args that reaches the boot script has one rule: the
// component's validation (at preview) and the boot script's renderer (at
// apply, userdata.Render) accept and refuse exactly the same values, at
// each field's bounds and for a bad pattern. The parameters' keys and
// values never reach the script (it loads them at boot), and the group,
// hook and log group names and the paths it gets are the component's own.
func TestComponentAndRendererAgreeOnEveryBootScriptField(t *testing.T) {
	var rows []ruleRow
	add := func(field string, accept bool, value any, set func(a *components.SelfHealingInstanceArgs)) {
		rows = append(rows, ruleRow{field: field, value: fmt.Sprintf("%#v", value), set: set, accept: accept})
	}

	// allocationId: the literal an existing address is adopted by.
	for _, tc := range []struct {
		id     string
		accept bool
	}{
		{"eipalloc-" + strings.Repeat("a", 7), false}, {"eipalloc-" + strings.Repeat("a", 8), true},
		{"eipalloc-" + strings.Repeat("a", 17), true}, {"eipalloc-" + strings.Repeat("a", 18), false},
		{"eipalloc-0123456789ABCDEF0", false}, {"eip-0123456789abcdef0", false},
	} {
		add("allocationId", tc.accept, tc.id, func(a *components.SelfHealingInstanceArgs) { a.AllocationID = pulumi.String(tc.id) })
	}

	// userScript, a literal: bash must hold it, and it must fit EC2's limit.
	noise := make([]byte, 16*1024)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		script string
		accept bool
	}{
		{"echo hi", true}, {"echo \x00", false}, {base64.StdEncoding.EncodeToString(noise), false},
	} {
		add("userScript", tc.accept, tc.script[:min(len(tc.script), 20)], func(a *components.SelfHealingInstanceArgs) { a.UserScript = pulumi.String(tc.script) })
	}

	// dataVolume: an adopted volume, with the launch gate off unless a row
	// sets it, so that each row checks one field.
	volume := func(change func(v *components.DataVolumeArgs)) func(a *components.SelfHealingInstanceArgs) {
		return func(a *components.SelfHealingInstanceArgs) {
			v := components.DataVolumeArgs{VolumeID: agreeVolumeID}
			change(&v)
			a.DataVolume = &v
			a.LaunchGate = pulumi.BoolRef(false)
		}
	}
	for _, tc := range []struct {
		id     string
		accept bool
	}{
		{"vol-" + strings.Repeat("b", 7), false}, {"vol-" + strings.Repeat("b", 8), true}, {"vol-" + strings.Repeat("b", 9), false},
		{"vol-" + strings.Repeat("b", 17), true}, {"vol-" + strings.Repeat("b", 18), false}, {"vol-0123456789ABCDEF0", false},
	} {
		add("dataVolume.volumeId", tc.accept, tc.id, volume(func(v *components.DataVolumeArgs) { v.VolumeID = tc.id }))
	}
	for _, tc := range []struct {
		path   string
		accept bool
	}{
		{"/data", true}, {"/srv/app.data_1-2", true}, {"/" + strings.Repeat("m", 254), true}, {"/" + strings.Repeat("m", 255), false},
		{"data", false}, {"/data/", false}, {"/a b", false}, {"/a/../b", false}, {"/home", false}, {"/var/data", false}, {"/data:x", false},
	} {
		add("dataVolume.mountPath", tc.accept, tc.path, volume(func(v *components.DataVolumeArgs) { v.MountPath = tc.path }))
	}
	for _, tc := range []struct {
		fs     string
		accept bool
	}{{"ext4", true}, {"xfs", true}, {"btrfs", false}, {"EXT4", false}} {
		add("dataVolume.fsType", tc.accept, tc.fs, volume(func(v *components.DataVolumeArgs) { v.FSType = tc.fs }))
	}
	for _, tc := range []struct {
		seconds int
		accept  bool
	}{{29, false}, {30, false}, {69, false}, {70, true}, {3600, true}, {3601, false}} {
		// With the shortest stop timeout the wait must still outlast the
		// hand-over, 70 s (below), within its own bounds of 30 to 3600.
		add("dataVolume.attachTimeoutSeconds", tc.accept, tc.seconds, volume(func(v *components.DataVolumeArgs) {
			v.AttachTimeoutSeconds, v.StopTimeoutSeconds = pulumi.IntRef(tc.seconds), pulumi.IntRef(userdata.MinStopTimeoutSeconds)
		}))
	}
	// The stop script's bound, alone and against the wait for the volume,
	// which must outlast the hand-over (the bound and 60 s).
	for _, tc := range []struct {
		stop, wait int
		accept     bool
	}{{9, 3600, false}, {10, 70, true}, {10, 69, false}, {240, 300, true}, {241, 300, false}, {3540, 3600, true}, {7141, 3600, false}} {
		add("dataVolume.stopTimeoutSeconds/attachTimeoutSeconds", tc.accept, [2]int{tc.stop, tc.wait}, volume(func(v *components.DataVolumeArgs) {
			v.StopTimeoutSeconds, v.AttachTimeoutSeconds = pulumi.IntRef(tc.stop), pulumi.IntRef(tc.wait)
		}))
	}
	// With the launch gate, which must outlast the wait for the volume and
	// the address's retries (RetryWindowSeconds, 180 s).
	for _, tc := range []struct {
		gate, wait int
		accept     bool
	}{{600, 419, true}, {600, 420, false}, {7200, 3600, true}} {
		add("launchGateTimeoutSeconds/dataVolume.attachTimeoutSeconds", tc.accept, [2]int{tc.gate, tc.wait}, func(a *components.SelfHealingInstanceArgs) {
			volume(func(v *components.DataVolumeArgs) { v.AttachTimeoutSeconds = pulumi.IntRef(tc.wait) })(a)
			a.LaunchGate, a.LaunchGateTimeoutSeconds = nil, pulumi.IntRef(tc.gate)
		})
	}

	for _, tc := range []struct {
		seconds int
		accept  bool
	}{{29, false}, {30, true}, {7200, true}, {7201, false}} {
		add("launchGateTimeoutSeconds", tc.accept, tc.seconds, func(a *components.SelfHealingInstanceArgs) { a.LaunchGateTimeoutSeconds = pulumi.IntRef(tc.seconds) })
	}

	// appHealthCheck, a URL check unless a row makes it a command.
	check := func(change func(h *components.AppHealthCheck)) func(a *components.SelfHealingInstanceArgs) {
		return func(a *components.SelfHealingInstanceArgs) {
			h := components.AppHealthCheck{URL: pulumi.String("http://localhost:8080/healthz")}
			change(&h)
			a.AppHealthCheck = &h
		}
	}
	commandCheck := func(change func(h *components.AppHealthCheck)) func(a *components.SelfHealingInstanceArgs) {
		return check(func(h *components.AppHealthCheck) {
			h.URL, h.Command = nil, pulumi.String("systemctl is-active --quiet app")
			change(h)
		})
	}
	for _, tc := range []struct {
		url    string
		accept bool
	}{
		{"http://localhost/", true}, {"https://127.0.0.1:8443/status", true}, {"http://[::1]:65535/", true}, {"http://LOCALHOST/", true},
		{"http://localhost:8080/healthz?q=$HOME&f[a]={b,c}", true},
		{"http://example.com/", false}, {"http://10.0.0.5/", false}, {"ftp://localhost/", false}, {"http://localhost/a b", false},
		{"http://localhost/a\u00a0b", false}, {"http://localhost/a\tb", false}, {"http://user:pw@localhost/", false},
		{"http://localhost:0/", false}, {"http://localhost:65536/", false}, {"http:///healthz", false}, {"localhost:8080", false},
	} {
		add("appHealthCheck.url", tc.accept, tc.url, check(func(h *components.AppHealthCheck) { h.URL = pulumi.String(tc.url) }))
	}
	for _, tc := range []struct {
		status int
		accept bool
	}{{99, false}, {100, true}, {599, true}, {600, false}} {
		add("appHealthCheck.expectedStatus", tc.accept, tc.status, check(func(h *components.AppHealthCheck) { h.ExpectedStatus = pulumi.IntRef(tc.status) }))
	}
	add("appHealthCheck.expectedStatus (command)", false, 200, commandCheck(func(h *components.AppHealthCheck) { h.ExpectedStatus = pulumi.IntRef(200) }))
	for _, tc := range []struct {
		command string
		accept  bool
	}{
		{"true", true}, {strings.Repeat("x", 1024), true}, {strings.Repeat("x", 1025), false},
		{"   ", false}, {"a\nb", false}, {"a\rb", false}, {"a\x00b", false},
	} {
		add("appHealthCheck.command", tc.accept, tc.command[:min(len(tc.command), 20)], commandCheck(func(h *components.AppHealthCheck) { h.Command = pulumi.String(tc.command) }))
	}
	for _, tc := range []struct {
		seconds int
		accept  bool
	}{{1, false}, {2, true}, {86400, true}, {86401, false}} {
		add("appHealthCheck.intervalSeconds", tc.accept, tc.seconds, check(func(h *components.AppHealthCheck) {
			h.IntervalSeconds, h.TimeoutSeconds = pulumi.IntRef(tc.seconds), pulumi.IntRef(1)
		}))
	}
	for _, tc := range []struct {
		seconds int
		accept  bool
	}{{0, false}, {1, true}, {14, true}, {15, false}} {
		add("appHealthCheck.timeoutSeconds", tc.accept, tc.seconds, check(func(h *components.AppHealthCheck) {
			h.IntervalSeconds, h.TimeoutSeconds = pulumi.IntRef(15), pulumi.IntRef(tc.seconds)
		}))
	}
	for _, tc := range []struct {
		n      int
		accept bool
	}{{0, false}, {1, true}, {1000, true}, {1001, false}} {
		add("appHealthCheck.failureThreshold", tc.accept, tc.n, check(func(h *components.AppHealthCheck) { h.FailureThreshold = pulumi.IntRef(tc.n) }))
	}

	// logs.extraFiles.
	files := func(list ...string) func(a *components.SelfHealingInstanceArgs) {
		return func(a *components.SelfHealingInstanceArgs) {
			a.Logs = &components.LogsArgs{RetentionDays: pulumi.IntRef(30), ExtraFiles: list}
		}
	}
	many := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("/var/log/app%d.log", i))
		}
		return out
	}
	long := func(n int) string { return "/var/log/" + strings.Repeat("l", n-len("/var/log/")) }
	for _, tc := range []struct {
		files  []string
		accept bool
	}{
		{[]string{"/var/log/app.log"}, true}, {[]string{"/opt/app/log/a_b-c+d@e.log"}, true}, {[]string{long(490)}, true}, {[]string{long(491)}, false},
		{[]string{"app.log"}, false}, {[]string{"/var/log/*.log"}, false}, {[]string{"/var/log/a:b"}, false}, {[]string{"/var/log/a b"}, false},
		{[]string{"/var/log/../etc/shadow"}, false}, {[]string{"/var/log/./app.log"}, false}, {[]string{"/var/log/"}, false},
		{[]string{"/var/log/a.log", "/var/log/a.log"}, false}, {[]string{"/var/log/cloud-init-output.log"}, false}, {[]string{"/var/log/selfhealing-boot.log"}, false},
		{many(20), true}, {many(21), false},
	} {
		add("logs.extraFiles", tc.accept, fmt.Sprintf("%d files, the last %.40q", len(tc.files), tc.files[len(tc.files)-1]), files(tc.files...))
	}

	// https, whose domain name the DNS record must publish.
	https := func(change func(h *components.HTTPSArgs)) func(a *components.SelfHealingInstanceArgs) {
		return func(a *components.SelfHealingInstanceArgs) {
			h := components.HTTPSArgs{DomainName: "app.example.com", Email: "ops@example.com", AppPort: 8080}
			change(&h)
			a.HTTPS = &h
			a.DNS = &components.DNSArgs{ZoneID: pulumi.String("Z0123456789ABCDEFGHIJ"), RecordName: h.DomainName}
		}
	}
	for _, tc := range []struct {
		name   string
		accept bool
	}{
		{"app.example.com", true}, {"a-b.c.example.org", true}, {strings.Repeat("a", 63) + ".example.com", true}, {strings.Repeat("a", 64) + ".example.com", false},
		{"localhost", false}, {"*.example.com", false}, {"-app.example.com", false}, {"app-.example.com", false}, {"app.example.com.", false},
	} {
		add("https.domainName", tc.accept, tc.name, https(func(h *components.HTTPSArgs) { h.DomainName = tc.name }))
	}
	for _, tc := range []struct {
		email  string
		accept bool
	}{
		{"ops@example.com", true}, {"a.b+c@mail.example.co", true},
		{"-ops@example.com", false}, {"ops@example", false}, {"a..b@example.com", false}, {"ops.@example.com", false}, {"ops", false}, {"a@b@example.com", false},
	} {
		add("https.email", tc.accept, tc.email, https(func(h *components.HTTPSArgs) { h.Email = tc.email }))
	}
	for _, tc := range []struct {
		port   int
		accept bool
	}{{0, false}, {1, true}, {79, true}, {80, false}, {443, false}, {65535, true}, {65536, false}} {
		add("https.appPort", tc.accept, tc.port, https(func(h *components.HTTPSArgs) { h.AppPort = tc.port }))
	}

	base := agreeBase()
	if err := components.ValidateArgs(base); err != nil {
		t.Fatalf("the base arguments are refused: %v", err)
	}
	for _, row := range rows {
		a := agreeBase()
		row.set(&a)
		allocationID := agreeAllocationID
		if id, ok := a.AllocationID.(pulumi.String); ok {
			allocationID = string(id)
		}
		volumeID := agreeVolumeID
		if a.DataVolume != nil {
			volumeID = a.DataVolume.VolumeID
		}
		componentErr := components.ValidateArgs(a)
		_, rendererErr := userdata.Render(components.RenderedParams(a, allocationID, volumeID))
		component, renderer := componentErr == nil, rendererErr == nil
		if component != row.accept || renderer != row.accept {
			t.Errorf("%s %s: the component accepts it: %v (%v); the boot script's renderer accepts it: %v (%v); want both %v",
				row.field, row.value, component, componentErr, renderer, rendererErr, row.accept)
		}
	}
}
