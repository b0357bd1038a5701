package emulator

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// AWSHostSuffix is the DNS suffix of the only host names an [HTTPSProxy]
// tunnels to: those of AWS's public endpoints in the aws partition.
const AWSHostSuffix = ".amazonaws.com"

// HTTPSProxy is a loopback HTTPS proxy that lets an unmodified AWS CLI
// reach the test chain (a [FaultProxy] in front of the API models in front
// of moto) under AWS's real host names, as an instance reaches AWS, with no
// endpoint override: the CLI is given HTTPS_PROXY=[HTTPSProxy.URL] and
// AWS_CA_BUNDLE=[HTTPSProxy.CAFile], the standard settings of any HTTPS
// client behind a proxy. (AWS CLI v2.9, which Debian ships, ignores
// AWS_ENDPOINT_URL.)
//
// The client asks it to CONNECT to host:443. The proxy accepts only host
// names ending in [AWSHostSuffix] on port 443, terminates TLS itself with a
// certificate for that name issued by its own CA (made when the proxy
// starts, never written anywhere but CAFile), reads the HTTP/1.1 requests
// the client sends inside the tunnel and forwards each, decrypted and
// otherwise unchanged (the Host header the client signed included), to the
// target over plain HTTP. The target thus sees exactly the request it
// would see if the client had been pointed at it with an endpoint URL,
// except that Host names the real service. A failure to reach the target,
// or a target that closes the connection without answering, closes the
// client's connection without an answer, so the client sees what it would
// see from a dropped connection to AWS; anything the target answers is
// passed back as it is. Start one with [StartHTTPSProxy] or
// [StartHTTPSProxyE].
type HTTPSProxy struct {
	// URL is the proxy's address, http://127.0.0.1:PORT, for HTTPS_PROXY.
	URL string
	// CAFile is the PEM file of the proxy's CA certificate, for
	// AWS_CA_BUNDLE; it is removed by Close.
	CAFile string

	dir     string
	caCert  *x509.Certificate
	caKey   crypto.Signer
	leafKey crypto.Signer

	outer   *httptest.Server // answers CONNECT
	inner   *http.Server     // serves the requests inside the tunnels
	tunnels *connListener
	forward *httputil.ReverseProxy
	tr      *http.Transport

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	leaves  map[string]*tls.Certificate // by host name
	hosts   map[string]int              // requests forwarded, by host name
	refused []string                    // CONNECT targets refused
}

// StartHTTPSProxy starts an HTTPSProxy like [StartHTTPSProxyE] and
// registers a t.Cleanup that closes it. It fails the test if the proxy
// cannot start.
func StartHTTPSProxy(t testing.TB, target string) *HTTPSProxy {
	t.Helper()
	p, err := StartHTTPSProxyE(target)
	if err != nil {
		t.Fatalf("StartHTTPSProxy: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("StartHTTPSProxy cleanup: %v", err)
		}
	})
	return p
}

// StartHTTPSProxyE starts an HTTPSProxy on a free loopback port in front
// of target (an http://host:port base URL, such as [FaultProxy.URL]),
// makes its CA and writes the CA's certificate to a temporary file. It
// returns an error, never fails a test; the caller must call
// [HTTPSProxy.Close] when done.
func StartHTTPSProxyE(target string) (*HTTPSProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("HTTPS proxy: target must be an http://host:port URL, got %q (%v)", target, err)
	}
	p := &HTTPSProxy{leaves: map[string]*tls.Certificate{}, hosts: map[string]int{}}
	if err := p.makeCA(); err != nil {
		return nil, err
	}
	if p.dir, err = os.MkdirTemp("", "https-proxy-"); err != nil {
		return nil, fmt.Errorf("HTTPS proxy: %w", err)
	}
	p.CAFile = filepath.Join(p.dir, "ca.pem")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.caCert.Raw})
	if err := os.WriteFile(p.CAFile, caPEM, 0o644); err != nil {
		os.RemoveAll(p.dir)
		return nil, fmt.Errorf("HTTPS proxy: write its CA: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(p.dir)
		return nil, fmt.Errorf("HTTPS proxy: listen on a loopback port: %w", err)
	}

	p.tr = http.DefaultTransport.(*http.Transport).Clone()
	p.forward = &httputil.ReverseProxy{
		Transport: p.tr,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			// Keep the Host the client signed (SigV4 covers it), which
			// also names the service for moto and the models.
			r.Out.Host = r.In.Host
		},
		ErrorHandler: func(http.ResponseWriter, *http.Request, error) {
			// The target failed or hung up without an answer: so does
			// the proxy, rather than invent a 502 AWS would never send.
			panic(http.ErrAbortHandler)
		},
	}
	p.tunnels = newConnListener(l.Addr())
	p.inner = &http.Server{Handler: http.HandlerFunc(p.serveTunneled), ErrorLog: quietLog()}
	go func() { _ = p.inner.Serve(p.tunnels) }()
	p.outer = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(p.serveConnect), ErrorLog: quietLog()}}
	p.outer.Start()
	p.URL = p.outer.URL
	return p, nil
}

