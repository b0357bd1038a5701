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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
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
//   - nginx listens on ports reserved for the test (outside the kernel's
//     ephemeral range: emulator.ReserveLoopbackPort) instead of 80 and 443
//     (HTTPSParams.HTTPPort and HTTPSPort), and pebble validates on that
//     HTTP port (its httpPort setting). nginx.conf is a minimal one like
//     Amazon Linux 2023's, whose http block includes conf.d/*.conf.
//   - Shims, and only these: dnf (the packages are Debian's, on the host; the
//     shim checks they are there and makes the directories their packages
//     own) and systemctl (there is no systemd: "restart nginx" starts the
//     real nginx, "reload nginx" is nginx -s reload, as the unit's
//     ExecReload; enabling units and daemon-reload are recorded only).

// acmeSite is what the HTTPS option meets on any instance of a test: pebble,
// the application, nginx's ports, and the dnf and systemctl shims.
type acmeSite struct {
	t          *testing.T
	pebble     *emulator.Pebble
	https      userdata.HTTPSParams
	roots      *x509.CertPool
	shims      string // the directory of the shims, first on PATH
	shimLog    string // where the shims record their calls
	appAnswers string
}

const httpsDomain = "app.example.com"

// newACMESite starts pebble, issuing certificates valid for validity (0:
// pebble's 90 days), and an application on a loopback port, picks nginx's
// ports, and writes the shims into shims. pebble validates HTTP-01 on
// nginx's HTTP port unless validateOn is not 0.
func newACMESite(t *testing.T, certDir, shims string, validity time.Duration, validateOn int) *acmeSite {
	t.Helper()
	emulator.RequireTool(t, "nginx", "apt-get install nginx")
	emulator.RequireTool(t, "certbot", "apt-get install certbot")
	emulator.RequireTool(t, "openssl", "apt-get install openssl")
	a := &acmeSite{t: t, shims: shims, appAnswers: "hello from the application on " + t.Name()}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s (Host %s, X-Forwarded-Proto %s)", a.appAnswers, r.Host, r.Header.Get("X-Forwarded-Proto"))
	}))
	t.Cleanup(app.Close)
	appPort, err := strconv.Atoi(app.URL[strings.LastIndex(app.URL, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	a.https = userdata.HTTPSParams{
		DomainName: httpsDomain,
		Email:      "ops@example.com",
		AppPort:    appPort,
		CertDir:    certDir,
		// Reserved, not merely free: each heal's nginx starts again on
		// them, after the previous one has released them.
		HTTPPort:  emulator.ReserveLoopbackPort(t),
		HTTPSPort: emulator.ReserveLoopbackPort(t),
	}
	if validateOn == 0 {
		validateOn = a.https.HTTPPort
	}
	a.pebble = emulator.StartPebble(t, emulator.PebbleOptions{HTTPPort: validateOn, ValidityPeriod: validity})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root, err := a.pebble.IssuerRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.roots = x509.NewCertPool()
	a.roots.AddCert(root)
	a.writeShims()
	return a
}

// env is what the boot script's environment adds for certbot: pebble's
// test CA, as certbot's HTTP library takes it.
func (a *acmeSite) env() []string {
	return []string{"REQUESTS_CA_BUNDLE=" + a.pebble.ServerCAFile}
}

// writeShims writes the dnf and systemctl shims into a.shims.
func (a *acmeSite) writeShims() {
	a.shimLog = filepath.Join(a.shims, "https-calls.log")
	q := userdata.ShellQuote
	dnf := `#!/bin/bash
# dnf: the packages are the host's (Debian's). Installing checks that they
# are there and makes the directories their packages own.
printf 'dnf %s\n' "$*" >>` + q(a.shimLog) + `
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
printf 'systemctl %s\n' "$*" >>` + q(a.shimLog) + `
running() { [[ -s /run/nginx.pid ]] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; }
case "$*" in
"restart nginx")
  if running; then
    nginx -s quit
    while running; do sleep 0.1; done
  fi
  exec nginx ;;
"reload nginx")
  # As systemctl reload: silent when it worked.
  out="$(nginx -s reload 2>&1)" || { printf '%s\n' "$out" >&2; exit 1; } ;;
"enable nginx" | daemon-reload | "enable --now ` + userdata.RenewUnitName + `.timer") exit 0 ;;
*) echo "systemctl shim: not expected: $*" >&2; exit 1 ;;
esac
`
	for name, body := range map[string]string{"dnf": dnf, "systemctl": systemctl} {
		if err := os.WriteFile(filepath.Join(a.shims, name), []byte(body), 0o755); err != nil {
			a.t.Fatal(err)
		}
	}
}

// shimCalls returns the calls the shims recorded.
func (a *acmeSite) shimCalls() string {
	b, _ := os.ReadFile(a.shimLog)
	return string(b)
}

// prepare gives an instance's /etc what the image would hold: nginx.conf,
// the name pointing at the Elastic IP publicIP, and certbot's server
// setting; and registers stopping the nginx its boot starts.
func (a *acmeSite) prepare(fs emulator.InstanceRoot, publicIP string) {
	a.t.Helper()
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
		"/etc/hosts":               "127.0.0.1 localhost\n::1 localhost\n" + publicIP + " " + httpsDomain + "\n",
		"/etc/letsencrypt/cli.ini": "server = " + a.pebble.DirectoryURL + "\n",
	}
	for path, content := range files {
		hostPath := fs.Path(path)
		if err := os.MkdirAll(filepath.Dir(hostPath), 0o755); err != nil {
			a.t.Fatal(err)
		}
		writeTestFile(a.t, hostPath, content)
	}
	a.t.Cleanup(func() {
		a.stopNginx(fs)
		if a.t.Failed() {
			a.t.Logf("instance %s: nginx error.log:\n%s\nshim calls:\n%s", fs,
				fs.ReadFile("/var/log/nginx/error.log"), a.shimCalls())
		}
	})
}

// nginxPID returns the pid of the nginx master an instance's boot started,
// or 0.
func nginxPID(fs emulator.InstanceRoot) int {
	pid, err := strconv.Atoi(strings.TrimSpace(fs.ReadFile("/run/nginx.pid")))
	if err != nil || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// stopNginx stops the nginx an instance's boot started, as the instance's
// end would, and waits until it is gone: its mount namespace, and the data
// volume mounted in it, go with it.
func (a *acmeSite) stopNginx(fs emulator.InstanceRoot) {
	a.t.Helper()
	pid := nginxPID(fs)
	if pid == 0 {
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
	a.t.Errorf("nginx %d did not stop within 30s of SIGTERM", pid)
}

// served is what a client got from https://DOMAIN:HTTPSPort/.
type served struct {
	Leaf *x509.Certificate
	Body string
}

// get connects to nginx's TLS port on loopback as a browser would to the
// domain, the chain verified against pebble's root only, for the name.
func (a *acmeSite) get() (served, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(a.https.HTTPSPort))
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: a.roots, ServerName: httpsDomain},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			DisableKeepAlives: true,
		},
	}
	url := fmt.Sprintf("https://%s:%d/", httpsDomain, a.https.HTTPSPort)
	resp, err := client.Get(url)
	if err != nil {
		return served{}, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return served{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return served{}, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return served{Leaf: resp.TLS.PeerCertificates[0], Body: string(body)}, nil
}

// fetch is get, retrying refused connections for at most 30s: nginx may
// still be taking its reload when the boot script returns, as systemctl
// reload returns before nginx has.
func (a *acmeSite) fetch() served {
	a.t.Helper()
	var err error
	for i := 0; i < 60; i++ {
		var s served
		if s, err = a.get(); err == nil {
			return s
		}
		if !strings.Contains(err.Error(), "connection refused") {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	a.t.Fatalf("HTTPS to %s on 127.0.0.1:%d, trusting only pebble's root: %v", httpsDomain, a.https.HTTPSPort, err)
	return served{}
}

// wantServedByApp fails the test unless s is the application's answer,
// through nginx, with a certificate for the domain alone.
func (a *acmeSite) wantServedByApp(s served) {
	a.t.Helper()
	want := a.appAnswers + " (Host " + httpsDomain + ", X-Forwarded-Proto https)"
	if s.Body != want {
		a.t.Errorf("answer %q, want the application's %q", s.Body, want)
	}
	if len(s.Leaf.DNSNames) != 1 || s.Leaf.DNSNames[0] != httpsDomain {
		a.t.Errorf("certificate names %q, want [%s]", s.Leaf.DNSNames, httpsDomain)
	}
}

// wantRedirectToHTTPS fails the test unless nginx's plain HTTP port, the
// one pebble validated on, redirects everything but the challenge to HTTPS.
func (a *acmeSite) wantRedirectToHTTPS() {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/some/page?q=1", a.https.HTTPPort), nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Host = httpsDomain
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		a.t.Fatalf("plain HTTP to nginx: %v", err)
	}
	resp.Body.Close()
	want := fmt.Sprintf("https://%s:%d/some/page?q=1", httpsDomain, a.https.HTTPSPort)
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		a.t.Errorf("plain HTTP answers %s, Location %q; want 301 to %s", resp.Status, resp.Header.Get("Location"), want)
	}
}

// wantHTTPSLog fails the test unless a boot's log says HTTPS is up, and
// says certbot was asked (fresh) or the certificate was reused.
func (a *acmeSite) wantHTTPSLog(log string, fresh bool) {
	a.t.Helper()
	obtained := strings.Contains(log, "obtaining a certificate for "+httpsDomain)
	reused := strings.Contains(log, "reusing the certificate for "+httpsDomain+" in "+a.https.CertDir)
	if obtained != fresh || reused == fresh {
		a.t.Errorf("log says obtaining %v, reusing %v; want obtaining %v:\n%s", obtained, reused, fresh, log)
	}
	if !strings.Contains(log, "HTTPS: https://"+httpsDomain+" -> 127.0.0.1:"+strconv.Itoa(a.https.AppPort)) {
		a.t.Errorf("log lacks the HTTPS line:\n%s", log)
	}
}

// httpsLab is a cloud with a data volume, and the HTTPS option's site.
type httpsLab struct {
	*cloud
	*acmeSite
}

// newHTTPSLab starts a cloud with a data volume and an ACME site whose
// certificates live on the volume.
func newHTTPSLab(t *testing.T, validity time.Duration) *httpsLab {
	t.Helper()
	c := newCloud(t, diskBytes)
	a := newACMESite(t, mountPath+"/.selfhealing/tls", c.shims, validity, 0)
	c.extraEnv = a.env()
	return &httpsLab{cloud: c, acmeSite: a}
}

// params are the boot script's parameters with the data volume and HTTPS.
func (l *httpsLab) params() userdata.Params {
	p := l.cloud.params()
	h := l.https
	p.HTTPS = &h
	return p
}

// bootHTTPS boots h with HTTPS once.
func (l *httpsLab) bootHTTPS(h *host) volumeBoot {
	l.cloud.t.Helper()
	l.prepare(h.fs, l.publicIP)
	return l.boot1(h, l.params())
}

// TestHTTPSCertificateIsIssuedOnceAndOutlivesTheInstance: the first
// instance obtains a certificate from pebble through nginx and serves the
// application with it; then ten replacements in a row, each after the
// previous instance died, find the certificate on the data volume and serve
// the same one, and pebble sees one order in the whole run.
func TestHTTPSCertificateIsIssuedOnceAndOutlivesTheInstance(t *testing.T) {
	const heals = 10
	l := newHTTPSLab(t, 0)
	first := l.newHost()
	start := time.Now()
	r1 := l.bootHTTPS(first)
	firstBoot := time.Since(start)
	l.wantMounted(first, r1)
	l.wantHTTPSLog(r1.Log, true)
	s1 := l.fetch()
	l.wantServedByApp(s1)
	l.wantRedirectToHTTPS()
	if got := l.pebble.Orders(); got != 1 {
		t.Errorf("pebble saw %d orders after the first boot, want 1", got)
	}
	firstCert := logSpan(t, r1.Log, "obtaining a certificate for "+httpsDomain, "HTTPS: https://"+httpsDomain)
	t.Logf("REPORT https first boot with a new certificate: %v, of which %v from asking for the certificate to serving it (certificate serial %x, valid until %s)",
		firstBoot.Round(time.Millisecond), firstCert, s1.Leaf.SerialNumber, s1.Leaf.NotAfter.Format(time.RFC3339))
	figures := heallab.HTTPSFigures{FirstBootMS: firstBoot.Milliseconds(), FirstCertificateMS: firstCert.Milliseconds()}

	previous := first
	var healTimes []string
	for i := 1; i <= heals; i++ {
		// The instance dies, its nginx with it; a replacement mounts the
		// data volume.
		l.stopNginx(previous.fs)
		if err := emulator.TerminateInstance(context.Background(), l.cfg, previous.id); err != nil {
			t.Fatal(err)
		}
		next := l.newHost()
		start = time.Now()
		r := l.bootHTTPS(next)
		healTime := time.Since(start)
		healTimes = append(healTimes, healTime.Round(time.Millisecond).String())
		figures.HealMS = append(figures.HealMS, healTime.Milliseconds())
		l.wantMounted(next, r)
		l.wantHTTPSLog(r.Log, false)
		s := l.fetch()
		l.wantServedByApp(s)
		if s.Leaf.SerialNumber.Cmp(s1.Leaf.SerialNumber) != 0 {
			t.Errorf("replacement %d serves certificate %x, want the first instance's %x", i, s.Leaf.SerialNumber, s1.Leaf.SerialNumber)
		}
		if got := l.pebble.Orders(); got != 1 {
			t.Fatalf("pebble saw %d orders after heal %d, want exactly 1 in the run: a heal must not ask for a certificate", got, i)
		}
		previous = next
	}
	t.Logf("REPORT https heals reusing the certificate: %d in a row, each %s; orders at pebble in the run: %d",
		heals, strings.Join(healTimes, ", "), l.pebble.Orders())
	if t.Failed() {
		t.Logf("shim calls:\n%s", l.shimCalls())
		return
	}
	if path := os.Getenv(heallab.HTTPSFiguresEnv); path != "" {
		figures.Orders = l.pebble.Orders()
		figures.SameCertificate = true // checked for each heal above
		figures.Date = time.Now().UTC().Format("2006-01-02")
		if err := heallab.WriteHTTPSFigures(path, figures); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote the figures to %s", path)
	}
}

// logSpan returns the time between the first boot-log lines that contain
// from and to, by their timestamps.
func logSpan(t *testing.T, log, from, to string) time.Duration {
	t.Helper()
	at := func(what string) time.Time {
		for _, line := range strings.Split(log, "\n") {
			if stamp, _, ok := strings.Cut(line, " selfhealing: "); ok && strings.Contains(line, what) {
				ts, err := time.Parse("2006-01-02T15:04:05.000Z", stamp)
				if err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				return ts
			}
		}
		t.Fatalf("no log line holds %q:\n%s", what, log)
		return time.Time{}
	}
	return at(to).Sub(at(from))
}

// TestHTTPSCertificateFailureAbandonsTheLaunch: when certbot cannot get a
// certificate (here pebble validates on a port nothing listens on, as when
// port 80 is closed to the CA or the name points elsewhere), the boot fails
// loudly, once, saying so, and abandons the launch gate, so the group
// replaces the instance. The user script has run: it comes before the
// instance takes the address, which the certificate's challenge needs.
func TestHTTPSCertificateFailureAbandonsTheLaunch(t *testing.T) {
	g := newGated(t)
	unreachable := emulator.ReserveLoopbackPort(t)
	a := newACMESite(t, userdata.DefaultCertDir, t.TempDir(), 0, unreachable)
	r := a.gatedBoot(g)
	line := wantOneFailure(t, r, "setting up HTTPS for "+httpsDomain, "certbot could not obtain a certificate for "+httpsDomain)
	if !r.UserScriptRan {
		t.Errorf("the user script did not run before the address, which the certificate waits for")
	}
	g.wantAbandoned(r)
	// It asked once, and pebble's reason reaches the log.
	if got := a.pebble.Orders(); got != 1 {
		t.Errorf("pebble saw %d orders, want the 1 that failed", got)
	}
	if !strings.Contains(r.Log, strconv.Itoa(unreachable)) {
		t.Errorf("the log does not carry certbot's reason (pebble could not connect to port %d):\n%s", unreachable, r.Log)
	}
	t.Logf("REPORT https certificate failure: %s", line)
}

// gatedBoot runs g's first boot with HTTPS on a.
func (a *acmeSite) gatedBoot(g *gated) bootResult {
	t := a.t
	t.Helper()
	a.prepare(g.fs, g.publicIP)
	p := g.params()
	h := a.https
	p.HTTPS = &h
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	env := append(g.env(), a.env()...)
	env = append(env, "PATH="+a.shims+":"+os.Getenv("PATH"))
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	res, err := emulator.RunFirstBoot(ctx, g.fs, []byte(script), env)
	if err != nil {
		t.Fatalf("running the boot script: %v\n%s", err, res)
	}
	t.Logf("first boot: exit %d\n%s", res.ExitCode, res.Stderr)
	return g.result(res)
}

// wantAbandoned fails the test unless the failed boot r abandoned the
// launch gate, once, after its FAILED line.
func (g *gated) wantAbandoned(r bootResult) {
	g.t.Helper()
	done := g.asg.Completions(g.group.InstanceID)
	if len(done) != 1 || done[0].Result != emulator.LifecycleAbandon || !done[0].Terminated {
		g.t.Fatalf("completions %v, want exactly one ABANDON, which terminates the instance", done)
	}
	if strings.Index(r.Stderr, "FAILED") > strings.Index(r.Stderr, "ABANDON sent") {
		g.t.Errorf("ABANDON logged before the failure:\n%s", r.Stderr)
	}
}

// TestHTTPSNginxThatCannotListenFailsTheBoot: when another program
// listens on nginx's HTTP or HTTPS port (here a plain HTTP server, as a
// test server of another package once took a heal's HTTPS port), nginx
// cannot start, and the boot fails loudly, once, saying so, and abandons
// the launch gate; it does not report HTTPS up while the other program
// answers there. For the HTTPS port, the boot's second start of nginx,
// with the TLS server, is what fails: a reload would have left nginx on
// its port 80 configuration and reported success. That start comes with a
// new certificate, after the user script and the address.
func TestHTTPSNginxThatCannotListenFailsTheBoot(t *testing.T) {
	for _, tc := range []struct {
		name          string
		port          func(userdata.HTTPSParams) int
		want          string
		userScriptRan bool
	}{
		{"HTTP port", func(h userdata.HTTPSParams) int { return h.HTTPPort }, "nginx could not start on its HTTP port", false},
		{"HTTPS port", func(h userdata.HTTPSParams) int { return h.HTTPSPort }, "nginx could not start serving HTTPS", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGated(t)
			a := newACMESite(t, userdata.DefaultCertDir, t.TempDir(), 0, 0)
			port := tc.port(a.https)
			// On all addresses, as nginx listens.
			l, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
			if err != nil {
				t.Fatal(err)
			}
			other := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, "not nginx")
			})}
			go func() { _ = other.Serve(l) }()
			t.Cleanup(func() { other.Close() })
			r := a.gatedBoot(g)
			line := wantOneFailure(t, r, "setting up HTTPS for "+httpsDomain, tc.want)
			if strings.Contains(r.Log, "HTTPS: https://") {
				t.Errorf("the boot reports HTTPS up:\n%s", r.Log)
			}
			if r.UserScriptRan != tc.userScriptRan {
				t.Errorf("the user script ran: %v, want %v", r.UserScriptRan, tc.userScriptRan)
			}
			g.wantAbandoned(r)
			if !strings.Contains(r.Stderr, fmt.Sprintf(":%d failed (98: Address already in use)", port)) {
				t.Errorf("the boot's output lacks nginx's reason (port %d in use):\n%s", port, r.Stderr)
			}
			t.Logf("REPORT https port %d taken: %s", port, line)
		})
	}
}

