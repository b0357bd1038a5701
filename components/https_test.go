package components_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
)

var testHTTPS = components.HTTPSArgs{DomainName: "app.example.com", Email: "ops@example.com", AppPort: 8080}

// testHTTPSDNS is the DNS record HTTPS needs: the certificate's name,
// pointing at the Elastic IP, in the fake account's example.com zone.
var testHTTPSDNS = components.DNSArgs{ZoneID: pulumi.String(fake.StandInZoneID), RecordName: "app.example.com"}

// ingressByPort returns, for each TCP port a single-port rule opens, the
// IPv4 and IPv6 blocks, and how many rules open that port.
func ingressByPort(d *deployment) (blocks map[float64][]string, rules map[float64]int) {
	blocks, rules = map[float64][]string{}, map[float64]int{}
	sg := inputs(d.One("aws:ec2/securityGroup:SecurityGroup"))
	ingress, _ := sg["ingress"].([]any)
	for _, r := range ingress {
		from, to := path(r, "fromPort"), path(r, "toPort")
		if path(r, "protocol") != "tcp" || from != to {
			continue
		}
		port := from.(float64)
		rules[port]++
		blocks[port] = append(blocks[port], toStrings(path(r, "cidrBlocks"))...)
		blocks[port] = append(blocks[port], toStrings(path(r, "ipv6CidrBlocks"))...)
	}
	return blocks, rules
}

func TestHTTPSOpensPorts80And443ToTheWorld(t *testing.T) {
	h := testHTTPS
	blocks, rules := ingressByPort(mustDeploy(t, &components.SelfHealingInstanceArgs{HTTPS: &h, DNS: &testHTTPSDNS}))
	for _, port := range []float64{80, 443} {
		if got := blocks[port]; !slices.Equal(got, []string{"0.0.0.0/0", "::/0"}) || rules[port] != 1 {
			t.Errorf("port %v: %d rules for %v, want one for 0.0.0.0/0 and ::/0", port, rules[port], got)
		}
	}
	if len(blocks) != 2 {
		t.Errorf("HTTPS opened %v, want only 80 and 443", blocks)
	}
}

func TestNoPortsWithoutHTTPS(t *testing.T) {
	blocks, _ := ingressByPort(mustDeploy(t, nil))
	if len(blocks) != 0 {
		t.Errorf("default args opened %v", blocks)
	}
}

// TestHTTPSRulesDoNotRepeatTheUsers: EC2 refuses a security group in which
// two rules are the same, so what a user rule opens exactly is left out.
func TestHTTPSRulesDoNotRepeatTheUsers(t *testing.T) {
	tcp := func(from, to int, cidrs ...string) components.IngressRule {
		return components.IngressRule{Description: "mine", Protocol: "tcp", FromPort: from, ToPort: to, CidrBlocks: pulumi.ToStringArray(cidrs)}
	}
	for _, tc := range []struct {
		name  string
		user  []components.IngressRule
		want  map[float64][]string
		rules map[float64]int
	}{
		{"443 both ways already", []components.IngressRule{tcp(443, 443, "0.0.0.0/0", "::/0")},
			map[float64][]string{80: {"0.0.0.0/0", "::/0"}, 443: {"0.0.0.0/0", "::/0"}}, map[float64]int{80: 1, 443: 1}},
		{"80 IPv4 only", []components.IngressRule{tcp(80, 80, "0.0.0.0/0")},
			map[float64][]string{80: {"0.0.0.0/0", "::/0"}, 443: {"0.0.0.0/0", "::/0"}}, map[float64]int{80: 2, 443: 1}},
		{"both from anywhere, as the dev stack", []components.IngressRule{tcp(80, 80, "0.0.0.0/0", "::/0"), tcp(443, 443, "0.0.0.0/0", "::/0")},
			map[float64][]string{80: {"0.0.0.0/0", "::/0"}, 443: {"0.0.0.0/0", "::/0"}}, map[float64]int{80: 1, 443: 1}},
		{"443 from one office only", []components.IngressRule{tcp(443, 443, "203.0.113.0/24")},
			map[float64][]string{80: {"0.0.0.0/0", "::/0"}, 443: {"203.0.113.0/24", "0.0.0.0/0", "::/0"}}, map[float64]int{80: 1, 443: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHTTPS
			blocks, rules := ingressByPort(mustDeploy(t, &components.SelfHealingInstanceArgs{HTTPS: &h, DNS: &testHTTPSDNS, Ingress: tc.user}))
			for port, want := range tc.want {
				got := slices.Sorted(slices.Values(blocks[port]))
				if !slices.Equal(got, slices.Sorted(slices.Values(want))) || rules[port] != tc.rules[port] {
					t.Errorf("port %v: %d rules for %v; want %d for %v", port, rules[port], blocks[port], tc.rules[port], want)
				}
				seen := map[string]bool{}
				for _, b := range blocks[port] {
					if seen[b] {
						t.Errorf("port %v: %s is opened twice, which EC2 refuses", port, b)
					}
					seen[b] = true
				}
			}
		})
	}
}

