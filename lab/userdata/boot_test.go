package userdata_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the rendered boot script, as cloud-init would, under bash
// with the real AWS CLI against moto, and AWS's metadata mock as IMDS. Fault
// proxies sit in front of both. emulator.RunFirstBoot gives each run fresh
// /var/log, /var/lib and /run, as on a new instance, and keeps them for the
// test to read.

// hangBound catches a script that hangs; it is no timing assertion. The
// slowest scenario, giving up after every retry, takes about 2.5 minutes.
const hangBound = 6 * time.Minute

// instance is a simulated EC2 instance about to boot.
type instance struct {
	t         *testing.T
	moto      *emulator.Moto
	cfg       aws.Config
	api       *emulator.FaultProxy // in front of moto
	metadata  *emulator.FaultProxy // in front of the metadata mock
	fixture   emulator.EIPFixture
	fs        emulator.InstanceRoot
	lifecycle func(w http.ResponseWriter) bool
}

// newInstance starts moto, creates an instance and an unassociated Elastic
// IP in it, and starts a metadata mock that speaks for that instance.
func newInstance(t *testing.T) *instance {
	t.Helper()
	emulator.RequireFirstBoot(t)
	emulator.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	t.Parallel()
	moto := emulator.StartMoto(t, emulator.MotoOptions{})
	in := &instance{t: t, moto: moto, cfg: moto.AWSConfig(), fs: emulator.InstanceRoot(t.TempDir())}
	in.fixture = emulator.NewEIPFixture(t, in.cfg)
	imds := emulator.StartIMDS(t, emulator.IMDSOptions{
		InstanceID:       in.fixture.InstanceID,
		AvailabilityZone: moto.Region + "a",
	})
	in.api = emulator.NewFaultProxy(t, moto.URL)
	in.metadata = emulator.NewFaultProxy(t, in.lifecycleOverride(imds.URL))
	return in
}

