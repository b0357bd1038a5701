package userdata_test

import (
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

var (
	testLogs       = &userdata.LogsParams{LogGroupName: "/selfhealing/proj/dev/web", ExtraFiles: []string{"/var/log/app.log"}}
	testParameters = &userdata.ParametersParams{Path: "/proj/dev/web"}
)

// sectionCombinations turn on the logs, https and parameters sections, alone
// and in pairs, for the render tests' bash -n and shellcheck. (All three at
// once exceed 16 KB uncompressed; sections_internal_test.go checks that
// script, and gzip-compressed user data will bring it under the limit.)
func sectionCombinations() []userdata.Params {
	https := testHTTPS
	staging := testHTTPS
	staging.Staging = true
	base := userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: "systemctl start app"}
	var out []userdata.Params
	for _, set := range []func(*userdata.Params){
		func(p *userdata.Params) { p.Logs = testLogs },
		func(p *userdata.Params) { p.HTTPS = &https },
		func(p *userdata.Params) { p.HTTPS = &staging; p.UserScript = "" },
		func(p *userdata.Params) { p.Parameters = testParameters },
		func(p *userdata.Params) { p.Logs = testLogs; p.Parameters = testParameters },
		func(p *userdata.Params) { p.Logs = testLogs; p.HTTPS = &https },
	} {
		p := base
		set(&p)
		out = append(out, p)
	}
	return out
}

func TestSectionsRenderNothingWhenOff(t *testing.T) {
	script, err := userdata.Render(userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"dnf", "cloudwatch", "certbot", "nginx", "get-parameters-by-path", "python3", "config.env"} {
		if strings.Contains(script, absent) {
			t.Errorf("the script without options mentions %q", absent)
		}
	}
}

// TestSectionsRunBeforeTheUserScriptAndTheAddress: the logs ship from the
// start, HTTPS is set up before the app is, and the parameters' variables
// are exported to the user script, not to dnf, certbot or nginx; the
// address comes last, then a certificate HTTPS had none of.
func TestSectionsRunBeforeTheUserScriptAndTheAddress(t *testing.T) {
	https := testHTTPS
	for _, p := range []userdata.Params{
		{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: "true", Logs: testLogs, HTTPS: &https},
		{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: "true", Logs: testLogs, Parameters: testParameters},
	} {
		script, err := userdata.Render(p)
		if err != nil {
			t.Fatal(err)
		}
		// Each section is a function of its own file, which main.sh calls
		// in this order.
		var order []string
		steps := map[string]string{
			"\nset_up_logs\n":     `step="starting the CloudWatch agent`,
			"\nset_up_https\n":    `step="setting up HTTPS`,
			"\nload_parameters\n": `step="loading configuration from Parameter Store`,
		}
		if p.Logs != nil {
			order = append(order, "\nset_up_logs\n")
		}
		if p.HTTPS != nil {
			order = append(order, "\nset_up_https\n")
		}
		if p.Parameters != nil {
			order = append(order, "\nload_parameters\n")
		}
		for _, call := range order {
			if !strings.Contains(script, steps[call]) {
				t.Errorf("the script calls %q but lacks its %q", call, steps[call])
			}
		}
		order = append(order, `step="running the user script"`, `is associated with ${instance_id}"`)
		if p.HTTPS != nil {
			order = append(order, "\nobtain_certificate\n")
		}
		order = append(order, `set_status "ready"`)
		last := -1
		for _, marker := range order {
			at := strings.Index(script, marker)
			if at < 0 || at < last {
				t.Errorf("%q is at %d, want after %d (order %q)", marker, at, last, order)
			}
			last = at
		}
	}
}

func TestRenderRefusesSectionValuesTheScriptCannotCarry(t *testing.T) {
	https := func(change func(*userdata.HTTPSParams)) *userdata.HTTPSParams {
		h := testHTTPS
		change(&h)
		return &h
	}
	for _, tc := range []struct {
		name string
		p    userdata.Params
		want string
	}{
		{"path with a quote", userdata.Params{Parameters: &userdata.ParametersParams{Path: "/p/s'/c"}}, "parameters path"},
		{"relative path", userdata.Params{Parameters: &userdata.ParametersParams{Path: "p/s/c"}}, "parameters path"},
		{"group with a space", userdata.Params{Logs: &userdata.LogsParams{LogGroupName: "my group"}}, "logs group name"},
		{"glob file", userdata.Params{Logs: &userdata.LogsParams{LogGroupName: "g", ExtraFiles: []string{"/var/log/*.log"}}}, "logs file"},
		{"nginx injection", userdata.Params{HTTPS: https(func(h *userdata.HTTPSParams) { h.DomainName = "a.example.com; include /etc/passwd" })}, "https domain name"},
		{"wildcard domain", userdata.Params{HTTPS: https(func(h *userdata.HTTPSParams) { h.DomainName = "*.example.com" })}, "https domain name"},
		{"email", userdata.Params{HTTPS: https(func(h *userdata.HTTPSParams) { h.Email = "ops" })}, "https email"},
		{"email that reads as an option", userdata.Params{HTTPS: https(func(h *userdata.HTTPSParams) { h.Email = "-ops@example.com" })}, "https email"},
		{"email with two dots", userdata.Params{HTTPS: https(func(h *userdata.HTTPSParams) { h.Email = "o..ps@example.com" })}, "https email"},
		{"port 443", userdata.Params{HTTPS: https(func(h *userdata.HTTPSParams) { h.AppPort = 443 })}, "https app port"},
		{"cert dir with a space", userdata.Params{HTTPS: https(func(h *userdata.HTTPSParams) { h.CertDir = "/data/my tls" })}, "https certificate directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.AllocationID = "eipalloc-0123456789abcdef0"
			if _, err := userdata.Render(tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render: err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestEveryTemplatedSectionValueIsQuoted(t *testing.T) {
	https := testHTTPS
	script, err := userdata.Render(userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", HTTPS: &https, Logs: testLogs})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"readonly log_group='/selfhealing/proj/dev/web'",
		"readonly https_domain='app.example.com' https_app_port='8080'",
		"readonly -a certbot_args=('certonly' '--non-interactive'",
		`certbot "${certbot_args[@]}"`,
		"'--email=ops@example.com'",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks the quoted %q", want)
		}
	}
}
