package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Let's Encrypt's ACME test server and its DNS companion, pinned in go.mod
// with tool directives (go get -tool .../cmd/pebble@v2.10.3 and
// .../cmd/pebble-challtestsrv@v2.10.3), built like the metadata mock.
const (
	PebblePackage       = "github.com/letsencrypt/pebble/v2/cmd/pebble"
	ChallTestSrvPackage = "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv"
	pebbleModule        = "github.com/letsencrypt/pebble/v2"
	pebbleStartTimeout  = time.Minute
	pebbleNewOrderPath  = "/order-plz"
)

// PebbleOptions say how to run pebble.
type PebbleOptions struct {
	// HTTPPort is the port pebble connects to, on the address the name
	// resolves to (127.0.0.1), to validate an HTTP-01 challenge: where the
	// instance's nginx listens for plain HTTP. Required.
	HTTPPort int
	// ValidityPeriod is the lifetime of the certificates pebble issues,
	// rounded down to seconds; 0 is pebble's default, 90 days.
	ValidityPeriod time.Duration
}

// Pebble is a running pebble ACME server with pebble-challtestsrv as its
// DNS server, both on loopback: every name resolves to 127.0.0.1 (A) and
// ::1 (AAAA). Clients reach pebble through a proxy that counts the orders
// they place.
type Pebble struct {
	// DirectoryURL is the ACME directory, as certbot's --server takes it.
	DirectoryURL string
	// ServerCAFile is a PEM file with the root that signs the ACME
	// server's own TLS certificate (pebble's test minica), as certbot takes
	// it in REQUESTS_CA_BUNDLE. It is not the root of the certificates
	// pebble issues: see [Pebble.IssuerRoot].
	ServerCAFile string

	serverCAs  *x509.CertPool
	management string // https://127.0.0.1:PORT of pebble's management API
	proxy      *httptest.Server
	procs      []*process
	releases   []func() // free the ports reserved for pebble and its DNS server
	dir        string

	mu     sync.Mutex
	orders int
}

// pebbleTools holds the built pebble and pebble-challtestsrv.
var pebbleTools struct {
	once              sync.Once
	pebble, challtest string
	moduleDir         string
	err               error
}

// PebbleBinariesE builds pebble and pebble-challtestsrv at most once per
// process (as [MetadataMockBinaryE] builds the metadata mock) and returns
// their paths and the pebble module's directory, which holds its test
// certificates.
func PebbleBinariesE() (pebble, challtest, moduleDir string, err error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", "", "", fmt.Errorf("build %s: %w; %s", PebblePackage, err, goInstallHint)
	}
	pebbleTools.once.Do(func() {
		dir := sourceDir()
		var errs [3]error
		pebbleTools.pebble, errs[0] = buildTool(goCmd, PebblePackage, dir)
		pebbleTools.challtest, errs[1] = buildTool(goCmd, ChallTestSrvPackage, dir)
		cmd := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}", pebbleModule)
		cmd.Dir = dir
		out, listErr := cmd.Output()
		pebbleTools.moduleDir = strings.TrimSpace(string(out))
		if listErr != nil || pebbleTools.moduleDir == "" {
			errs[2] = fmt.Errorf("locate module %s (go mod download %s): %v", pebbleModule, pebbleModule, listErr)
		}
		pebbleTools.err = errors.Join(errs[:]...)
	})
	return pebbleTools.pebble, pebbleTools.challtest, pebbleTools.moduleDir, pebbleTools.err
}

// StartPebble starts pebble like [StartPebbleE] and registers a t.Cleanup
// that stops it and, if the test failed, logs the tail of its output. It
// fails the test if pebble cannot be built or started, and behaves like
// [RequireTool] if the go command is missing.
func StartPebble(t testing.TB, opts PebbleOptions) *Pebble {
	t.Helper()
	RequireTool(t, "go", goInstallHint)
	p, err := StartPebbleE(opts)
	if err != nil {
		t.Fatalf("StartPebble: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble and pebble-challtestsrv output (tail):\n%s", p.LogTail())
		}
		if err := p.Close(); err != nil {
			t.Errorf("StartPebble cleanup: %v", err)
		}
	})
	return p
}