// TestHTTPSRenewalReplacesACertificateCloseToExpiry: with certificates of
// 7 days, inside certbot's 30-day renewal window, the renewal unit's own
// command renews the certificate (a second order) and its deploy hook
// reloads nginx, which then serves the new certificate: the same master
// process, and no request made meanwhile fails.
func TestHTTPSRenewalReplacesACertificateCloseToExpiry(t *testing.T) {
	emulator.RequireTool(t, "nsenter", "apt-get install util-linux")
	l := newHTTPSLab(t, 7*24*time.Hour)
	first := l.newHost()
	r := l.bootHTTPS(first)
	l.wantMounted(first, r)
	l.wantHTTPSLog(r.Log, true)
	s1 := l.fetch()
	l.wantServedByApp(s1)
	pid := nginxPID(first.fs)
	if pid == 0 {
		t.Fatal("nginx is not running after the boot")
	}

	// Requests all along the renewal, each on a new connection.
	var (
		mu       sync.Mutex
		failures []error
		requests int
	)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := l.get()
			mu.Lock()
			requests++
			if err != nil {
				failures = append(failures, err)
			}
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()

	// The renewal timer's service runs ExecStart; here in the instance's
	// mount namespace, which its nginx holds.
	unit := first.fs.ReadFile(filepath.Join("/etc/systemd/system", userdata.RenewUnitName+".service"))
	var execStart string
	for _, line := range strings.Split(unit, "\n") {
		if rest, ok := strings.CutPrefix(line, "ExecStart="); ok {
			execStart = rest
		}
	}
	if execStart == "" {
		t.Fatalf("the renewal service has no ExecStart:\n%s", unit)
	}
	env := append([]string{"PATH=" + l.cloud.shims + ":" + os.Getenv("PATH"), "HOME=/root"}, l.acmeSite.env()...)
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	start := time.Now()
	res, err := emulator.RunCommand(ctx, env, "nsenter", "--target", strconv.Itoa(pid), "--mount", "--", "bash", "-c", execStart)
	renewal := time.Since(start)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("the renewal command %s: %v\n%s", execStart, err, res)
	}
	if got := l.pebble.Orders(); got != 2 {
		t.Errorf("pebble saw %d orders, want 2: the first certificate and its renewal", got)
	}
	// nginx takes the reload in its own time, as after systemctl reload.
	var s2 served
	for i := 0; i < 60; i++ {
		s2 = l.fetch()
		if s2.Leaf.SerialNumber.Cmp(s1.Leaf.SerialNumber) != 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	close(stop)
	<-stopped
	if s2.Leaf.SerialNumber.Cmp(s1.Leaf.SerialNumber) == 0 {
		t.Fatalf("nginx still serves certificate %x after the renewal", s1.Leaf.SerialNumber)
	}
	l.wantServedByApp(s2)
	if !s2.Leaf.NotAfter.After(s1.Leaf.NotAfter) {
		t.Errorf("the renewed certificate ends %s, not after the first's %s", s2.Leaf.NotAfter, s1.Leaf.NotAfter)
	}
	if got := nginxPID(first.fs); got != pid {
		t.Errorf("nginx master %d after the renewal, want %d: a reload, not a restart", got, pid)
	}
	if calls := l.shimCalls(); strings.Count(calls, "systemctl reload nginx\n") != 1 {
		t.Errorf("want the deploy hook's reload, got:\n%s", calls)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 || requests == 0 {
		t.Errorf("%d of %d requests during the renewal failed: %v", len(failures), requests, failures)
	}
	t.Logf("REPORT https renewal by the unit's command: %v; %d requests during it, %d failed; served serial %x -> %x",
		renewal.Round(time.Millisecond), requests, len(failures), s1.Leaf.SerialNumber, s2.Leaf.SerialNumber)
}
