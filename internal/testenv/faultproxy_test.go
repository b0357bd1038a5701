package testenv

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// echoBackend records what reaches it, standing in for moto.
type echoBackend struct {
	mu     sync.Mutex
	bodies []string
	hosts  []string
}

func (b *echoBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.bodies = append(b.bodies, string(body))
	b.hosts = append(b.hosts, r.Host)
	b.mu.Unlock()
	io.WriteString(w, "backend")
}

// TestFaultProxyForwardsAndCounts shows that the proxy forwards requests
// intact (body and Host) and counts them per action across protocols.
func TestFaultProxyForwardsAndCounts(t *testing.T) {
	backend := &echoBackend{}
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	p := NewFaultProxy(t, srv.URL)

	form := url.Values{"Action": {"AssociateAddress"}, "Version": {"2016-11-15"}, "AllocationId": {"eipalloc-1"}}.Encode()
	post := func(body, contentType, target string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.URL+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(got) != "backend" {
			t.Fatalf("POST through proxy = %d %q, want the backend's answer", resp.StatusCode, got)
		}
	}
	post(form, "application/x-www-form-urlencoded; charset=utf-8", "")
	post(form, "application/x-www-form-urlencoded; charset=utf-8", "")
	post(`{"Name":"x"}`, "application/x-amz-json-1.1", "AmazonSSM.GetParameter")
	resp, err := http.Get(p.URL + "/latest/meta-data/instance-id?Action=DescribeTags")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(p.URL + "/latest/meta-data/instance-id")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	backend.mu.Lock()
	defer backend.mu.Unlock()
	if len(backend.bodies) != 5 || backend.bodies[0] != form || backend.bodies[2] != `{"Name":"x"}` {
		t.Errorf("backend received bodies %q, want the form twice, the JSON and two empty bodies", backend.bodies)
	}
	wantHost := strings.TrimPrefix(p.URL, "http://")
	for _, h := range backend.hosts {
		if h != wantHost {
			t.Errorf("backend saw Host %q, want the client's %q (signatures cover it)", h, wantHost)
		}
	}
	for action, want := range map[string]int{"AssociateAddress": 2, "GetParameter": 1, "DescribeTags": 1, "": 0} {
		if got := p.Calls(action); got != want {
			t.Errorf("Calls(%q) = %d, want %d", action, got, want)
		}
	}
	if p.Total() != 5 || p.Injected() != 0 {
		t.Errorf("Total, Injected = %d, %d; want 5, 0", p.Total(), p.Injected())
	}
}

// TestFaultProxyThrottleWithAWSCLI shows that the AWS CLI sees the proxy's
// throttling as EC2's RequestLimitExceeded, that the fault lasts exactly n
// calls of the chosen action, and that the call then reaches moto.
func TestFaultProxyThrottleWithAWSCLI(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	fixture := NewEIPFixture(t, m.AWSConfig())
	p := NewFaultProxy(t, m.URL)
	env := CLIEnv(t, p.URL, TestCredentials)
	associate := []string{"ec2", "associate-address", "--region", m.Region,
		"--allocation-id", fixture.AllocationID, "--instance-id", fixture.InstanceID, "--allow-reassociation"}

	p.ThrottleFirst("AssociateAddress", 2)
	// Other actions are not affected.
	requireCLISuccess(t, runAWS(t, env, "ec2", "describe-addresses", "--region", m.Region))
	for range 2 {
		requireCLIError(t, runAWS(t, env, associate...), "RequestLimitExceeded", "AssociateAddress")
	}
	requireCLISuccess(t, runAWS(t, env, associate...))

	if got := addressHolder(t, m, fixture.AllocationID); got != fixture.InstanceID {
		t.Errorf("address held by %q after the third attempt, want %s", got, fixture.InstanceID)
	}
	if p.Calls("AssociateAddress") != 3 || p.Calls("DescribeAddresses") != 1 || p.Injected() != 2 || p.Total() != 4 {
		t.Errorf("Calls(AssociateAddress)=%d Calls(DescribeAddresses)=%d Injected=%d Total=%d, want 3 1 2 4",
			p.Calls("AssociateAddress"), p.Calls("DescribeAddresses"), p.Injected(), p.Total())
	}
}

