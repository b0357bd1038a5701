package components_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestHealthCheckParamsFillEveryDefault(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check *components.AppHealthCheck
		want  *userdata.HealthCheckParams
	}{
		{"none", nil, nil},
		{"url", &components.AppHealthCheck{URL: pulumi.String("http://localhost:8080/healthz")}, &userdata.HealthCheckParams{
			URL: "http://localhost:8080/healthz", ExpectedStatus: 200,
			IntervalSeconds: 15, TimeoutSeconds: 5, FailureThreshold: 3,
		}},
		{"command, all set", &components.AppHealthCheck{Command: pulumi.String("systemctl is-active --quiet app"), IntervalSeconds: pulumi.IntRef(30), TimeoutSeconds: pulumi.IntRef(10), FailureThreshold: pulumi.IntRef(5)},
			&userdata.HealthCheckParams{
				Command:         "systemctl is-active --quiet app",
				IntervalSeconds: 30, TimeoutSeconds: 10, FailureThreshold: 5,
			}},
		{"url with status", &components.AppHealthCheck{URL: pulumi.String("https://127.0.0.1/"), ExpectedStatus: pulumi.IntRef(204)}, &userdata.HealthCheckParams{
			URL: "https://127.0.0.1/", ExpectedStatus: 204,
			IntervalSeconds: 15, TimeoutSeconds: 5, FailureThreshold: 3,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := components.BootParamsInGroup(components.SelfHealingInstanceArgs{AppHealthCheck: tc.check}, "p-s-web", "eipalloc-0123456789abcdef0", "")
			got := p.HealthCheck
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Errorf("HealthCheckParams = %+v, want %+v", got, tc.want)
			}
			// The check reports to the instance's group.
			if p.GroupName != "p-s-web" {
				t.Errorf("GroupName = %q, want p-s-web", p.GroupName)
			}
		})
	}
}

func TestHealthCheckMayReportOnlyToItsOwnGroup(t *testing.T) {
	setHealth := func(doc policy.Document) [][]string {
		var resources [][]string
		for _, st := range doc.Statement {
			if slices.Contains(st.Action, "autoscaling:SetInstanceHealth") {
				if len(st.Action) != 1 || st.Effect != "Allow" {
					t.Errorf("statement %+v: want SetInstanceHealth allowed alone", st)
				}
				resources = append(resources, st.Resource)
			}
		}
		return resources
	}
	// Every configuration may report: a failed boot that no launch action
	// waits to abandon marks its instance Unhealthy, and so does the
	// health check. Always one statement, on this group alone.
	for _, check := range []*components.AppHealthCheck{nil, {URL: pulumi.String("http://localhost/")}} {
		for _, gateOff := range []bool{false, true} {
			d := mustDeploy(t, &components.SelfHealingInstanceArgs{LaunchGate: pulumi.BoolRef(!gateOff), AppHealthCheck: check})
			if got := setHealth(d.RolePolicy()); len(got) != 1 || !slices.Equal(got[0], []string{groupARN}) {
				t.Errorf("gate off=%v, check %v: SetInstanceHealth resources = %v, want [[%s]]", gateOff, check, got, groupARN)
			}
		}
	}
}

func TestLocalURLsAreAccepted(t *testing.T) {
	for _, url := range []string{
		"http://localhost/", "http://localhost:8080/healthz?deep=1", "https://127.0.0.1:8443/status",
		"http://[::1]:80/", "http://LOCALHOST:9000",
		// Legal in a query; the boot script passes them to curl literally.
		"http://localhost:8080/healthz?filter[status]=up&x[]=1", "http://localhost/healthz?fields={a,b}&v=$HOME",
	} {
		if _, err := deploy(t, &components.SelfHealingInstanceArgs{AppHealthCheck: &components.AppHealthCheck{URL: pulumi.String(url)}}); err != nil {
			t.Errorf("url %q refused: %v", url, err)
		}
	}
}