// Close stops the proxy, ends every tunnel and removes CAFile. It is
// idempotent and safe for concurrent use; later calls return the first
// call's result.
func (p *HTTPSProxy) Close() error {
	p.closeOnce.Do(func() {
		p.outer.Close()
		p.tunnels.Close()
		err := p.inner.Close()
		p.tr.CloseIdleConnections()
		p.closeErr = errors.Join(err, os.RemoveAll(p.dir))
	})
	return p.closeErr
}

// Hosts returns how many requests the proxy forwarded for each host name,
// since it started.
func (p *HTTPSProxy) Hosts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	hosts := make(map[string]int, len(p.hosts))
	for h, n := range p.hosts {
		hosts[h] = n
	}
	return hosts
}

// Refused returns the CONNECT targets (host:port) the proxy refused, in
// order: anything but an AWS host name on port 443.
func (p *HTTPSProxy) Refused() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refused)
}

// serveConnect opens a tunnel: it answers CONNECT to an AWS host name on
// port 443 with 200, and hands the connection, wrapped in TLS with a
// certificate for that name, to the inner server.
func (p *HTTPSProxy) serveConnect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		// Plain-HTTP proxying would let a client reach the target without
		// TLS, which no AWS endpoint the CLI uses allows.
		http.Error(w, "HTTPS proxy: only CONNECT is supported", http.StatusMethodNotAllowed)
		return
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil || port != "443" || !strings.HasSuffix(host, AWSHostSuffix) {
		p.mu.Lock()
		p.refused = append(p.refused, r.Host)
		p.mu.Unlock()
		http.Error(w, "HTTPS proxy: tunnels only to AWS host names (*"+AWSHostSuffix+") on port 443, not "+r.Host, http.StatusForbidden)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "HTTPS proxy: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	// The client may have sent its TLS hello before reading the answer.
	conn = &bufferedConn{Conn: conn, r: buf.Reader}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				// No SNI: the name the tunnel was opened to.
				name = host
			}
			return p.leaf(name)
		},
	}
	p.tunnels.push(tls.Server(conn, cfg))
}

// serveTunneled forwards one request that arrived inside a tunnel.
func (p *HTTPSProxy) serveTunneled(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if r.TLS == nil || r.TLS.ServerName != "" && r.TLS.ServerName != host {
		// A request for another host than the certificate's would not
		// reach that host at AWS either.
		http.Error(w, "HTTPS proxy: Host "+r.Host+" does not match the tunnel", http.StatusMisdirectedRequest)
		return
	}
	p.mu.Lock()
	p.hosts[host]++
	p.mu.Unlock()
	p.forward.ServeHTTP(w, r)
}

// makeCA makes the proxy's CA and the key all its leaf certificates share.
func (p *HTTPSProxy) makeCA() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("HTTPS proxy: CA key: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("HTTPS proxy: leaf key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "selfhealing test HTTPS proxy CA", Organization: []string{"selfhealing tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, caKey.Public(), caKey)
	if err != nil {
		return fmt.Errorf("HTTPS proxy: CA certificate: %w", err)
	}
	if p.caCert, err = x509.ParseCertificate(der); err != nil {
		return fmt.Errorf("HTTPS proxy: CA certificate: %w", err)
	}
	p.caKey, p.leafKey = caKey, leafKey
	return nil
}

// leaf returns the certificate for host, issuing it on first use.
func (p *HTTPSProxy) leaf(host string) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.leaves[host]; ok {
		return c, nil
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     p.caCert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, p.leafKey.Public(), p.caKey)
	if err != nil {
		return nil, fmt.Errorf("HTTPS proxy: certificate for %s: %w", host, err)
	}
	c := &tls.Certificate{Certificate: [][]byte{der, p.caCert.Raw}, PrivateKey: p.leafKey}
	p.leaves[host] = c
	return c, nil
}

// quietLog discards the servers' own log: a client that hangs up mid-tunnel
// (a CLI timing out, a test ending) is expected, not news.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

// randomSerial returns a random 128-bit certificate serial number.
func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}

// bufferedConn is a hijacked connection whose first bytes may already sit
// in the server's read buffer.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// connListener is a net.Listener whose connections are pushed to it: the
// inner server of an [HTTPSProxy] accepts the tunnels from it.
type connListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c to the next Accept, or closes it if the listener is closed.
func (l *connListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