// TestFaultProxyServerErrorsWithAWSCLI shows 503 Unavailable and 500
// InternalError reaching the AWS CLI.
func TestFaultProxyServerErrorsWithAWSCLI(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	p := NewFaultProxy(t, m.URL)
	env := CLIEnv(t, p.URL, TestCredentials)
	describe := []string{"ec2", "describe-addresses", "--region", m.Region}

	p.ServerErrorFirst("DescribeAddresses", 1)
	p.FailFirst("DescribeAddresses", 1, InternalError)
	requireCLIError(t, runAWS(t, env, describe...), "Unavailable", "DescribeAddresses")
	requireCLIError(t, runAWS(t, env, describe...), "InternalError", "DescribeAddresses")
	requireCLISuccess(t, runAWS(t, env, describe...))
	if p.Injected() != 2 {
		t.Errorf("Injected = %d, want 2", p.Injected())
	}
}

// TestFaultProxyAuthFailureWithAWSCLI shows an AuthFailure window, for one
// action and for all, and that it ends when its time is up.
func TestFaultProxyAuthFailureWithAWSCLI(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	fixture := NewEIPFixture(t, m.AWSConfig())
	p := NewFaultProxy(t, m.URL)
	clock := &fakeClock{now: time.Now()}
	p.now = clock.Now
	env := CLIEnv(t, p.URL, TestCredentials)
	describe := []string{"ec2", "describe-addresses", "--region", m.Region}
	associate := []string{"ec2", "associate-address", "--region", m.Region,
		"--allocation-id", fixture.AllocationID, "--instance-id", fixture.InstanceID}

	p.AuthFailureFor("AssociateAddress", time.Minute)
	requireCLIError(t, runAWS(t, env, associate...), "AuthFailure", "AssociateAddress")
	requireCLISuccess(t, runAWS(t, env, describe...))

	p.AuthFailureFor("", 2*time.Minute)
	requireCLIError(t, runAWS(t, env, describe...), "AuthFailure", "DescribeAddresses")

	clock.Advance(2*time.Minute + time.Second)
	requireCLISuccess(t, runAWS(t, env, describe...))
	requireCLISuccess(t, runAWS(t, env, associate...))
	if got := addressHolder(t, m, fixture.AllocationID); got != fixture.InstanceID {
		t.Errorf("address held by %q once the window closed, want %s", got, fixture.InstanceID)
	}
}

// TestFaultProxyErrorsWithSDK shows that aws-sdk-go-v2, whose EC2 client
// only understands EC2's own error shape, parses the injected errors.
func TestFaultProxyErrorsWithSDK(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	p := NewFaultProxy(t, m.URL)
	cfg := AWSConfig(p.URL, m.Region, TestCredentials)
	cfg.RetryMaxAttempts = 1
	client := ec2.NewFromConfig(cfg)
	ctx := testContext(t, time.Minute)

	p.ThrottleFirst("DescribeAddresses", 1)
	p.AuthFailureFor("RunInstances", time.Hour)
	for _, tc := range []struct {
		call       func() error
		wantCode   string
		wantStatus int
	}{
		{func() error { _, err := client.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}); return err }, "RequestLimitExceeded", http.StatusBadRequest},
		{func() error { _, err := CreateInstance(ctx, cfg, MotoAMI); return err }, "AuthFailure", http.StatusUnauthorized},
	} {
		err := tc.call()
		var apiErr smithy.APIError
		var respErr *awshttp.ResponseError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode || !errors.As(err, &respErr) || respErr.HTTPStatusCode() != tc.wantStatus {
			t.Errorf("got %v; want HTTP %d with error code %s", err, tc.wantStatus, tc.wantCode)
		} else if respErr.ServiceRequestID() == "" {
			t.Errorf("%s error carries no request ID", tc.wantCode)
		}
	}
	if _, err := client.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}); err != nil {
		t.Errorf("DescribeAddresses after the throttling: %v", err)
	}
}