func TestBadHealthChecksAreRefused(t *testing.T) {
	check := func(h components.AppHealthCheck) components.SelfHealingInstanceArgs {
		return components.SelfHealingInstanceArgs{AppHealthCheck: &h}
	}
	for _, tc := range []struct {
		name string
		args components.SelfHealingInstanceArgs
		want []string
	}{
		{"neither", check(components.AppHealthCheck{}), []string{"appHealthCheck.url/command", "both empty", "exactly one"}},
		{"both", check(components.AppHealthCheck{URL: pulumi.String("http://localhost/"), Command: pulumi.String("true")}), []string{"appHealthCheck.url/command", "both set"}},
		{"remote host", check(components.AppHealthCheck{URL: pulumi.String("http://example.com/health")}), []string{"appHealthCheck.url", `"http://example.com/health"`, "localhost, 127.0.0.1 or [::1]"}},
		{"private address", check(components.AppHealthCheck{URL: pulumi.String("http://10.0.0.5/")}), []string{"appHealthCheck.url", `"10.0.0.5"`}},
		{"scheme", check(components.AppHealthCheck{URL: pulumi.String("tcp://localhost:5432")}), []string{"appHealthCheck.url", "http:// or https://"}},
		{"credentials", check(components.AppHealthCheck{URL: pulumi.String("http://admin:pw@localhost/")}), []string{"appHealthCheck.url", "credentials"}},
		{"port", check(components.AppHealthCheck{URL: pulumi.String("http://localhost:70000/")}), []string{"appHealthCheck.url", `port "70000"`, "1 to 65535"}},
		{"spaces", check(components.AppHealthCheck{URL: pulumi.String("http://localhost/a b")}), []string{"appHealthCheck.url", "spaces"}},
		{"status", check(components.AppHealthCheck{URL: pulumi.String("http://localhost/"), ExpectedStatus: pulumi.IntRef(700)}), []string{"appHealthCheck.expectedStatus", "700", "100 to 599"}},
		{"status with command", check(components.AppHealthCheck{Command: pulumi.String("true"), ExpectedStatus: pulumi.IntRef(200)}), []string{"appHealthCheck.expectedStatus", "only to a url"}},
		{"blank command", check(components.AppHealthCheck{Command: pulumi.String("   ")}), []string{"appHealthCheck.command", "blank"}},
		{"multi-line command", check(components.AppHealthCheck{Command: pulumi.String("true\nfalse")}), []string{"appHealthCheck.command", "one line"}},
		{"long command", check(components.AppHealthCheck{Command: pulumi.String(strings.Repeat("x", 1025))}), []string{"appHealthCheck.command", "1025", "1024"}},
		{"negative interval", check(components.AppHealthCheck{Command: pulumi.String("true"), IntervalSeconds: pulumi.IntRef(-1)}), []string{"appHealthCheck.intervalSeconds", "-1", "2 to 86400"}},
		{"negative timeout", check(components.AppHealthCheck{Command: pulumi.String("true"), TimeoutSeconds: pulumi.IntRef(-5)}), []string{"appHealthCheck.timeoutSeconds", "-5", "at least 1"}},
		{"negative threshold", check(components.AppHealthCheck{Command: pulumi.String("true"), FailureThreshold: pulumi.IntRef(-3)}), []string{"appHealthCheck.failureThreshold", "-3", "1 to 1000"}},
		{"timeout not under interval", check(components.AppHealthCheck{Command: pulumi.String("true"), IntervalSeconds: pulumi.IntRef(10), TimeoutSeconds: pulumi.IntRef(10)}), []string{"appHealthCheck.timeoutSeconds 10", "less than intervalSeconds 10"}},
		{"default timeout over a short interval", check(components.AppHealthCheck{Command: pulumi.String("true"), IntervalSeconds: pulumi.IntRef(3)}), []string{"appHealthCheck.timeoutSeconds 5", "intervalSeconds 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, &tc.args)
			if err == nil {
				t.Fatalf("accepted %+v", tc.args.AppHealthCheck)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := len(d.Monitor.Resources()); n != 0 {
				t.Errorf("%d resources were registered before the error", n)
			}
		})
	}
}
