package userdata_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/internal/testenv"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the HTTPS section for real: the boot script's own
// certbot command line obtains a certificate from pebble, Let's Encrypt's
// ACME test server, with the real certbot; the real nginx answers pebble's
// HTTP-01 challenge from the webroot the script sets up, then terminates
// TLS with that certificate in front of an application.
//
// What differs from an instance on AWS, and how:
//   - certbot is pointed at pebble through its own configuration file,
//     /etc/letsencrypt/cli.ini ("server = <pebble's directory>"), which
//     certbot reads whatever --config-dir says, in the instance's /etc; and
//     REQUESTS_CA_BUNDLE (pebble's test CA) in the script's environment.
//     The script's certbot command line is unchanged.
//   - The name resolves, for pebble, through pebble-challtestsrv to
//     127.0.0.1; for the script's own check that the name points at the
//     Elastic IP, through the instance's /etc/hosts.
//   - nginx listens on free loopback ports instead of 80 and 443
//     (HTTPSParams.HTTPPort and HTTPSPort), and pebble validates on that
//     HTTP port (its httpPort setting). nginx.conf is a minimal one like
//     Amazon Linux 2023's, whose http block includes conf.d/*.conf.
//   - Shims, and only these: dnf (the packages are Debian's, on the host; the
//     shim checks they are there and makes the directories their packages
//     own) and systemctl (there is no systemd: "restart nginx" starts the
//     real nginx, "reload nginx" is nginx -s reload, as the unit's
//     ExecReload; enabling units and daemon-reload are recorded only).

// httpsLab is a cloud with pebble, an application and what the HTTPS
// option needs on each instance.
type httpsLab struct {
	*cloud
	pebble     *testenv.Pebble
	https      userdata.HTTPSParams
	roots      *x509.CertPool
	shimLog    string
	appAnswers string
}

const httpsDomain = "app.example.com"

