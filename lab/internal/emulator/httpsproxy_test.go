package emulator

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// proxiedClient returns an HTTP client that goes through p and trusts only
// caFile, as the AWS CLI does with HTTPS_PROXY and AWS_CA_BUNDLE.
func proxiedClient(t *testing.T, p *HTTPSProxy, caFile string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if caFile != "" {
		pemBytes, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatal(err)
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			t.Fatalf("%s holds no certificate", caFile)
		}
	}
	proxyURL, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// seenRequest is what the target behind the proxy received.
type seenRequest struct {
	Host, Path, Body, Auth string
	TLS                    bool
}

// recordingTarget is a plain-HTTP server that records what it receives and
// answers 200 "ok".
func recordingTarget(t *testing.T) (*httptest.Server, func() []seenRequest) {
	t.Helper()
	var mu sync.Mutex
	var seen []seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, seenRequest{Host: r.Host, Path: r.URL.Path, Body: string(body), Auth: r.Header.Get("Authorization"), TLS: r.TLS != nil})
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// TestHTTPSProxyForwardsAWSHostsToTheChain: a request to a real AWS host
// name, made through the proxy with its CA trusted, reaches the chain
// decrypted and unchanged, Host included, and the fault proxy counts its
// action as it would with an endpoint override.
func TestHTTPSProxyForwardsAWSHostsToTheChain(t *testing.T) {
	target, seen := recordingTarget(t)
	chain := NewFaultProxy(t, target.URL)
	p := StartHTTPSProxy(t, chain.URL)
	client := proxiedClient(t, p, p.CAFile)

	const form = "Action=DescribeAddresses&Version=2016-11-15"
	for _, host := range []string{"ec2.us-east-1.amazonaws.com", "autoscaling.us-east-1.amazonaws.com"} {
		req, _ := http.NewRequest(http.MethodPost, "https://"+host+"/", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST https://%s/ through the proxy: %v", host, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(body) != "ok" {
			t.Errorf("%s answered %d %q, want the target's 200 ok", host, res.StatusCode, body)
		}
	}
	got := seen()
	if len(got) != 2 {
		t.Fatalf("the target received %d requests, want 2: %+v", len(got), got)
	}
	for i, host := range []string{"ec2.us-east-1.amazonaws.com", "autoscaling.us-east-1.amazonaws.com"} {
		if got[i].Host != host || got[i].Body != form || got[i].Path != "/" || got[i].TLS || !strings.HasPrefix(got[i].Auth, "AWS4-HMAC-SHA256 ") {
			t.Errorf("request %d reached the target as %+v; want Host %s, the same body and signature, over plain HTTP", i, got[i], host)
		}
	}
	if n := chain.Calls("DescribeAddresses"); n != 2 {
		t.Errorf("the fault proxy counted %d DescribeAddresses, want 2", n)
	}
	if hosts := p.Hosts(); hosts["ec2.us-east-1.amazonaws.com"] != 1 || hosts["autoscaling.us-east-1.amazonaws.com"] != 1 || len(hosts) != 2 {
		t.Errorf("Hosts() = %v", hosts)
	}
}

// TestHTTPSProxyIsRealTLS: without the proxy's CA, a client refuses the
// proxy's certificate, so a CLI not given AWS_CA_BUNDLE cannot go through
// it unnoticed; the CA file holds one CA certificate.
func TestHTTPSProxyIsRealTLS(t *testing.T) {
	target, seen := recordingTarget(t)
	p := StartHTTPSProxy(t, target.URL)
	_, err := proxiedClient(t, p, "").Get("https://ec2.us-east-1.amazonaws.com/")
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("a client that does not trust the proxy's CA: %v; want an unknown authority", err)
	}
	if n := len(seen()); n != 0 {
		t.Errorf("the target received %d requests from an untrusting client", n)
	}

	pemBytes, err := os.ReadFile(p.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) || strings.Count(string(pemBytes), "BEGIN CERTIFICATE") != 1 {
		t.Errorf("CAFile holds %q, want one PEM certificate", pemBytes)
	}
}

// TestHTTPSProxyRefusesWhatIsNotAnAWSEndpoint: CONNECT to any other host
// or port, and plain-HTTP proxying, are refused, so an instance reaches
// nothing but AWS through it.
func TestHTTPSProxyRefusesWhatIsNotAnAWSEndpoint(t *testing.T) {
	target, seen := recordingTarget(t)
	p := StartHTTPSProxy(t, target.URL)
	for _, hostport := range []string{"example.com:443", "ec2.us-east-1.amazonaws.com:80", "amazonaws.com.example.org:443"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, "CONNECT "+hostport+" HTTP/1.1\r\nHost: "+hostport+"\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("CONNECT %s: %v, %v; want 403", hostport, res, err)
		}
	}
	if got := p.Refused(); !slices.Equal(got, []string{"example.com:443", "ec2.us-east-1.amazonaws.com:80", "amazonaws.com.example.org:443"}) {
		t.Errorf("Refused() = %q", got)
	}

	proxyURL, _ := url.Parse(p.URL)
	plain := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	res, err := plain.Get("http://ec2.us-east-1.amazonaws.com/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("plain-HTTP proxying answered %d, want 405", res.StatusCode)
	}
	if n := len(seen()); n != 0 {
		t.Errorf("the target received %d requests", n)
	}
}

// TestHTTPSProxyPassesDropsOn: a request the chain drops without an answer
// is dropped for the client too (a closed connection, no invented 502),
// and the next one goes through.
func TestHTTPSProxyPassesDropsOn(t *testing.T) {
	target, _ := recordingTarget(t)
	chain := NewFaultProxy(t, target.URL)
	chain.DropFirstRequests(1)
	p := StartHTTPSProxy(t, chain.URL)
	client := proxiedClient(t, p, p.CAFile)
	post := func() (*http.Response, error) {
		return client.Post("https://ec2.us-east-1.amazonaws.com/", "application/x-www-form-urlencoded", strings.NewReader("Action=DescribeAddresses"))
	}
	if res, err := post(); err == nil {
		res.Body.Close()
		t.Fatalf("a dropped request was answered %d; want the connection closed", res.StatusCode)
	}
	res, err := post()
	if err != nil {
		t.Fatalf("the request after the drop: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || chain.Calls("DescribeAddresses") != 2 {
		t.Errorf("after the drop: status %d, %d calls; want 200 and 2", res.StatusCode, chain.Calls("DescribeAddresses"))
	}
}

// TestHTTPSProxyCloses: after Close nothing listens and the CA file is
// gone; a second Close is harmless.
func TestHTTPSProxyCloses(t *testing.T) {
	p, err := StartHTTPSProxyE("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	requireRefused(t, p.URL)
	if _, err := os.Stat(p.CAFile); !os.IsNotExist(err) {
		t.Errorf("CA file still there after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, bad := range []string{"", "https://127.0.0.1:1", "127.0.0.1:1"} {
		if _, err := StartHTTPSProxyE(bad); err == nil {
			t.Errorf("StartHTTPSProxyE(%q) returned no error", bad)
		}
	}
}
