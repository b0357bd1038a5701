package emulator

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
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

	// A window opens at its first call, however late that comes.
	p.AuthFailureFor("DescribeAddresses", time.Minute)
	clock.Advance(time.Hour)
	requireCLIError(t, runAWS(t, env, describe...), "AuthFailure", "DescribeAddresses")
	clock.Advance(time.Minute + time.Second)
	requireCLISuccess(t, runAWS(t, env, describe...))
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

// TestNewFaultProxyE shows the error-returning constructor without a
// testing.TB, an idempotent Close, and its errors.
func TestNewFaultProxyE(t *testing.T) {
	srv := httptest.NewServer(&echoBackend{})
	t.Cleanup(srv.Close)
	p, err := NewFaultProxyE(srv.URL)
	if err != nil {
		t.Fatalf("NewFaultProxyE: %v", err)
	}
	if status, body := send(t, p.URL, "GET", "/", "", nil); status != http.StatusOK || body != "backend" {
		t.Errorf("GET through the proxy = %d %q, want the backend's answer", status, body)
	}
	p.Close()
	requireRefused(t, p.URL)
	p.Close()

	for _, target := range []string{"", "127.0.0.1:5000", "https://127.0.0.1:5000", "http://"} {
		if p, err := NewFaultProxyE(target); err == nil || !strings.Contains(err.Error(), "http://host:port") {
			if p != nil {
				p.Close()
			}
			t.Errorf("NewFaultProxyE(%q) = %v, want an error saying what a target looks like", target, err)
		}
	}
}