// StartPebbleE starts pebble-challtestsrv (DNS only) and pebble on
// reserved loopback ports (see [ReserveLoopbackPort]), with pebble's configuration and output in a temporary
// directory, and waits until both answer. It tries again on other ports,
// up to 3 times, should another process take one of them first. The
// caller must call [Pebble.Close].
func StartPebbleE(opts PebbleOptions) (*Pebble, error) {
	if opts.HTTPPort < 1 || opts.HTTPPort > 65535 {
		return nil, fmt.Errorf("StartPebble: HTTPPort %d, want the port nginx listens on", opts.HTTPPort)
	}
	pebbleBin, challBin, modDir, err := PebbleBinariesE()
	if err != nil {
		return nil, err
	}
	var errs []error
	for range portAttempts {
		p, err := startPebble(opts, pebbleBin, challBin, modDir)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// startPebble is one attempt of StartPebbleE.
func startPebble(opts PebbleOptions, pebbleBin, challBin, modDir string) (*Pebble, error) {
	dir, err := os.MkdirTemp("", "emulator-pebble-")
	if err != nil {
		return nil, err
	}
	p := &Pebble{dir: dir, ServerCAFile: filepath.Join(modDir, "test", "certs", "pebble.minica.pem")}
	fail := func(err error) (*Pebble, error) {
		tail := p.LogTail()
		return nil, errors.Join(fmt.Errorf("StartPebble: %w\n%s", err, tail), p.Close())
	}
	caPEM, err := os.ReadFile(p.ServerCAFile)
	if err != nil {
		return fail(err)
	}
	p.serverCAs = x509.NewCertPool()
	if !p.serverCAs.AppendCertsFromPEM(caPEM) {
		return fail(fmt.Errorf("%s holds no certificate", p.ServerCAFile))
	}

	var ports []int
	for range 5 {
		port, release, err := reserveLoopbackPort()
		if err != nil {
			return fail(err)
		}
		ports = append(ports, port)
		p.releases = append(p.releases, release)
	}
	dnsPort, challMgmt, acmePort, mgmtPort, tlsPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	chall, err := startProcess("pebble-challtestsrv", exec.Command(challBin,
		"-dnsserver", fmt.Sprintf("127.0.0.1:%d", dnsPort),
		"-management", fmt.Sprintf("127.0.0.1:%d", challMgmt),
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "",
		"-defaultIPv4", "127.0.0.1", "-defaultIPv6", "::1"), filepath.Join(dir, "challtestsrv.log"))
	if err != nil {
		return fail(err)
	}
	p.procs = append(p.procs, chall)
	if err := waitHTTP(chall, fmt.Sprintf("http://127.0.0.1:%d/", challMgmt), pebbleStartTimeout); err != nil {
		return fail(err)
	}

	var cfg struct {
		Pebble map[string]any `json:"pebble"`
	}
	profile := map[string]any{"description": "emulator"}
	if s := uint64(opts.ValidityPeriod / time.Second); s > 0 {
		profile["validityPeriod"] = s
	}
	cfg.Pebble = map[string]any{
		"listenAddress":           fmt.Sprintf("127.0.0.1:%d", acmePort),
		"managementListenAddress": fmt.Sprintf("127.0.0.1:%d", mgmtPort),
		"certificate":             filepath.Join(modDir, "test", "certs", "localhost", "cert.pem"),
		"privateKey":              filepath.Join(modDir, "test", "certs", "localhost", "key.pem"),
		"httpPort":                opts.HTTPPort,
		"tlsPort":                 tlsPort,
		"keyAlgorithm":            "ecdsa",
		"profiles":                map[string]any{"default": profile},
	}
	cfgJSON, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fail(err)
	}
	cfgPath := filepath.Join(dir, "pebble-config.json")
	if err := os.WriteFile(cfgPath, cfgJSON, 0o644); err != nil {
		return fail(err)
	}
	cmd := exec.Command(pebbleBin, "-config", cfgPath, "-dnsserver", fmt.Sprintf("127.0.0.1:%d", dnsPort))
	cmd.Dir = dir
	// No random sleeps before validation, no nonces rejected at random:
	// the run's order count is then exactly what the client asked for.
	cmd.Env = []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"}
	peb, err := startProcess("pebble", cmd, filepath.Join(dir, "pebble.log"))
	if err != nil {
		return fail(err)
	}
	p.procs = append(p.procs, peb)
	p.management = fmt.Sprintf("https://127.0.0.1:%d", mgmtPort)
	// Plain HTTP to pebble's TLS port gets a 400: an answer.
	if err := waitHTTP(peb, fmt.Sprintf("http://127.0.0.1:%d/", mgmtPort), pebbleStartTimeout); err != nil {
		return fail(err)
	}
	if err := p.startProxy(fmt.Sprintf("https://127.0.0.1:%d", acmePort), modDir); err != nil {
		return fail(err)
	}
	p.DirectoryURL = p.proxy.URL + "/dir"
	return p, nil
}

// startProxy puts the order-counting proxy in front of pebble's ACME port,
// serving TLS with pebble's own test certificate for localhost and
// 127.0.0.1, so that it is trusted as pebble is. pebble builds the URLs it
// hands out from the request's Host, the proxy's.
func (p *Pebble) startProxy(target, modDir string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(modDir, "test", "certs", "localhost", "cert.pem"),
		filepath.Join(modDir, "test", "certs", "localhost", "key.pem"))
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.serverCAs}}
	p.proxy = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == pebbleNewOrderPath {
			p.mu.Lock()
			p.orders++
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	p.proxy.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	p.proxy.StartTLS()
	return nil
}

