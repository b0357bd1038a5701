package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// imdsClient speaks IMDSv2 to a metadata service for tests.
type imdsClient struct {
	t       *testing.T
	baseURL string
	client  *http.Client
}

func newIMDSClient(t *testing.T, baseURL string) *imdsClient {
	return &imdsClient{t: t, baseURL: baseURL, client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}}
}

// do sends one request and returns its status and body, or the transport
// error.
func (c *imdsClient) do(method, path string, header http.Header) (int, string, error) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.baseURL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, string(body), nil
}

// token gets an IMDSv2 session token, failing the test if it cannot.
func (c *imdsClient) token() string {
	c.t.Helper()
	status, body, err := c.do(http.MethodPut, "/latest/api/token",
		http.Header{"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": {"300"}})
	if err != nil || status != http.StatusOK || body == "" {
		c.t.Fatalf("PUT /latest/api/token: status %d, body %q, error %v", status, body, err)
	}
	return body
}

// get reads a metadata path with token ("" for none).
func (c *imdsClient) get(token, path string) (int, string) {
	c.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("X-Aws-Ec2-Metadata-Token", token)
	}
	status, body, err := c.do(http.MethodGet, path, h)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return status, body
}

// requireGet fails the test unless path answers 200 with want.
func (c *imdsClient) requireGet(token, path, want string) {
	c.t.Helper()
	if status, body := c.get(token, path); status != http.StatusOK || body != want {
		c.t.Errorf("GET %s = %d %q, want 200 %q", path, status, body, want)
	}
}

// requireNotFound fails the test unless path answers 404.
func (c *imdsClient) requireNotFound(token, path string) {
	c.t.Helper()
	if status, body := c.get(token, path); status != http.StatusNotFound {
		c.t.Errorf("GET %s = %d %q, want 404", path, status, body)
	}
}

// TestStartIMDS shows that the mock requires IMDSv2 tokens, serves the
// configured identity and announces nothing by default, and that cleanup
// stops it.
func TestStartIMDS(t *testing.T) {
	MetadataMockBinary(t) // skip or fail here, not in the subtest
	var url string
	t.Run("serves", func(t *testing.T) {
		m := StartIMDS(t, IMDSOptions{InstanceID: "i-0123456789abcdef1", AvailabilityZone: "eu-west-2b"})
		url = m.URL
		if m.InstanceID != "i-0123456789abcdef1" || m.AvailabilityZone != "eu-west-2b" || m.Region != "eu-west-2" {
			t.Errorf("StartIMDS = %+v, want the configured values and region eu-west-2", m)
		}
		c := newIMDSClient(t, m.URL)

		if status, body := c.get("", "/latest/meta-data/instance-id"); status != http.StatusUnauthorized {
			t.Errorf("GET instance-id without a token = %d %q, want 401", status, body)
		}
		if status, body := c.get("not-a-token", "/latest/meta-data/instance-id"); status != http.StatusUnauthorized {
			t.Errorf("GET instance-id with a bogus token = %d %q, want 401", status, body)
		}

		token := c.token()
		c.requireGet(token, "/latest/meta-data/instance-id", "i-0123456789abcdef1")
		c.requireGet(token, "/latest/meta-data/placement/availability-zone", "eu-west-2b")
		c.requireGet(token, "/latest/meta-data/placement/region", "eu-west-2")
		c.requireGet(token, "/latest/meta-data/autoscaling/target-lifecycle-state", LifecycleInService)

		var doc struct{ InstanceID, AvailabilityZone, Region, AccountID string }
		_, body := c.get(token, "/latest/dynamic/instance-identity/document")
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("identity document %q: %v", body, err)
		}
		if doc.InstanceID != m.InstanceID || doc.AvailabilityZone != m.AvailabilityZone || doc.Region != m.Region || doc.AccountID == "" {
			t.Errorf("identity document = %+v, want the configured identity merged into the mock's defaults", doc)
		}

		// The mock's defaults would announce all of these at once.
		c.requireNotFound(token, "/latest/meta-data/spot/instance-action")
		c.requireNotFound(token, "/latest/meta-data/spot/termination-time")
		c.requireNotFound(token, "/latest/meta-data/events/recommendations/rebalance")
		c.requireNotFound(token, "/latest/meta-data/events/maintenance/scheduled")
	})
	requireRefused(t, url)
}