// lifecycleOverride fronts the metadata mock with a server that answers the
// target-lifecycle-state path itself when a test sets in.lifecycle, since the
// mock knows only InService and Terminated.
func (in *instance) lifecycleOverride(imdsURL string) string {
	target, err := url.Parse(imdsURL)
	if err != nil {
		in.t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in.lifecycle != nil && r.URL.Path == "/latest/meta-data/autoscaling/target-lifecycle-state" && in.lifecycle(w) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	in.t.Cleanup(srv.Close)
	return srv.URL
}

// bootResult is what one run of the boot script left behind.
type bootResult struct {
	emulator.CommandResult
	Log, Status   string
	UserScriptRan bool
}

// boot renders the script for p and runs it as the instance's first boot.
func (in *instance) boot(p userdata.Params) bootResult {
	in.t.Helper()
	script, err := userdata.Render(p)
	if err != nil {
		in.t.Fatalf("Render: %v", err)
	}
	return in.bootScript(script)
}

// bootScript runs a rendered script as the instance's first boot.
func (in *instance) bootScript(script string) bootResult {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	res, err := emulator.RunFirstBoot(ctx, in.fs, []byte(script), in.env())
	if err != nil {
		in.t.Fatalf("running the boot script: %v\n%s", err, res)
	}
	return resultOn(in.fs, res)
}

// userScriptMarker is the file the tests' user scripts touch, so a result
// can say whether the user script ran.
const userScriptMarker = "/var/lib/user-script-ran"

// resultOn reads what a run of the boot script left on the instance root fs.
func resultOn(fs emulator.InstanceRoot, res emulator.CommandResult) bootResult {
	_, ranErr := os.Stat(fs.Path(userScriptMarker))
	return bootResult{
		CommandResult: res,
		Log:           fs.ReadFile(userdata.LogFile),
		Status:        strings.TrimSpace(fs.ReadFile(userdata.StatusFile)),
		UserScriptRan: ranErr == nil,
	}
}

// env is what the boot script runs with on this instance, as on EC2: AWS
// CLI v2 reaching AWS's host names through an HTTPS proxy in front of the
// API's fault proxy, with its credentials from the metadata service
// behind the metadata's fault proxy, which the script reads too.
func (in *instance) env() []string {
	return append(emulator.InstanceProfileCLIEnv(in.t, in.api.URL, in.metadata.URL), userdata.IMDSEndpointEnv+"="+in.metadata.URL)
}

// holder returns the instance the Elastic IP is on, as moto sees it.
func (in *instance) holder() string {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := emulator.AddressInstanceID(ctx, in.cfg, in.fixture.AllocationID)
	if err != nil {
		in.t.Fatal(err)
	}
	return id
}

// params are the boot script's parameters for this instance, with a user
// script that leaves a mark on the instance's disk.
func (in *instance) params() userdata.Params {
	return userdata.Params{GroupName: "proj-dev-web", AllocationID: in.fixture.AllocationID, UserScript: "touch /var/lib/user-script-ran"}
}

// wantHealed fails the test unless the script succeeded, the address is on
// this instance, and the user script ran after it.
func (in *instance) wantHealed(r bootResult) {
	in.t.Helper()
	if r.ExitCode != 0 {
		in.t.Fatalf("boot script failed:\n%s", r)
	}
	if got := in.holder(); got != in.fixture.InstanceID {
		in.t.Errorf("Elastic IP is on %q, want %s", got, in.fixture.InstanceID)
	}
	if strings.Contains(r.Stderr, "FAILED") || strings.Contains(r.Log, "FAILED") {
		in.t.Errorf("a healed boot logged a failure:\n%s", r.Stderr)
	}
	if r.Status != "ready" || !r.UserScriptRan {
		in.t.Errorf("status %q, user script ran %v; want ready and true", r.Status, r.UserScriptRan)
	}
	if !strings.Contains(r.Log, "ready: "+in.fixture.PublicIP+" -> "+in.fixture.InstanceID) {
		in.t.Errorf("log lacks the ready line:\n%s", r.Log)
	}
	if !strings.Contains(r.Stderr, "selfhealing: ready") {
		in.t.Errorf("stderr (cloud-init's console log) lacks the ready line:\n%s", r.Stderr)
	}
}

// wantFailed fails the test unless the script failed loudly with one FAILED
// line containing each of want, and left the user script unrun.
func (in *instance) wantFailed(r bootResult, want ...string) {
	in.t.Helper()
	wantFailedBeforeTheUserScript(in.t, r, want...)
}

// wantFailedAtTheAddress is wantOneFailure for a failure in taking the
// address, which comes last: after the user script, which ran.
func (in *instance) wantFailedAtTheAddress(r bootResult, want ...string) {
	in.t.Helper()
	wantOneFailure(in.t, r, want...)
	if !r.UserScriptRan {
		in.t.Errorf("the user script did not run before the address (status %q)", r.Status)
	}
}

// wantFailedBeforeTheUserScript is wantOneFailure, and the user script did
// not run.
func wantFailedBeforeTheUserScript(t *testing.T, r bootResult, want ...string) {
	t.Helper()
	wantOneFailure(t, r, want...)
	if r.UserScriptRan {
		t.Errorf("the user script ran after a failed boot (status %q)", r.Status)
	}
}

func TestBootTakesTheAddress(t *testing.T) {
	in := newInstance(t)
	r := in.boot(in.params())
	in.wantHealed(r)
	if got := in.api.Calls("AssociateAddress"); got != 1 {
		t.Errorf("AssociateAddress called %d times, want 1", got)
	}
	if got := in.api.Calls("DescribeAddresses"); got < 1 {
		t.Errorf("the association was never verified with DescribeAddresses")
	}
	for _, line := range strings.Split(strings.TrimSpace(r.Log), "\n") {
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", strings.Fields(line)[0]); err != nil {
			t.Errorf("log line without a UTC timestamp: %q", line)
		}
	}
}

// addressOnAnotherInstance puts the Elastic IP on a new instance, as on
// the one the booting instance replaces, and returns that instance's id.
func (in *instance) addressOnAnotherInstance() string {
	in.t.Helper()
	previous, err := emulator.CreateInstance(context.Background(), in.cfg, emulator.MotoAMI)
	if err != nil {
		in.t.Fatal(err)
	}
	if err := emulator.AssociateAddress(context.Background(), in.cfg, in.fixture.AllocationID, previous); err != nil {
		in.t.Fatal(err)
	}
	return previous
}

func TestBootMovesTheAddressOffAnotherInstance(t *testing.T) {
	in := newInstance(t)
	in.addressOnAnotherInstance()
	in.wantHealed(in.boot(in.params()))
}

func TestBootIsIdempotent(t *testing.T) {
	in := newInstance(t)
	in.wantHealed(in.boot(in.params()))
	in.wantHealed(in.boot(in.params()))
}

func TestBootRetriesAnUnreadyMetadataService(t *testing.T) {
	in := newInstance(t)
	in.metadata.DropFirstRequests(2)
	in.metadata.FailFirstRequests(2, http.StatusInternalServerError)
	r := in.boot(in.params())
	in.wantHealed(r)
	if !strings.Contains(r.Log, "metadata token request failed") {
		t.Errorf("the metadata failures were not logged:\n%s", r.Log)
	}
}

func TestBootRetriesThrottling(t *testing.T) {
	in := newInstance(t)
	in.api.ThrottleFirst("AssociateAddress", 3)
	r := in.boot(in.params())
	in.wantHealed(r)
	if got := in.api.Calls("AssociateAddress"); got != 4 {
		t.Errorf("AssociateAddress called %d times, want 3 throttled and 1 successful", got)
	}
	if !strings.Contains(r.Log, "associate-address: retryable error (attempt 3/10)") || !strings.Contains(r.Log, "RequestLimitExceeded") {
		t.Errorf("the retries were not logged:\n%s", r.Log)
	}
}