func TestHTTPSBootScriptProxiesToTheApp(t *testing.T) {
	h := testHTTPS
	script := mustDeploy(t, &components.SelfHealingInstanceArgs{HTTPS: &h, DNS: &testHTTPSDNS}).BootScript()
	for _, want := range []string{
		"readonly https_domain='app.example.com' https_app_port='8080'",
		"proxy_pass http://127.0.0.1:8080;",
		"readonly tls_dir='/etc/letsencrypt'",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the boot script lacks %q", want)
		}
	}
}

// TestCertificatesLiveOnTheDataVolume: a replacement reuses the account
// and certificate instead of asking Let's Encrypt again.
func TestCertificatesLiveOnTheDataVolume(t *testing.T) {
	h := testHTTPS
	args := withVolume(components.DataVolumeArgs{SizeGiB: 5, MountPath: "/srv/app"})
	args.HTTPS = &h
	args.DNS = &testHTTPSDNS
	script := mustDeploy(t, args).BootScript()
	if !strings.Contains(script, "readonly tls_dir='/srv/app/.selfhealing/tls'") ||
		!strings.Contains(script, "ssl_certificate /srv/app/.selfhealing/tls/live/app.example.com/fullchain.pem;") {
		t.Errorf("with a data volume at /srv/app, certbot's directory is not on it")
	}
}