// TestStartIMDSAnnouncements shows the options that turn the Spot notice and
// the Auto Scaling termination on.
func TestStartIMDSAnnouncements(t *testing.T) {
	m := StartIMDS(t, IMDSOptions{
		TargetLifecycleState: LifecycleTerminated,
		SpotInterruption:     &SpotInterruption{Action: "stop"},
	})
	c := newIMDSClient(t, m.URL)
	token := c.token()
	c.requireGet(token, "/latest/meta-data/autoscaling/target-lifecycle-state", LifecycleTerminated)

	status, body := c.get(token, "/latest/meta-data/spot/instance-action")
	var action struct{ Action, Time string }
	if err := json.Unmarshal([]byte(body), &action); status != http.StatusOK || err != nil {
		t.Fatalf("GET spot/instance-action = %d %q (%v), want 200 with a JSON notice", status, body, err)
	}
	if action.Action != "stop" {
		t.Errorf("spot notice action = %q, want stop", action.Action)
	}
	if _, err := time.Parse(time.RFC3339, action.Time); err != nil {
		t.Errorf("spot notice time %q: %v", action.Time, err)
	}
	// A documented quirk of the mock: the scheduled event shares the Spot
	// notice's trigger.
	if status, _ := c.get(token, "/latest/meta-data/events/maintenance/scheduled"); status != http.StatusOK {
		t.Errorf("GET events/maintenance/scheduled = %d; the mock's shared trigger should announce it with the Spot notice", status)
	}
}

// TestStartIMDSDelayedAnnouncements shows that delayed announcements are off
// until their delay has passed.
func TestStartIMDSDelayedAnnouncements(t *testing.T) {
	m := StartIMDS(t, IMDSOptions{
		TerminateAfter:   time.Hour,
		SpotInterruption: &SpotInterruption{After: time.Hour},
	})
	c := newIMDSClient(t, m.URL)
	token := c.token()
	c.requireGet(token, "/latest/meta-data/autoscaling/target-lifecycle-state", LifecycleInService)
	c.requireNotFound(token, "/latest/meta-data/spot/instance-action")
}

func TestStartIMDSAllowIMDSv1(t *testing.T) {
	m := StartIMDS(t, IMDSOptions{AllowIMDSv1: true})
	newIMDSClient(t, m.URL).requireGet("", "/latest/meta-data/instance-id", DefaultInstanceID)
}

