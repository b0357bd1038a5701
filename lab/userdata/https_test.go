package userdata_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

var testHTTPS = userdata.HTTPSParams{
	DomainName: "app.example.com",
	Email:      "ops@example.com",
	AppPort:    8080,
	CertDir:    "/data/.selfhealing/tls",
}

func TestNginxServesTheChallengeAndRedirectsOnPort80(t *testing.T) {
	conf := testHTTPS.NginxConfig()
	for _, want := range []string{
		"listen 80;", "listen [::]:80;", "server_name app.example.com;",
		"location ^~ /.well-known/acme-challenge/ {\n        root " + userdata.ACMEWebroot + ";",
		"return 301 https://$host$request_uri;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("port 80 configuration lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "443") || strings.Contains(conf, "ssl_certificate") || strings.Contains(conf, "proxy_pass") {
		t.Errorf("the port 80 configuration must not need the certificate nor reach the app:\n%s", conf)
	}
}

func TestNginxTerminatesTLSAndProxiesToTheApp(t *testing.T) {
	conf := testHTTPS.NginxTLSConfig()
	for _, want := range []string{
		"listen 443 ssl;", "listen [::]:443 ssl;", "server_name app.example.com;",
		"ssl_certificate /data/.selfhealing/tls/live/app.example.com/fullchain.pem;",
		"ssl_certificate_key /data/.selfhealing/tls/live/app.example.com/privkey.pem;",
		"ssl_protocols TLSv1.2 TLSv1.3;",
		"proxy_pass http://127.0.0.1:8080;",
		"proxy_set_header Host $host;",
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
		"proxy_set_header X-Forwarded-Proto https;",
		"proxy_set_header Upgrade $http_upgrade;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("TLS configuration lacks %q:\n%s", want, conf)
		}
	}
	for _, weak := range []string{"TLSv1 ", "TLSv1.1", "SSLv3", "0.0.0.0:8080", "proxy_pass http://app"} {
		if strings.Contains(conf, weak) {
			t.Errorf("TLS configuration contains %q", weak)
		}
	}
}

