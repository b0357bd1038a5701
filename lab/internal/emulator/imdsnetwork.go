package emulator

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// interfacesPath is where the metadata service lists an instance's network
// interfaces, one "<mac>/" per line, each with its own keys below (Amazon
// EC2 User Guide, "Instance metadata categories":
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-metadata.html).
const interfacesPath = "/latest/meta-data/network/interfaces/macs"

// InterfaceMetadata stands in front of a metadata mock and answers the
// instance's network interface paths (network/interfaces/macs/,
// <mac>/interface-id, <mac>/local-ipv4s, <mac>/device-number, <mac>/mac)
// from what moto says is attached to the instance when it is asked, so that
// an interface shows only once it is attached, as on EC2. The mock (v1.13.0)
// serves one fixed interface from its configuration, whatever is attached.
// Everything else, and the token check of each request, is the mock's.
type InterfaceMetadata struct {
	// URL is the front's base URL, http://127.0.0.1:PORT.
	URL string

	instanceID string
	mock       string
	ec2        *ec2.Client
	proxy      *httputil.ReverseProxy
	srv        *httptest.Server
}

// StartInterfaceMetadata starts an [InterfaceMetadata] for instanceID in
// front of the metadata mock at imdsURL, asking moto about interfaces with
// cfg, and registers a t.Cleanup that closes it.
func StartInterfaceMetadata(t testing.TB, imdsURL string, cfg aws.Config, instanceID string) *InterfaceMetadata {
	t.Helper()
	m, err := StartInterfaceMetadataE(imdsURL, cfg, instanceID)
	if err != nil {
		t.Fatalf("StartInterfaceMetadata: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// StartInterfaceMetadataE is StartInterfaceMetadata without a test: the
// caller must Close it.
func StartInterfaceMetadataE(imdsURL string, cfg aws.Config, instanceID string) (*InterfaceMetadata, error) {
	u, l, err := listenInFront("interface metadata: metadata mock", imdsURL)
	if err != nil {
		return nil, err
	}
	m := &InterfaceMetadata{instanceID: instanceID, mock: imdsURL, ec2: ec2.NewFromConfig(cfg), proxy: httputil.NewSingleHostReverseProxy(u)}
	m.srv = serveOn(l, m)
	m.URL = m.srv.URL
	return m, nil
}

// Close stops the front and waits for requests in flight.
func (m *InterfaceMetadata) Close() {
	m.srv.Close()
}

// ServeHTTP implements http.Handler.
func (m *InterfaceMetadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, interfacesPath) {
		m.proxy.ServeHTTP(w, r)
		return
	}
	// The mock judges the token, as it does for every other path.
	if status := m.tokenStatus(r); status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	interfaces, err := m.attached(r.Context())
	if err != nil {
		http.Error(w, "interface metadata: "+err.Error(), http.StatusInternalServerError)
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, interfacesPath), "/")
	if rest == "" {
		var lines []string
		for mac := range interfaces {
			lines = append(lines, mac+"/")
		}
		sort.Strings(lines)
		_, _ = fmt.Fprint(w, strings.Join(lines, "\n"))
		return
	}
	mac, key, _ := strings.Cut(rest, "/")
	n, ok := interfaces[mac]
	values := map[string]string{
		"interface-id":  n.id,
		"local-ipv4s":   strings.Join(n.ips, "\n"),
		"device-number": strconv.Itoa(int(n.deviceIndex)),
		"mac":           mac,
	}
	value, known := values[key]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	_, _ = fmt.Fprint(w, value)
}

// tokenStatus asks the mock for instance-id with r's token, and returns
// its status: 200, or 401 for a missing or bad token.
func (m *InterfaceMetadata) tokenStatus(r *http.Request) int {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.mock+"/latest/meta-data/instance-id", nil)
	if err != nil {
		return http.StatusInternalServerError
	}
	req.Header.Set("X-aws-ec2-metadata-token", r.Header.Get("X-aws-ec2-metadata-token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return http.StatusBadGateway
	}
	resp.Body.Close()
	return resp.StatusCode
}

// attachedInterface is one interface attached to the instance.
type attachedInterface struct {
	id          string
	ips         []string
	deviceIndex int32
}

// attached returns the interfaces moto has attached to the instance, by
// MAC address.
func (m *InterfaceMetadata) attached(ctx context.Context) (map[string]attachedInterface, error) {
	ctx, cancel := context.WithTimeout(ctx, ebsCallTimeout)
	defer cancel()
	out, err := m.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		return nil, err
	}
	found := map[string]attachedInterface{}
	for _, n := range out.NetworkInterfaces {
		if n.Attachment == nil || aws.ToString(n.Attachment.InstanceId) != m.instanceID {
			continue
		}
		a := attachedInterface{id: aws.ToString(n.NetworkInterfaceId), deviceIndex: aws.ToInt32(n.Attachment.DeviceIndex)}
		for _, ip := range n.PrivateIpAddresses {
			a.ips = append(a.ips, aws.ToString(ip.PrivateIpAddress))
		}
		if len(a.ips) == 0 {
			a.ips = []string{aws.ToString(n.PrivateIpAddress)}
		}
		found[aws.ToString(n.MacAddress)] = a
	}
	return found, nil
}