// TestFaultProxyErrorShapes pins the XML of injected errors: EC2's
// <Response><Errors> for EC2, <ErrorResponse> for the other query services.
func TestFaultProxyErrorShapes(t *testing.T) {
	p := NewFaultProxy(t, "http://127.0.0.1:1") // never reached
	p.FailFirst("", 2, InternalError)
	for service, want := range map[string]string{
		"ec2":         "<Response><Errors><Error><Code>InternalError</Code><Message>An internal error has occurred.</Message></Error></Errors><RequestID>",
		"autoscaling": "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>An internal error has occurred.</Message></Error><RequestId>",
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.URL, strings.NewReader("Action=DoIt&Version=1"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), want) {
			t.Errorf("%s: got %d %s; want 500 containing %s", service, resp.StatusCode, body, want)
		}
	}
}

// TestFaultProxyIMDSFaults shows request-level faults in front of the
// metadata mock: failed requests get the chosen status, dropped ones no
// answer at all, and both pass on to normal service afterwards.
func TestFaultProxyIMDSFaults(t *testing.T) {
	m := StartIMDS(t, IMDSOptions{})
	p := NewFaultProxy(t, m.URL)
	c := newIMDSClient(t, p.URL)
	ttl := http.Header{"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": {"60"}}

	p.FailFirstRequests(2, http.StatusInternalServerError)
	for range 2 {
		if status, _, err := c.do(http.MethodPut, "/latest/api/token", ttl); err != nil || status != http.StatusInternalServerError {
			t.Fatalf("PUT token with a failure injected = %d, %v; want 500", status, err)
		}
	}
	token := c.token()

	p.DropFirstRequests(1)
	if status, _, err := c.do(http.MethodGet, "/latest/meta-data/instance-id", http.Header{"X-Aws-Ec2-Metadata-Token": {token}}); err == nil {
		t.Fatalf("GET with a drop injected answered %d, want a connection error", status)
	}
	c.requireGet(token, "/latest/meta-data/instance-id", DefaultInstanceID)

	if p.Total() != 5 || p.Injected() != 3 {
		t.Errorf("Total, Injected = %d, %d; want 5, 3", p.Total(), p.Injected())
	}
}

// TestFaultProxyDropWithCurl shows what a dropped request looks like to
// curl, which the boot script uses for IMDS.
func TestFaultProxyDropWithCurl(t *testing.T) {
	curl := RequireTool(t, "curl", "apt-get install curl")
	m := StartIMDS(t, IMDSOptions{})
	p := NewFaultProxy(t, m.URL)
	p.DropFirstRequests(1)
	args := []string{"-sS", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60", p.URL + "/latest/api/token"}
	res, err := RunCommand(testContext(t, time.Minute), nil, curl, args...)
	if err != nil {
		t.Fatal(err)
	}
	const curlEmptyReply = 52
	if res.ExitCode != curlEmptyReply {
		t.Errorf("curl through a dropping proxy: %v; want exit code %d (empty reply from server)", res, curlEmptyReply)
	}
	if res, err := RunCommand(testContext(t, time.Minute), nil, curl, args...); err != nil || res.ExitCode != 0 || res.Stdout == "" {
		t.Errorf("curl after the drop: %v %v; want a token", res, err)
	}
}

func TestNewFaultProxyRejectsBadTarget(t *testing.T) {
	for _, target := range []string{"", "127.0.0.1:5000", "https://127.0.0.1:5000", "http://"} {
		f := runFake(t, func(tb testing.TB) {
			NewFaultProxy(tb, target)
			t.Errorf("NewFaultProxy(%q) returned", target)
		})
		if fatal, _ := f.outcome(); !strings.Contains(fatal, "NewFaultProxy") {
			t.Errorf("NewFaultProxy(%q): fatal message %q", target, fatal)
		}
	}
}

// fakeClock is a settable clock for AuthFailureFor.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// addressHolder returns the instance holding the Elastic IP, asking moto
// directly rather than through any proxy.
func addressHolder(t *testing.T, m *Moto, allocationID string) string {
	t.Helper()
	id, err := AddressInstanceID(testContext(t, time.Minute), m.AWSConfig(), allocationID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