// send makes one request to base+path with an optional form body and
// headers, and returns the status and body (status 0 if the connection
// failed).
func send(t *testing.T, base, method, path, form string, header map[string]string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// iamSigned is the Authorization header of a request signed for IAM.
var iamSigned = map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0"}

// inspection is one call of an inspector.
type inspection struct {
	action string
	form   url.Values
}

// TestFaultProxyInspect shows which requests the inspector sees and with
// what, that its errors replace forwarding and count as injected, and that
// faults come first.
func TestFaultProxyInspect(t *testing.T) {
	backend := &echoBackend{}
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	p := NewFaultProxy(t, srv.URL)

	var mu sync.Mutex
	var seen []inspection
	p.Inspect(func(action string, form url.Values) *APIError {
		_ = p.Calls(action) // the inspector may use the proxy
		mu.Lock()
		seen = append(seen, inspection{action, form})
		mu.Unlock()
		form.Set("Action", "Tampered") // a copy: the request is unaffected
		if action == "AttachRolePolicy" && form.Get("PolicyArn") != ssmCorePolicyARN {
			return &APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "not that policy"}
		}
		return nil
	})

	allowed := url.Values{"Action": {"AttachRolePolicy"}, "RoleName": {"r"}, "PolicyArn": {ssmCorePolicyARN}}.Encode()
	denied := url.Values{"Action": {"AttachRolePolicy"}, "RoleName": {"r"}, "PolicyArn": {"arn:aws:iam::aws:policy/AdministratorAccess"}}.Encode()

	if status, body := send(t, p.URL, "POST", "/?Version=2010-05-08", allowed, iamSigned); status != http.StatusOK || body != "backend" {
		t.Errorf("allowed request = %d %q, want it forwarded", status, body)
	}
	status, body := send(t, p.URL, "POST", "/", denied, iamSigned)
	if want := "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not that policy</Message></Error>"; status != http.StatusForbidden || !strings.Contains(body, want) {
		t.Errorf("denied IAM request = %d %q, want 403 containing %s", status, body, want)
	}
	// Unsigned (or EC2) requests get EC2's shape; a zero status means 400.
	p.Inspect(func(action string, form url.Values) *APIError {
		if action == "DescribeTags" {
			return &APIError{Code: "UnauthorizedOperation", Message: "no"}
		}
		return nil
	})
	status, body = send(t, p.URL, "GET", "/?Action=DescribeTags&Filter.1.Name=key", "", nil)
	if want := "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"; status != http.StatusBadRequest || !strings.Contains(body, want) {
		t.Errorf("denied EC2 request = %d %q, want 400 containing %s", status, body, want)
	}
	// Not inspected: JSON protocol, IMDS, and requests a fault answered.
	p.Inspect(func(action string, form url.Values) *APIError {
		t.Errorf("inspector called for %s %v", action, form)
		return &APIError{Code: "Unexpected"}
	})
	send(t, p.URL, "POST", "/", "", map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter", "Content-Type": "application/x-amz-json-1.1"})
	send(t, p.URL, "GET", "/latest/meta-data/instance-id", "", nil)
	p.ThrottleFirst("DescribeTags", 1)
	if status, body := send(t, p.URL, "GET", "/?Action=DescribeTags", "", nil); !strings.Contains(body, "RequestLimitExceeded") {
		t.Errorf("throttled request = %d %q, want the throttling error", status, body)
	}
	p.Inspect(nil)
	if status, body := send(t, p.URL, "POST", "/", denied, iamSigned); status != http.StatusOK || body != "backend" {
		t.Errorf("request after Inspect(nil) = %d %q, want it forwarded", status, body)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []inspection{
		{"AttachRolePolicy", url.Values{"Action": {"AttachRolePolicy"}, "RoleName": {"r"}, "PolicyArn": {ssmCorePolicyARN}, "Version": {"2010-05-08"}}},
		{"AttachRolePolicy", url.Values{"Action": {"AttachRolePolicy"}, "RoleName": {"r"}, "PolicyArn": {"arn:aws:iam::aws:policy/AdministratorAccess"}}},
	}
	if len(seen) != len(want) {
		t.Fatalf("inspector saw %d requests %v, want %d", len(seen), seen, len(want))
	}
	for i := range want {
		seen[i].form.Set("Action", want[i].form.Get("Action")) // undo the tampering
		if seen[i].action != want[i].action || !maps.EqualFunc(seen[i].form, want[i].form, slices.Equal) {
			t.Errorf("inspection %d = %v, want %v", i, seen[i], want[i])
		}
	}
	backend.mu.Lock()
	defer backend.mu.Unlock()
	if len(backend.bodies) != 4 || backend.bodies[0] != allowed || backend.bodies[3] != denied {
		t.Errorf("backend received %q, want the allowed form, the JSON and IMDS requests, and the denied form once uninspected", backend.bodies)
	}
	if p.Total() != 7 || p.Injected() != 3 {
		t.Errorf("Total, Injected = %d, %d; want 7, 3", p.Total(), p.Injected())
	}
}

// TestFaultProxyLogAndReset shows the request log, and Reset clearing
// faults, counters and log while keeping the inspector.
func TestFaultProxyLogAndReset(t *testing.T) {
	srv := httptest.NewServer(&echoBackend{})
	t.Cleanup(srv.Close)
	p := NewFaultProxy(t, srv.URL)
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	p.now = clock.Now
	p.Inspect(func(action string, _ url.Values) *APIError {
		if action == "Forbidden" {
			return &UnauthorizedOperation
		}
		return nil
	})
	setFaults := func() {
		p.ThrottleFirst("Throttled", 5)
		p.AuthFailureFor("NoAuth", time.Hour)
		p.FailFirstRequests(1, http.StatusServiceUnavailable)
		p.DropFirstRequests(1)
	}
	setFaults()

	send(t, p.URL, "GET", "/latest/api/token", "", nil) // dropped
	clock.Advance(time.Second)
	send(t, p.URL, "GET", "/latest/meta-data/", "", nil) // 503
	send(t, p.URL, "POST", "/", "Action=Throttled", nil)
	send(t, p.URL, "POST", "/", "Action=NoAuth", nil)
	send(t, p.URL, "POST", "/", "Action=Forbidden", nil)
	send(t, p.URL, "POST", "/", "Action=Fine", nil)

	t0, t1 := clock.now.Add(-time.Second), clock.now
	want := []Request{
		{Time: t0, Method: "GET", Path: "/latest/api/token", Injected: true, Fault: "dropped"},
		{Time: t1, Method: "GET", Path: "/latest/meta-data/", Injected: true, Fault: "HTTP 503"},
		{Time: t1, Method: "POST", Path: "/", Action: "Throttled", Injected: true, Fault: "RequestLimitExceeded"},
		{Time: t1, Method: "POST", Path: "/", Action: "NoAuth", Injected: true, Fault: "AuthFailure"},
		{Time: t1, Method: "POST", Path: "/", Action: "Forbidden", Injected: true, Fault: "UnauthorizedOperation"},
		{Time: t1, Method: "POST", Path: "/", Action: "Fine"},
	}
	if got := p.Log(); !slices.Equal(got, want) {
		t.Errorf("Log() =\n%+v\nwant\n%+v", got, want)
	}
	p.Log()[0].Action = "changed" // a copy
	if p.Log()[0].Action != "" {
		t.Error("Log returned the proxy's own slice")
	}
	if p.Total() != 6 || p.Injected() != 5 || p.Calls("Throttled") != 1 {
		t.Errorf("Total, Injected, Calls(Throttled) = %d, %d, %d; want 6, 5, 1", p.Total(), p.Injected(), p.Calls("Throttled"))
	}

	p.Reset()
	if p.Total() != 0 || p.Injected() != 0 || p.Calls("Throttled") != 0 || len(p.Log()) != 0 {
		t.Fatalf("after Reset: Total, Injected, Calls(Throttled), len(Log) = %d, %d, %d, %d; want all 0",
			p.Total(), p.Injected(), p.Calls("Throttled"), len(p.Log()))
	}
	for _, r := range want {
		if r.Action == "" {
			send(t, p.URL, r.Method, r.Path, "", nil)
		} else {
			send(t, p.URL, r.Method, r.Path, "Action="+r.Action, nil)
		}
	}
	for i, r := range p.Log() {
		// Only the inspector, which Reset keeps, still answers.
		if wantInjected := r.Action == "Forbidden"; r.Injected != wantInjected {
			t.Errorf("after Reset, request %d %+v: injected %v, want %v", i, r, r.Injected, wantInjected)
		}
	}
	if p.Total() != 6 || p.Injected() != 1 {
		t.Errorf("after Reset and six requests: Total, Injected = %d, %d; want 6, 1", p.Total(), p.Injected())
	}

	// The same proxy serves the next scenario's faults.
	setFaults()
	if status, _ := send(t, p.URL, "GET", "/", "", nil); status != 0 {
		t.Errorf("first request after setting the faults again answered %d, want it dropped", status)
	}
}

// TestFaultProxyInspectWithMoto shows an inspector enforcing resource ARNs
// that moto ignores, as seen by the AWS CLI (EC2) and the SDK (IAM).
func TestFaultProxyInspectWithMoto(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{LoadManagedPolicies: true})
	fixture := NewEIPFixture(t, m.AWSConfig())
	other, _, err := AllocateAddress(testContext(t, time.Minute), m.AWSConfig())
	if err != nil {
		t.Fatal(err)
	}
	p := NewFaultProxy(t, m.URL)
	p.Inspect(func(action string, form url.Values) *APIError {
		switch {
		case action == "AssociateAddress" && form.Get("AllocationId") != fixture.AllocationID:
			return &UnauthorizedOperation
		case action == "AttachRolePolicy" && form.Get("PolicyArn") != ssmCorePolicyARN:
			return &APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "User is not authorized to perform: iam:AttachRolePolicy"}
		}
		return nil
	})

	env := CLIEnv(t, p.URL, TestCredentials)
	associate := func(allocationID string) CommandResult {
		return runAWS(t, env, "ec2", "associate-address", "--region", m.Region,
			"--allocation-id", allocationID, "--instance-id", fixture.InstanceID, "--allow-reassociation")
	}
	requireCLIError(t, associate(other), "UnauthorizedOperation", "AssociateAddress")
	requireCLISuccess(t, associate(fixture.AllocationID))
	if got := addressHolder(t, m, other); got != "" {
		t.Errorf("the denied address is held by %q, want nobody", got)
	}

	cfg := AWSConfig(p.URL, m.Region, TestCredentials)
	cfg.RetryMaxAttempts = 1
	ctx := testContext(t, time.Minute)
	client := iam.NewFromConfig(cfg)
	attachPolicy(t, ctx, client, "instance-role", ssmCorePolicyARN)
	_, err = client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{
		RoleName: aws.String("instance-role"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"),
	})
	var apiErr smithy.APIError
	var respErr *awshttp.ResponseError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusForbidden {
		t.Errorf("AttachRolePolicy of a policy the inspector denies: %v, want HTTP 403 AccessDenied", err)
	}
	if p.Injected() != 2 {
		t.Errorf("Injected = %d, want 2", p.Injected())
	}
}