// TestStartIMDSWithCurl shows the IMDSv2 exchange the boot script makes with
// curl works against the mock.
func TestStartIMDSWithCurl(t *testing.T) {
	curl := RequireTool(t, "curl", "apt-get install curl")
	m := StartIMDS(t, IMDSOptions{InstanceID: "i-0fedcba9876543210"})
	ctx := testContext(t, time.Minute)
	tok, err := RunCommand(ctx, nil, curl, "-sSf", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60", m.URL+"/latest/api/token")
	if err != nil || tok.ExitCode != 0 {
		t.Fatalf("curl token: %v %v", tok, err)
	}
	id, err := RunCommand(ctx, nil, curl, "-sSf", "-H", "X-aws-ec2-metadata-token: "+tok.Stdout, m.URL+"/latest/meta-data/instance-id")
	if err != nil || id.ExitCode != 0 || id.Stdout != "i-0fedcba9876543210" {
		t.Errorf("curl instance-id = %v %v, want i-0fedcba9876543210", id, err)
	}
}

func TestIMDSOptionsInvalid(t *testing.T) {
	for name, opts := range map[string]IMDSOptions{
		"unsupported lifecycle state": {TargetLifecycleState: "Warmed:Pending"},
		"terminate after terminated":  {TargetLifecycleState: LifecycleTerminated, TerminateAfter: time.Second},
		"unknown spot action":         {SpotInterruption: &SpotInterruption{Action: "explode"}},
		"negative spot delay":         {SpotInterruption: &SpotInterruption{After: -time.Second}},
		"zone without region":         {AvailabilityZone: "nowhere"},
		"role without a name":         {Role: &InstanceRole{Credentials: TestCredentials}},
		"role name with a slash":      {Role: &InstanceRole{Name: "a/b", Credentials: TestCredentials}},
		"role without keys":           {Role: &InstanceRole{Name: "r"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := runFake(t, func(tb testing.TB) {
				StartIMDS(tb, opts)
				t.Error("StartIMDS returned for invalid options")
			})
			if fatal, _ := f.outcome(); !strings.HasPrefix(fatal, "StartIMDS: ") {
				t.Errorf("fatal message = %q, want StartIMDS to reject the options", fatal)
			}
		})
	}
}

// TestStartIMDSServesTheRolesCredentials: the instance profile's role and
// exactly its credentials, where the AWS CLI looks for them, not yet
// expired; by default, the mock's role with moto's test keys.
func TestStartIMDSServesTheRolesCredentials(t *testing.T) {
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	role := InstanceRole{Name: "app-role", Expiration: expires,
		Credentials: Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}}
	for name, tc := range map[string]struct {
		role *InstanceRole
		want InstanceRole
	}{
		"given":   {&role, role},
		"default": {nil, InstanceRole{Name: DefaultRoleName, Credentials: TestCredentials}},
	} {
		t.Run(name, func(t *testing.T) {
			c := newIMDSClient(t, StartIMDS(t, IMDSOptions{Role: tc.role}).URL)
			token := c.token()
			c.requireGet(token, "/latest/meta-data/iam/security-credentials/", tc.want.Name)
			status, body := c.get(token, "/latest/meta-data/iam/security-credentials/"+tc.want.Name)
			var got struct{ Code, AccessKeyId, SecretAccessKey, Token, Expiration string }
			if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil {
				t.Fatalf("credentials: %d %q (%v)", status, body, err)
			}
			exp, err := time.Parse(time.RFC3339, got.Expiration)
			if got.Code != "Success" || got.AccessKeyId != tc.want.Credentials.AccessKeyID || got.SecretAccessKey != tc.want.Credentials.SecretAccessKey ||
				got.Token != tc.want.Credentials.SessionToken || err != nil || !exp.After(time.Now()) ||
				(!tc.want.Expiration.IsZero() && !exp.Equal(tc.want.Expiration)) {
				t.Errorf("credentials = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestStartIMDSE shows the error-returning start without a testing.TB: the
// mock serves the configured identity, and Close stops it, removes its
// directory and can be called again.
func TestStartIMDSE(t *testing.T) {
	MetadataMockBinary(t) // skip or fail like every other test of the mock
	m, err := StartIMDSE(IMDSOptions{InstanceID: "i-00000000000000042"})
	if err != nil {
		t.Fatalf("StartIMDSE: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			m.Close()
		}
	}()
	c := newIMDSClient(t, m.URL)
	c.requireGet(c.token(), "/latest/meta-data/instance-id", "i-00000000000000042")
	dir := m.srv.dir
	pid := m.srv.proc.cmd.Process.Pid

	closed = true
	requireClosesCleanly(t, m.Close, m.URL, pid, dir)
}

func TestStartIMDSEInvalid(t *testing.T) {
	_, err := StartIMDSE(IMDSOptions{TargetLifecycleState: "Warmed:Pending"})
	if err == nil || !strings.Contains(err.Error(), "Warmed:Pending") {
		t.Errorf("StartIMDSE with an unsupported lifecycle state: %v, want an error naming it", err)
	}
}

// TestLifecycleFrontSaysItsState: the front says the state it is set to,
// where the mock would say InService, and the mock still judges tokens.
func TestLifecycleFrontSaysItsState(t *testing.T) {
	m := StartIMDS(t, IMDSOptions{InstanceID: "i-0123456789abcdef1", AvailabilityZone: "eu-west-2b"})
	f, err := StartLifecycleFrontE(m.URL, "Warmed:Stopped")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	c := newIMDSClient(t, f.URL)
	if status, body := c.get("", targetLifecyclePath); status != http.StatusUnauthorized {
		t.Errorf("GET the lifecycle state without a token = %d %q, want the mock's 401", status, body)
	}
	token := c.token()
	c.requireGet(token, targetLifecyclePath, "Warmed:Stopped")
	c.requireGet(token, "/latest/meta-data/instance-id", "i-0123456789abcdef1")
	f.Set(LifecycleInService)
	c.requireGet(token, targetLifecyclePath, LifecycleInService)
}