// TestNginxAcceptsTheConfiguration runs `nginx -t` on both stages of the
// configuration, inside a minimal nginx.conf like Amazon Linux's, with a
// self-signed certificate where certbot would put the real one.
func TestNginxAcceptsTheConfiguration(t *testing.T) {
	emulator.RequireTool(t, "nginx", "apt-get install nginx")
	emulator.RequireTool(t, "openssl", "apt-get install openssl")
	dir := t.TempDir()
	h := testHTTPS
	h.CertDir = filepath.Join(dir, "tls")
	live := filepath.Dir(h.CertFile())
	if err := os.MkdirAll(live, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := []string{"PATH=" + os.Getenv("PATH")}
	if r, err := emulator.RunCommand(ctx, env, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
		"-subj", "/CN="+h.DomainName, "-keyout", h.KeyFile(), "-out", h.CertFile()); err != nil || r.ExitCode != 0 {
		t.Fatalf("making a test certificate: %v %s", err, r)
	}
	for stage, site := range map[string]string{
		"port 80 only":   h.NginxConfig(),
		"with TLS added": h.NginxConfig() + h.NginxTLSConfig(),
	} {
		t.Run(stage, func(t *testing.T) {
			sitePath := filepath.Join(dir, "site.conf")
			writeTestFile(t, sitePath, site)
			mainConf := filepath.Join(dir, "nginx.conf")
			writeTestFile(t, mainConf, "pid "+filepath.Join(dir, "nginx.pid")+";\nevents {}\nhttp {\n    include "+sitePath+";\n}\n")
			r, err := emulator.RunCommand(ctx, env, "nginx", "-t", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", mainConf)
			if err != nil {
				t.Fatal(err)
			}
			if r.ExitCode != 0 {
				t.Errorf("nginx -t rejects the %s configuration:\n%s\n%s", stage, r.Stderr, site)
			}
		})
	}
}

func TestRenewalRunsTwiceADayAgainstTheCertificatesOwnDirectory(t *testing.T) {
	service := testHTTPS.RenewService()
	for _, want := range []string{
		"Type=oneshot",
		"ExecStart=/usr/bin/certbot renew --quiet",
		"--config-dir=/data/.selfhealing/tls ",
		`--deploy-hook "systemctl reload nginx"`,
	} {
		if !strings.Contains(service, want) {
			t.Errorf("renewal service lacks %q:\n%s", want, service)
		}
	}
	timer := testHTTPS.RenewTimer()
	for _, want := range []string{"OnCalendar=*-*-* 00,12:00:00", "RandomizedDelaySec=", "Persistent=true", "WantedBy=timers.target"} {
		if !strings.Contains(timer, want) {
			t.Errorf("renewal timer lacks %q:\n%s", want, timer)
		}
	}
}

func TestCertbotAsksForOneNameThroughTheWebroot(t *testing.T) {
	got := strings.Join(testHTTPS.CertbotCommand(), " ")
	for _, want := range []string{
		"certonly --non-interactive --agree-tos --keep-until-expiring",
		"--webroot --webroot-path=" + userdata.ACMEWebroot,
		"--domains=app.example.com --email=ops@example.com",
		"--config-dir=/data/.selfhealing/tls",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("certbot %s: lacks %q", got, want)
		}
	}
	if strings.Contains(got, "--test-cert") {
		t.Errorf("production by default, got %s", got)
	}
	staging := testHTTPS
	staging.Staging = true
	if !strings.Contains(strings.Join(staging.CertbotCommand(), " "), "--test-cert") {
		t.Errorf("Staging does not ask the staging CA")
	}
}

// TestCertbotReadsNoValueAsAnOption: every value the configuration gives
// certbot is joined to its option by "=", so that whatever it starts with,
// it is that option's value. It parses the command line as certbot's
// argparse does, with values that start with "-" and name certbot options.
func TestCertbotReadsNoValueAsAnOption(t *testing.T) {
	h := testHTTPS
	h.Email = "-n@example.com"
	h.DomainName = "--staging"
	h.CertDir = "--dry-run"
	args := h.CertbotCommand()
	for _, value := range []string{h.Email, h.DomainName, h.CertDir, userdata.ACMEWebroot} {
		for _, arg := range args {
			if arg == value {
				t.Errorf("certbot %s: %q is an argument of its own, which certbot may read as an option", strings.Join(args, " "), value)
			}
		}
	}
	// certbot's command line is configargparse's, that is argparse's.
	emulator.RequireTool(t, "python3", "apt-get install python3")
	parser := `import argparse, json, sys
p = argparse.ArgumentParser()
p.add_argument("subcommand")
for flag in ("-n", "--non-interactive", "--agree-tos", "--keep-until-expiring", "--webroot", "--test-cert", "--staging", "--dry-run"):
    p.add_argument(flag, action="store_true")
for short, long in (("-w", "--webroot-path"), ("-d", "--domains"), ("-m", "--email")):
    p.add_argument(short, long)
for long in ("--config-dir", "--work-dir", "--logs-dir"):
    p.add_argument(long)
a = p.parse_args(sys.argv[1:])
print(json.dumps({"email": a.email, "domains": a.domains, "config_dir": a.config_dir, "staging": a.staging, "dry_run": a.dry_run, "n": a.n}))
`
	out, err := exec.Command("python3", append([]string{"-I", "-c", parser}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("argparse refuses certbot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	want := fmt.Sprintf(`{"email": %q, "domains": %q, "config_dir": %q, "staging": false, "dry_run": false, "n": false}`, h.Email, h.DomainName, h.CertDir)
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("argparse read certbot %s as\n%s\nwant\n%s", strings.Join(args, " "), got, want)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNginxListensOnTheGivenPorts: 80 and 443 unless the parameters say
// otherwise, and the redirect names the HTTPS port when it is not 443.
func TestNginxListensOnTheGivenPorts(t *testing.T) {
	if conf := testHTTPS.NginxConfig(); !strings.Contains(conf, "return 301 https://$host$request_uri;") {
		t.Errorf("with 443, the redirect names no port:\n%s", conf)
	}
	h := testHTTPS
	h.HTTPPort, h.HTTPSPort = 8081, 8444
	conf := h.NginxConfig() + h.NginxTLSConfig()
	for _, want := range []string{"listen 8081;", "listen [::]:8081;", "listen 8444 ssl;", "listen [::]:8444 ssl;", "return 301 https://$host:8444$request_uri;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("configuration lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "listen 80;") || strings.Contains(conf, "listen 443 ") {
		t.Errorf("configuration still listens on 80 or 443:\n%s", conf)
	}
	for _, bad := range []userdata.HTTPSParams{
		{HTTPPort: 8081, HTTPSPort: 8081},
		{HTTPPort: -1},
		{HTTPSPort: 70000},
		{HTTPPort: 8080}, // the application's port
	} {
		b := testHTTPS
		b.HTTPPort, b.HTTPSPort = bad.HTTPPort, bad.HTTPSPort
		if _, err := userdata.Render(userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", HTTPS: &b}); err == nil {
			t.Errorf("Render accepts nginx ports %d and %d with the application on %d", b.HTTPPort, b.HTTPSPort, b.AppPort)
		}
	}
}