// TestFaultProxyDelay shows a held request: a client that gives up first
// gets no answer, and nothing reaches the target; one that waits gets the
// target's answer; requests after the first n pass at once; and a request
// still held when the proxy closes ends without an answer, without holding
// up Close.
func TestFaultProxyDelay(t *testing.T) {
	backend := &echoBackend{}
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	p := NewFaultProxy(t, srv.URL)
	impatient := &http.Client{Timeout: 200 * time.Millisecond}

	p.DelayFirstRequests(1, time.Hour)
	if resp, err := impatient.Get(p.URL + "/held"); err == nil {
		resp.Body.Close()
		t.Fatalf("a request held for an hour was answered %d", resp.StatusCode)
	}
	if status, body := send(t, p.URL, "GET", "/after", "", nil); status != http.StatusOK || body != "backend" {
		t.Errorf("the request after the held one: %d %q; want 200 from the target", status, body)
	}

	p.DelayFirstRequests(2, 10*time.Millisecond)
	for range 2 {
		if status, body := send(t, p.URL, "POST", "/", "Action=Slow", nil); status != http.StatusOK || body != "backend" {
			t.Errorf("a request held briefly: %d %q; want 200 from the target", status, body)
		}
	}
	backend.mu.Lock()
	reached := slices.Clone(backend.bodies)
	backend.mu.Unlock()
	if want := []string{"", "Action=Slow", "Action=Slow"}; !slices.Equal(reached, want) {
		t.Errorf("the target saw %q, want %q: the abandoned request must not reach it", reached, want)
	}
	if p.Total() != 4 || p.Injected() != 0 || p.Calls("Slow") != 2 {
		t.Errorf("Total, Injected, Calls(Slow) = %d, %d, %d; want 4, 0, 2", p.Total(), p.Injected(), p.Calls("Slow"))
	}

	p.DelayFirstRequests(1, time.Hour)
	answered := make(chan int, 1)
	go func() {
		status, _ := send(t, p.URL, "GET", "/held-at-close", "", nil)
		answered <- status
	}()
	for p.Total() < 5 {
		time.Sleep(10 * time.Millisecond)
	}
	p.Close()
	if status := <-answered; status != 0 {
		t.Errorf("a request held when the proxy closed was answered %d, want no answer", status)
	}
}