// newHTTPSLab starts a cloud with a data volume, pebble, and an application
// on a loopback port, and picks nginx's ports.
func newHTTPSLab(t *testing.T, validity time.Duration) *httpsLab {
	t.Helper()
	testenv.RequireTool(t, "nginx", "apt-get install nginx")
	testenv.RequireTool(t, "certbot", "apt-get install certbot")
	testenv.RequireTool(t, "openssl", "apt-get install openssl")
	c := newCloud(t, diskBytes)
	l := &httpsLab{cloud: c, appAnswers: "hello from the application on " + t.Name()}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s (Host %s, X-Forwarded-Proto %s)", l.appAnswers, r.Host, r.Header.Get("X-Forwarded-Proto"))
	}))
	t.Cleanup(app.Close)
	appPort, err := strconv.Atoi(app.URL[strings.LastIndex(app.URL, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	l.https = userdata.HTTPSParams{
		DomainName: httpsDomain,
		Email:      "ops@example.com",
		AppPort:    appPort,
		CertDir:    mountPath + "/.selfhealing/tls",
		HTTPPort:   testenv.FreeLoopbackPort(t),
		HTTPSPort:  testenv.FreeLoopbackPort(t),
	}
	for l.https.HTTPSPort == l.https.HTTPPort {
		l.https.HTTPSPort = testenv.FreeLoopbackPort(t)
	}
	l.pebble = testenv.StartPebble(t, testenv.PebbleOptions{HTTPPort: l.https.HTTPPort, ValidityPeriod: validity})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root, err := l.pebble.IssuerRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l.roots = x509.NewCertPool()
	l.roots.AddCert(root)
	l.shimLog = l.writeShims()
	c.extraEnv = []string{"REQUESTS_CA_BUNDLE=" + l.pebble.ServerCAFile}
	return l
}

// writeShims puts the dnf and systemctl shims next to the mkfs ones, and
// returns the file they record their calls in.
func (l *httpsLab) writeShims() string {
	log := filepath.Join(l.shims, "https-calls.log")
	q := userdata.ShellQuote
	dnf := `#!/bin/bash
# dnf: the packages are the host's (Debian's). Installing checks that they
# are there and makes the directories their packages own.
printf 'dnf %s\n' "$*" >>` + q(log) + `
[[ "$1" == install ]] || { echo "dnf shim: only install" >&2; exit 1; }
shift
for pkg; do
  [[ "$pkg" == -* ]] && continue
  command -v "$pkg" >/dev/null || { echo "Error: Unable to find a match: $pkg" >&2; exit 1; }
done
mkdir -p /var/log/nginx /var/lib/nginx /var/lib/letsencrypt /var/log/letsencrypt
`
	systemctl := `#!/bin/bash
# systemctl: there is no systemd. nginx runs as its unit would run it.
printf 'systemctl %s\n' "$*" >>` + q(log) + `
running() { [[ -s /run/nginx.pid ]] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; }
case "$*" in
"restart nginx")
  if running; then
    nginx -s quit
    while running; do sleep 0.1; done
  fi
  exec nginx ;;
"reload nginx") exec nginx -s reload ;;
"enable nginx" | daemon-reload | "enable --now ` + userdata.RenewUnitName + `.timer") exit 0 ;;
*) echo "systemctl shim: not expected: $*" >&2; exit 1 ;;
esac
`
	for name, body := range map[string]string{"dnf": dnf, "systemctl": systemctl} {
		if err := os.WriteFile(filepath.Join(l.shims, name), []byte(body), 0o755); err != nil {
			l.t.Fatal(err)
		}
	}
	return log
}

// prepare gives h's /etc what the image would hold: nginx.conf, the name
// pointing at the Elastic IP, and certbot's server setting.
func (l *httpsLab) prepare(h *host) {
	l.t.Helper()
	files := map[string]string{
		"/etc/nginx/nginx.conf": `# Like Amazon Linux 2023's nginx.conf, less its default server.
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events {}
http {
    access_log /var/log/nginx/access.log;
    include /etc/nginx/conf.d/*.conf;
}
`,
		"/etc/hosts":               "127.0.0.1 localhost\n::1 localhost\n" + l.publicIP + " " + httpsDomain + "\n",
		"/etc/letsencrypt/cli.ini": "server = " + l.pebble.DirectoryURL + "\n",
	}
	for path, content := range files {
		hostPath := h.fs.Path(path)
		if err := os.MkdirAll(filepath.Dir(hostPath), 0o755); err != nil {
			l.t.Fatal(err)
		}
		writeTestFile(l.t, hostPath, content)
	}
}

// params are the boot script's parameters with the data volume and HTTPS.
func (l *httpsLab) params() userdata.Params {
	p := l.cloud.params()
	h := l.https
	p.HTTPS = &h
	return p
}

// bootHTTPS boots h with HTTPS once, and registers stopping its nginx.
func (l *httpsLab) bootHTTPS(h *host) volumeBoot {
	l.t.Helper()
	l.prepare(h)
	l.t.Cleanup(func() { l.stopNginx(h) })
	return l.boot1(h, l.params())
}

// stopNginx stops the nginx h's boot started, as the instance's end would,
// and waits until it is gone: its mount namespace, and the data volume
// mounted in it, go with it.
func (l *httpsLab) stopNginx(h *host) {
	l.t.Helper()
	pidText := strings.TrimSpace(h.fs.ReadFile("/run/nginx.pid"))
	if pidText == "" {
		return
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil {
		l.t.Errorf("nginx.pid %q: %v", pidText, err)
		return
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return // already gone
	}
	for i := 0; i < 300; i++ {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	l.t.Errorf("nginx %d did not stop within 30s of SIGTERM", pid)
}

// served is what a client got from https://DOMAIN:HTTPSPort/.
type served struct {
	Leaf *x509.Certificate
	Body string
}

// fetch connects to nginx's TLS port on loopback as a browser would to the
// domain: the chain must verify against pebble's root only, for the name.
// nginx may still be taking its reload when the boot script returns (as
// systemctl reload returns before nginx has), so refused connections are
// retried, for at most 30s.
func (l *httpsLab) fetch() served {
	l.t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(l.https.HTTPSPort))
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: l.roots, ServerName: httpsDomain},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			DisableKeepAlives: true,
		},
	}
	url := fmt.Sprintf("https://%s:%d/", httpsDomain, l.https.HTTPSPort)
	var lastErr error
	for i := 0; i < 60; i++ {
		resp, err := client.Get(url)
		if err != nil {
			lastErr = err
			if strings.Contains(err.Error(), "connection refused") {
				time.Sleep(500 * time.Millisecond)
				continue
			}
			break
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			l.t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			l.t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
		}
		return served{Leaf: resp.TLS.PeerCertificates[0], Body: string(body)}
	}
	l.t.Fatalf("GET %s over TLS, trusting only pebble's root: %v", url, lastErr)
	return served{}
}