func TestBootWaitsOutIAMPropagation(t *testing.T) {
	in := newInstance(t)
	// A role created in the same deployment: EC2 rejects the instance's
	// credentials at first, then its permissions.
	in.api.AuthFailureFor("", 3*time.Second)
	in.api.FailFirst("AssociateAddress", 2, emulator.UnauthorizedOperation)
	r := in.boot(in.params())
	in.wantHealed(r)
	for _, code := range []string{"AuthFailure", "UnauthorizedOperation"} {
		if !strings.Contains(r.Log, code) {
			t.Errorf("no retry logged for %s:\n%s", code, r.Log)
		}
	}
}

func TestBootRetriesServerErrors(t *testing.T) {
	in := newInstance(t)
	in.api.ServerErrorFirst("AssociateAddress", 1)
	in.api.FailFirst("DescribeAddresses", 1, emulator.InternalError)
	in.wantHealed(in.boot(in.params()))
}

func TestBootFailsAtOnceOnAPermanentError(t *testing.T) {
	in := newInstance(t)
	p := in.params()
	p.AllocationID = "eipalloc-0000000000000000f" // not in this account
	r := in.boot(p)
	in.wantFailedAtTheAddress(r, "associating Elastic IP eipalloc-0000000000000000f", "associate-address", "InvalidAllocationID.NotFound")
	if got := in.api.Calls("AssociateAddress"); got != 1 {
		t.Errorf("AssociateAddress called %d times; a permanent error must not be retried", got)
	}
	if got := in.holder(); got != "" {
		t.Errorf("the fixture's address moved to %q", got)
	}
}

func TestBootGivesUpLoudlyWhenIAMNeverAllows(t *testing.T) {
	in := newInstance(t)
	in.api.FailFirst("AssociateAddress", 1000, emulator.UnauthorizedOperation)
	r := in.boot(in.params())
	in.wantFailedAtTheAddress(r, "associate-address", "gave up after 10 attempts", "UnauthorizedOperation")
	if got := in.api.Calls("AssociateAddress"); got != 10 {
		t.Errorf("AssociateAddress called %d times, want the bound of 10", got)
	}
}

func TestBootGivesUpLoudlyWithoutMetadata(t *testing.T) {
	in := newInstance(t)
	in.metadata.FailFirstRequests(1000, http.StatusServiceUnavailable)
	r := in.boot(in.params())
	in.wantFailed(r, "reading instance metadata", "meta-data/instance-id")
	if got := in.api.Total(); got != 0 {
		t.Errorf("%d AWS API calls without an instance id", got)
	}
}

func TestBootFailsLoudlyWhenTheUserScriptFails(t *testing.T) {
	in := newInstance(t)
	p := in.params()
	p.UserScript = "echo starting app; exit 7"
	r := in.boot(p)
	in.wantFailed(r, "running the user script", "exited 7")
	if !strings.Contains(r.Stdout+r.Stderr, "starting app") {
		t.Errorf("the user script's output is not in the console log")
	}
	// The address is taken last: a failed boot leaves it where it was.
	if got := in.holder(); got == in.fixture.InstanceID {
		t.Errorf("Elastic IP on %q, which failed its boot", got)
	}
}

func TestBootLeavesTheAddressAloneOutsideService(t *testing.T) {
	for _, state := range []string{"Warmed:Stopped", "Warmed:Running", "Terminated"} {
		t.Run(state, func(t *testing.T) {
			in := newInstance(t)
			in.lifecycle = func(w http.ResponseWriter) bool {
				_, _ = w.Write([]byte(state))
				return true
			}
			r := in.boot(in.params())
			if r.ExitCode != 0 {
				t.Fatalf("boot failed:\n%s", r)
			}
			if got := in.holder(); got != "" {
				t.Errorf("a %s instance took the Elastic IP", state)
			}
			if in.api.Calls("AssociateAddress") != 0 || r.UserScriptRan {
				t.Errorf("AssociateAddress calls %d, user script ran %v; want neither", in.api.Calls("AssociateAddress"), r.UserScriptRan)
			}
			if r.Status != "warm" && r.Status != "terminating" {
				t.Errorf("status %q", r.Status)
			}
		})
	}
}

func TestBootProceedsBeforeTheFirstLifecycleTransition(t *testing.T) {
	in := newInstance(t)
	in.lifecycle = func(w http.ResponseWriter) bool {
		http.NotFound(w, nil)
		return true
	}
	in.wantHealed(in.boot(in.params()))
}