func TestBadHTTPSIsRefusedNamingTheField(t *testing.T) {
	with := func(change func(*components.HTTPSArgs)) components.HTTPSArgs {
		h := testHTTPS
		change(&h)
		return h
	}
	for _, tc := range []struct {
		name  string
		https components.HTTPSArgs
		want  []string
	}{
		{"no domain", with(func(h *components.HTTPSArgs) { h.DomainName = "" }), []string{"https.domainName", "app.example.com"}},
		{"upper case", with(func(h *components.HTTPSArgs) { h.DomainName = "App.Example.com" }), []string{"https.domainName", `"App.Example.com"`, "lowercase"}},
		{"wildcard", with(func(h *components.HTTPSArgs) { h.DomainName = "*.example.com" }), []string{"https.domainName", "no wildcard"}},
		{"one label", with(func(h *components.HTTPSArgs) { h.DomainName = "localhost" }), []string{"https.domainName"}},
		{"an address", with(func(h *components.HTTPSArgs) { h.DomainName = "203.0.113.10" }), []string{"https.domainName"}},
		{"trailing dot", with(func(h *components.HTTPSArgs) { h.DomainName = "app.example.com." }), []string{"https.domainName"}},
		{"injection", with(func(h *components.HTTPSArgs) { h.DomainName = "a.example.com;include /etc/passwd" }), []string{"https.domainName"}},
		{"no email", with(func(h *components.HTTPSArgs) { h.Email = "" }), []string{"https.email", "ops@example.com"}},
		{"bad email", with(func(h *components.HTTPSArgs) { h.Email = "ops at example.com" }), []string{"https.email", `"ops at example.com"`}},
		{"email that reads as an option", with(func(h *components.HTTPSArgs) { h.Email = "-ops@example.com" }), []string{"https.email", `"-ops@example.com"`, "option"}},
		{"email that reads as a long option", with(func(h *components.HTTPSArgs) { h.Email = "--staging@example.com" }), []string{"https.email", "option"}},
		{"email with a leading dot", with(func(h *components.HTTPSArgs) { h.Email = ".ops@example.com" }), []string{"https.email", "dot"}},
		{"email with a trailing dot", with(func(h *components.HTTPSArgs) { h.Email = "ops.@example.com" }), []string{"https.email", "dot"}},
		{"email with two dots", with(func(h *components.HTTPSArgs) { h.Email = "o..ps@example.com" }), []string{"https.email", "dot"}},
		{"email with two addresses", with(func(h *components.HTTPSArgs) { h.Email = "ops@example.com,-x@example.com" }), []string{"https.email"}},
		{"email with a local part too long", with(func(h *components.HTTPSArgs) { h.Email = strings.Repeat("o", 65) + "@example.com" }), []string{"https.email", "64"}},
		{"email domain with a leading hyphen", with(func(h *components.HTTPSArgs) { h.Email = "ops@-example.com" }), []string{"https.email"}},
		{"domain that reads as an option", with(func(h *components.HTTPSArgs) { h.DomainName = "-d.example.com" }), []string{"https.domainName", `"-d.example.com"`}},
		{"no port", with(func(h *components.HTTPSArgs) { h.AppPort = 0 }), []string{"https.appPort 0", "1 to 65535"}},
		{"port 443", with(func(h *components.HTTPSArgs) { h.AppPort = 443 }), []string{"https.appPort 443", "not 80 or 443"}},
		{"port 80", with(func(h *components.HTTPSArgs) { h.AppPort = 80 }), []string{"https.appPort 80"}},
		{"port too big", with(func(h *components.HTTPSArgs) { h.AppPort = 70000 }), []string{"https.appPort 70000"}},
		{"another name than the record", with(func(h *components.HTTPSArgs) { h.DomainName = "www.example.com" }),
			[]string{"https.domainName \"www.example.com\"", "differs from dns.recordName \"app.example.com\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, &components.SelfHealingInstanceArgs{HTTPS: &tc.https, DNS: &testHTTPSDNS})
			if err == nil {
				t.Fatal("accepted")
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

// TestEmailsCertbotTakesAreAccepted: the rule refuses what certbot and
// Let's Encrypt cannot take, and no more.
func TestEmailsCertbotTakesAreAccepted(t *testing.T) {
	for _, email := range []string{"ops@example.com", "ops+alerts@example.com", "first.last@mail.example.co.uk", "o-ps@example.com", "a_b%c@example.com", "o-@example.com", "1@example.com", "ops@my-domain.example"} {
		h := testHTTPS
		h.Email = email
		if _, err := deploy(t, &components.SelfHealingInstanceArgs{HTTPS: &h, DNS: &testHTTPSDNS}); err != nil {
			t.Errorf("email %q refused: %v", email, err)
		}
	}
}

// TestSectionsThatDoNotFitAreRefusedBeforeAnythingIsCreated: a user script
// that fits EC2's 16 KB (compressed) on its own no longer fits beside the
// logs, https and parameters sections, and the error comes at preview.
func TestSectionsThatDoNotFitAreRefusedBeforeAnythingIsCreated(t *testing.T) {
	// Random printable text barely compresses, unlike repeated characters.
	random := rand.New(rand.NewPCG(1, 2))
	script := make([]byte, 12*1024)
	for i := range script {
		script[i] = byte(' ' + random.IntN(95))
	}
	if _, err := deploy(t, &components.SelfHealingInstanceArgs{UserScript: pulumi.String(string(script))}); err != nil {
		t.Fatalf("test setup: the user script alone must fit: %v", err)
	}

	h := testHTTPS
	args := withParameters()
	args.HTTPS = &h
	args.DNS = &testHTTPSDNS
	args.Logs = &components.LogsArgs{RetentionDays: pulumi.IntRef(0)}
	args.UserScript = pulumi.String(string(script))
	d, err := deploy(t, args)
	if err == nil || !strings.Contains(err.Error(), "does not fit") || !strings.Contains(err.Error(), "16384") {
		t.Fatalf("err = %v, want a refusal naming the user-data limit", err)
	}
	for _, r := range d.Monitor.Resources() {
		if r.Custom {
			t.Errorf("%s was created before the error", r.Type)
		}
	}
}

func TestHTTPSNeedsTheDNSRecord(t *testing.T) {
	h := testHTTPS
	_, err := deploy(t, &components.SelfHealingInstanceArgs{HTTPS: &h})
	wantError(t, err, "https: needs dns", `dns.recordName "app.example.com"`)

	d := mustDeploy(t, &components.SelfHealingInstanceArgs{HTTPS: &h, DNS: &testHTTPSDNS})
	if got := d.Outputs["url"]; got != "https://app.example.com" {
		t.Errorf("url = %v, want https://app.example.com once the instance terminates TLS", got)
	}
}