// wantServedByApp fails the test unless s is the application's answer,
// through nginx, with a certificate for the domain alone.
func (l *httpsLab) wantServedByApp(s served) {
	l.t.Helper()
	want := l.appAnswers + " (Host " + httpsDomain + ", X-Forwarded-Proto https)"
	if s.Body != want {
		l.t.Errorf("answer %q, want the application's %q", s.Body, want)
	}
	if len(s.Leaf.DNSNames) != 1 || s.Leaf.DNSNames[0] != httpsDomain {
		l.t.Errorf("certificate names %q, want [%s]", s.Leaf.DNSNames, httpsDomain)
	}
}

// wantHTTPSLog fails the test unless the boot's log says HTTPS is up, and
// says certbot was asked (fresh) or the certificate was reused.
func (l *httpsLab) wantHTTPSLog(r volumeBoot, fresh bool) {
	l.t.Helper()
	obtained := strings.Contains(r.Log, "obtaining a certificate for "+httpsDomain)
	reused := strings.Contains(r.Log, "reusing the certificate for "+httpsDomain+" in "+l.https.CertDir)
	if obtained != fresh || reused == fresh {
		l.t.Errorf("log says obtaining %v, reusing %v; want obtaining %v:\n%s", obtained, reused, fresh, r.Log)
	}
	if !strings.Contains(r.Log, "HTTPS: https://"+httpsDomain+" -> 127.0.0.1:"+strconv.Itoa(l.https.AppPort)) {
		l.t.Errorf("log lacks the HTTPS line:\n%s", r.Log)
	}
}

// TestHTTPSCertificateIsIssuedOnceAndOutlivesTheInstance: the first
// instance obtains a certificate from pebble through nginx and serves the
// application with it; its replacement finds the certificate on the data
// volume and serves the same one, and pebble sees one order in the run.
func TestHTTPSCertificateIsIssuedOnceAndOutlivesTheInstance(t *testing.T) {
	l := newHTTPSLab(t, 0)
	first := l.newHost()
	start := time.Now()
	r1 := l.bootHTTPS(first)
	firstBoot := time.Since(start)
	l.wantMounted(first, r1)
	l.wantHTTPSLog(r1, true)
	s1 := l.fetch()
	l.wantServedByApp(s1)
	if got := l.pebble.Orders(); got != 1 {
		t.Errorf("pebble saw %d orders after the first boot, want 1", got)
	}
	t.Logf("REPORT https first boot with a new certificate: %v (certificate serial %x, valid until %s)",
		firstBoot.Round(time.Millisecond), s1.Leaf.SerialNumber, s1.Leaf.NotAfter.Format(time.RFC3339))

	// The first instance dies, its nginx with it; the replacement mounts
	// the data volume.
	l.stopNginx(first)
	ctx := context.Background()
	if err := testenv.TerminateInstance(ctx, l.cfg, first.id); err != nil {
		t.Fatal(err)
	}
	second := l.newHost()
	start = time.Now()
	r2 := l.bootHTTPS(second)
	heal := time.Since(start)
	l.wantMounted(second, r2)
	l.wantHTTPSLog(r2, false)
	s2 := l.fetch()
	l.wantServedByApp(s2)
	if s2.Leaf.SerialNumber.Cmp(s1.Leaf.SerialNumber) != 0 {
		t.Errorf("the replacement serves certificate %x, want the first instance's %x", s2.Leaf.SerialNumber, s1.Leaf.SerialNumber)
	}
	if got := l.pebble.Orders(); got != 1 {
		t.Errorf("pebble saw %d orders in the run, want exactly 1: a heal must not ask for a certificate", got)
	}
	calls, _ := os.ReadFile(l.shimLog)
	t.Logf("REPORT https heal reusing the certificate: %v; orders at pebble in the run: %d", heal.Round(time.Millisecond), l.pebble.Orders())
	t.Logf("shim calls:\n%s", calls)
}
