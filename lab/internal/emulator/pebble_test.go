package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestPebbleServesItsDirectoryAndCountsOrders starts pebble and its DNS
// server, reads the directory through the counting proxy trusting only
// ServerCAFile, and checks that a new-order request is counted and a
// directory read is not.
func TestPebbleServesItsDirectoryAndCountsOrders(t *testing.T) {
	p := StartPebble(t, PebbleOptions{HTTPPort: 5002, ValidityPeriod: time.Hour})
	caPEM, err := os.ReadFile(p.ServerCAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("%s holds no certificate", p.ServerCAFile)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 30 * time.Second}
	resp, err := client.Get(p.DirectoryURL)
	if err != nil {
		t.Fatalf("GET %s: %v", p.DirectoryURL, err)
	}
	var dir map[string]any
	err = json.NewDecoder(resp.Body).Decode(&dir)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	newOrder, _ := dir["newOrder"].(string)
	if base := strings.TrimSuffix(p.DirectoryURL, "/dir"); newOrder != base+"/order-plz" {
		t.Fatalf("newOrder %q, want it through the proxy, %s/order-plz", newOrder, base)
	}
	if got := p.Orders(); got != 0 {
		t.Errorf("Orders() = %d after reading the directory, want 0", got)
	}
	resp, err = client.Post(newOrder, "application/jose+json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := p.Orders(); got != 1 {
		t.Errorf("Orders() = %d after one new-order request, want 1", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	root, err := p.IssuerRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !root.IsCA || !strings.Contains(root.Subject.CommonName, "Pebble") {
		t.Errorf("issuer root %q (CA %v), want pebble's root CA", root.Subject, root.IsCA)
	}
}