// Orders returns how many new-order requests reached pebble.
func (p *Pebble) Orders() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.orders
}

// IssuerRoot returns the root certificate that the certificates pebble
// issues chain to, from its management API. pebble makes a new one each
// time it starts.
func (p *Pebble) IssuerRoot(ctx context.Context) (*x509.Certificate, error) {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.serverCAs}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.management+"/roots/0", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pebble's root: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("pebble's root: %s %v: %s", resp.Status, err, body)
	}
	certs, err := ParsePEMCertificates(body)
	if err != nil || len(certs) != 1 {
		return nil, fmt.Errorf("pebble's root: want one certificate, got %d (%v)", len(certs), err)
	}
	return certs[0], nil
}

// LogTail returns the tail of pebble's and pebble-challtestsrv's output.
func (p *Pebble) LogTail() string {
	var b strings.Builder
	for _, proc := range p.procs {
		fmt.Fprintf(&b, "--- %s\n%s\n", proc.name, proc.logTail())
	}
	return b.String()
}

// Close stops the proxy, pebble and pebble-challtestsrv, and removes the
// temporary directory.
func (p *Pebble) Close() error {
	if p == nil {
		return nil
	}
	if p.proxy != nil {
		p.proxy.Close()
	}
	var errs []error
	for i := len(p.procs) - 1; i >= 0; i-- {
		errs = append(errs, p.procs[i].stop())
	}
	p.procs = nil
	for _, release := range p.releases {
		release()
	}
	p.releases = nil
	errs = append(errs, removeDir(p.dir))
	return errors.Join(errs...)
}

// ParsePEMCertificates parses every CERTIFICATE block in pemBytes, in
// order.
func ParsePEMCertificates(pemBytes []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		block, rest := pem.Decode(pemBytes)
		if block == nil {
			return certs, nil
		}
		pemBytes = rest
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return certs, err
		}
		certs = append(certs, c)
	}
}
