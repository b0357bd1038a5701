package userdata_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the boot script with the launch gate: moto holds a group
// of one with a launch hook, emulator.AutoScalingModel in front of it
// answers the lifecycle calls moto lacks (and records them), and the
// instance is the group's. They also run the script the way systemd runs
// it at later boots: the installed copy, after a reboot emptied /run.

// gateHook is the launch hook's name in these tests.
const gateHook = "selfhealing-launch-gate"

// lifecycleState serves autoscaling/target-lifecycle-state in front of a
// metadata mock, which knows only InService: a test sets what it answers.
type lifecycleState struct {
	mu    sync.Mutex
	state string // "" passes the request to the mock
}

func (l *lifecycleState) set(state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = state
}

// front starts a server in front of the metadata mock at imdsURL that
// answers the lifecycle path itself while a state is set.
func (l *lifecycleState) front(t *testing.T, imdsURL string) string {
	t.Helper()
	target, err := url.Parse(imdsURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		state := l.state
		l.mu.Unlock()
		if state != "" && r.URL.Path == "/latest/meta-data/autoscaling/target-lifecycle-state" {
			_, _ = w.Write([]byte(state))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// gated is one instance of a group with a launch gate, and its account.
type gated struct {
	t         *testing.T
	cfg       aws.Config
	asg       *emulator.AutoScalingModel
	api       *emulator.FaultProxy // in front of the models, in front of moto
	group     emulator.LaunchGroup
	alloc     string
	publicIP  string
	lifecycle *lifecycleState
	metadata  string
	fs        emulator.InstanceRoot
}

// newGated starts moto and the model, creates the group and an
// unassociated Elastic IP, and serves metadata for the group's instance.
func newGated(t *testing.T) *gated {
	t.Helper()
	emulator.RequireFirstBoot(t)
	emulator.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	t.Parallel()
	moto := emulator.StartMoto(t, emulator.MotoOptions{})
	g := &gated{t: t, cfg: moto.AWSConfig(), lifecycle: &lifecycleState{}, fs: emulator.InstanceRoot(t.TempDir())}
	// The chain's EBS model only passes requests on: no boot here has a
	// data volume.
	chain := emulator.StartAPIChain(t, moto.URL, g.cfg, emulator.AutoScalingModelOptions{})
	g.asg, g.api = chain.AutoScaling, chain.API
	g.group = emulator.NewLaunchGroup(t, g.cfg, "selfhealing-test-web", gateHook, "")
	var err error
	if g.alloc, g.publicIP, err = emulator.AllocateAddress(context.Background(), g.cfg); err != nil {
		t.Fatal(err)
	}
	imds := emulator.StartIMDS(t, emulator.IMDSOptions{InstanceID: g.group.InstanceID, AvailabilityZone: g.group.Zone})
	g.metadata = g.lifecycle.front(t, imds.URL)
	return g
}

// params are the boot script's parameters with the gate, in g's group,
// as the component renders them, and a user script that counts its runs on the instance's disk.
func (g *gated) params() userdata.Params {
	return userdata.Params{
		AllocationID: g.alloc,
		UserScript:   "echo run >>/var/lib/user-script-runs",
		LaunchGate:   &userdata.LaunchGateParams{HookName: gateHook, TimeoutSeconds: 600},
		GroupName:    g.group.Name,
	}
}

func (g *gated) env() []string {
	return append(emulator.InstanceProfileCLIEnv(g.t, g.api.URL, g.metadata), userdata.IMDSEndpointEnv+"="+g.metadata)
}

// result reads what a run left on the instance.
func (g *gated) result(res emulator.CommandResult) bootResult {
	return bootResult{
		CommandResult: res,
		Log:           g.fs.ReadFile(userdata.LogFile),
		Status:        strings.TrimSpace(g.fs.ReadFile(userdata.StatusFile)),
		UserScriptRan: g.userScriptRuns() > 0,
	}
}

// firstBoot runs the script for p as user data.
func (g *gated) firstBoot(p userdata.Params) bootResult {
	g.t.Helper()
	script, err := userdata.Render(p)
	if err != nil {
		g.t.Fatalf("Render: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	res, err := emulator.RunFirstBoot(ctx, g.fs, []byte(script), g.env())
	if err != nil {
		g.t.Fatalf("running the boot script: %v\n%s", err, res)
	}
	g.t.Logf("first boot: exit %d\n%s", res.ExitCode, res.Stderr)
	return g.result(res)
}

// laterBoot reboots the instance (an empty /run) and runs what its
// selfhealing-boot.service runs.
func (g *gated) laterBoot() bootResult {
	g.t.Helper()
	return g.result(laterBoot(g.t, g.fs, g.env(), 1)[0])
}

// laterBoot reboots root and runs the installed boot script runs times in
// one mount namespace, as systemd would run the unit (and someone would
// restart it), with env.
func laterBoot(t *testing.T, root emulator.InstanceRoot, env []string, runs int) []emulator.CommandResult {
	t.Helper()
	if err := root.Reboot(); err != nil {
		t.Fatal(err)
	}
	unit := root.ReadFile(filepath.Join(userdata.UnitDir, userdata.BootUnit))
	if !strings.Contains(unit, "ExecStart="+userdata.InstalledBootScript+"\n") {
		t.Fatalf("%s does not run %s:\n%s", userdata.BootUnit, userdata.InstalledBootScript, unit)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	results, err := emulator.RunOnInstance(ctx, root, "exec "+userdata.InstalledBootScript+"\n", env, runs)
	if err != nil || len(results) != runs {
		t.Fatalf("running %s: %v\n%v", userdata.InstalledBootScript, err, results)
	}
	for i, r := range results {
		t.Logf("later boot, run %d: exit %d\n%s", i+1, r.ExitCode, r.Stderr)
	}
	return results
}

func (g *gated) userScriptRuns() int {
	return strings.Count(g.fs.ReadFile("/var/lib/user-script-runs"), "run\n")
}

func (g *gated) holder() string {
	g.t.Helper()
	id, err := emulator.AddressInstanceID(context.Background(), g.cfg, g.alloc)
	if err != nil {
		g.t.Fatal(err)
	}
	return id
}

// wantReady fails the test unless r succeeded: exit 0, ready, no FAILED,
// the address on the instance.
func (g *gated) wantReady(r bootResult) {
	g.t.Helper()
	if r.ExitCode != 0 || r.Status != "ready" || strings.Contains(r.Stderr, "FAILED") {
		g.t.Fatalf("exit %d, status %q; want a ready boot:\n%s", r.ExitCode, r.Status, r.Stderr)
	}
	if got := g.holder(); got != g.group.InstanceID {
		g.t.Errorf("the Elastic IP is on %q, want %s", got, g.group.InstanceID)
	}
}

// wantOneFailure fails the test unless r failed with exactly one line that
// says FAILED, the script's own ("selfhealing: FAILED: "), which says each
// of want. It returns that line.
func wantOneFailure(t *testing.T, r bootResult, want ...string) string {
	t.Helper()
	if r.ExitCode == 0 {
		t.Fatalf("the boot succeeded, want a failure:\n%s", r.Stderr)
	}
	var failed []string
	for _, line := range strings.Split(r.Stderr, "\n") {
		if strings.Contains(line, "FAILED") {
			failed = append(failed, line)
		}
	}
	if len(failed) != 1 {
		t.Fatalf("want exactly one FAILED line, got %d:\n%s", len(failed), r.Stderr)
	}
	if !strings.Contains(failed[0], "selfhealing: FAILED: ") {
		t.Errorf("the FAILED line %q is not the boot script's own (selfhealing: FAILED: …)", failed[0])
	}
	for _, w := range want {
		if !strings.Contains(failed[0], w) {
			t.Errorf("the FAILED line %q lacks %q", failed[0], w)
		}
	}
	if !strings.HasPrefix(r.Status, "failed: ") {
		t.Errorf("status %q, want failed", r.Status)
	}
	return failed[0]
}

func TestGateContinuesOnceTheInstanceIsReady(t *testing.T) {
	g := newGated(t)
	r := g.firstBoot(g.params())
	g.wantReady(r)
	done := g.asg.Completions(g.group.InstanceID)
	if len(done) != 1 || done[0].Result != emulator.LifecycleContinue || done[0].Hook != gateHook || done[0].Group != g.group.Name {
		t.Fatalf("completions %v, want exactly one CONTINUE of %s in %s", done, gateHook, g.group.Name)
	}
	if ready := logTime(t, r.Log, "ready: "+g.publicIP); done[0].Time.Before(ready) {
		t.Errorf("CONTINUE at %s, before the script said ready at %s", done[0].Time.Format(time.StampMilli), ready.Format(time.StampMilli))
	}
	// The probe's heartbeat, then the completion; nothing refused.
	if n := g.api.Calls("RecordLifecycleActionHeartbeat"); n != 1 {
		t.Errorf("%d heartbeats, want the probe's 1", n)
	}
	for _, c := range g.asg.Calls() {
		if c.Refused != "" {
			t.Errorf("refused: %v", c)
		}
	}
	if !strings.Contains(r.Log, "launch gate "+gateHook+": CONTINUE sent") {
		t.Errorf("the log does not say the gate was completed:\n%s", r.Log)
	}
	if ids, err := emulator.GroupInstanceIDs(context.Background(), g.cfg, g.group.Name); err != nil || len(ids) != 1 || ids[0] != g.group.InstanceID {
		t.Errorf("the group holds %v (%v), want the instance still", ids, err)
	}
}

func TestGateAbandonsAFailedBoot(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(g *gated, p *userdata.Params)
		want   []string
	}{
		{"the user script fails", func(_ *gated, p *userdata.Params) { p.UserScript = "exit 1" },
			[]string{"running the user script", "exited 1"}},
		{"the address cannot be taken", func(_ *gated, p *userdata.Params) { p.AllocationID = "eipalloc-0000000000000000f" },
			[]string{"associating Elastic IP eipalloc-0000000000000000f", "InvalidAllocationID.NotFound"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGated(t)
			p := g.params()
			tc.change(g, &p)
			r := g.firstBoot(p)
			wantOneFailure(t, r, tc.want...)
			done := g.asg.Completions(g.group.InstanceID)
			if len(done) != 1 || done[0].Result != emulator.LifecycleAbandon || !done[0].Terminated {
				t.Fatalf("completions %v, want exactly one ABANDON, which terminates the instance", done)
			}
			if !strings.Contains(r.Log, "ABANDON sent; the group terminates this instance") {
				t.Errorf("the log does not say the instance was abandoned:\n%s", r.Log)
			}
			if n := g.api.Calls("SetInstanceHealth"); n != 0 {
				t.Errorf("SetInstanceHealth called %d times; the ABANDON already gets the instance replaced", n)
			}
			// The failure comes first, the ABANDON after it.
			if strings.Index(r.Stderr, "FAILED") > strings.Index(r.Stderr, "ABANDON sent") {
				t.Errorf("ABANDON logged before the failure:\n%s", r.Stderr)
			}
			ids, err := emulator.GroupInstanceIDs(context.Background(), g.cfg, g.group.Name)
			if err != nil || len(ids) != 1 || ids[0] == g.group.InstanceID {
				t.Errorf("the group holds %v (%v), want a replacement for the abandoned instance", ids, err)
			}
		})
	}
}

func TestGateAbandonIsBoundedAndNeverMasksTheFailure(t *testing.T) {
	g := newGated(t)
	g.api.FailFirst("CompleteLifecycleAction", 1000, emulator.APIError{Status: 500, Code: "InternalFailure", Message: "down"})
	p := g.params()
	p.UserScript = "exit 3"
	r := g.firstBoot(p)
	wantOneFailure(t, r, "running the user script", "exited 3")
	if n := g.api.Calls("CompleteLifecycleAction"); n != 3 {
		t.Errorf("CompleteLifecycleAction tried %d times, want the bound of 3", n)
	}
	if !strings.Contains(r.Log, "gave up sending ABANDON; the hook abandons this instance when its 600s run out") {
		t.Errorf("the log does not say what happens instead:\n%s", r.Log)
	}
}

func TestGateMisconfiguredFailsBeforeTakingAnything(t *testing.T) {
	g := newGated(t)
	p := g.params()
	p.LaunchGate.HookName = "no-such-hook"
	r := g.firstBoot(p)
	wantOneFailure(t, r, "checking the launch gate no-such-hook", "No Lifecycle Hook named no-such-hook")
	if n := g.api.Calls("AssociateAddress"); n != 0 || g.holder() != "" {
		t.Errorf("AssociateAddress called %d times, address on %q; want neither", n, g.holder())
	}
}

func TestLaterBootKeepsTheAddressAndRunsNothingTwice(t *testing.T) {
	g := newGated(t)
	first := g.firstBoot(g.params())
	g.wantReady(first)
	// What the first boot installed for later boots.
	script, err := userdata.Render(g.params())
	if err != nil {
		t.Fatal(err)
	}
	if got := g.fs.ReadFile(userdata.InstalledBootScript); got != script {
		t.Errorf("%s is not the user data's script", userdata.InstalledBootScript)
	}
	info, err := os.Stat(g.fs.Path(userdata.InstalledBootScript))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("%s: mode %v (%v), want 0700", userdata.InstalledBootScript, info.Mode().Perm(), err)
	}
	link := filepath.Join(userdata.UnitDir, "multi-user.target.wants", userdata.BootUnit)
	if target, err := os.Readlink(g.fs.Path(link)); err != nil || target != filepath.Join(userdata.UnitDir, userdata.BootUnit) {
		t.Errorf("%s -> %q (%v): the unit is not enabled", link, target, err)
	}

	later := g.laterBoot()
	g.wantReady(later)
	if n := g.userScriptRuns(); n != 1 {
		t.Errorf("the user script ran %d times over two boots, want once", n)
	}
	for _, want := range []string{
		"no lifecycle action waits for this instance (a reboot, or a start while in service); nothing to complete",
		"launch gate " + gateHook + ": nothing to complete",
		"the user script already succeeded on this instance; not running it again",
		"the boot script and its units are installed already",
	} {
		if !strings.Contains(later.Stderr, want) {
			t.Errorf("the later boot does not say %q:\n%s", want, later.Stderr)
		}
	}
	if done := g.asg.Completions(g.group.InstanceID); len(done) != 1 {
		t.Errorf("completions %v, want only the first boot's CONTINUE", done)
	}
}

func TestWarmPoolBootTakesNothingAndCompletesTheGate(t *testing.T) {
	c := newCloud(t, diskBytes)
	ctx := context.Background()
	live := c.inService()
	warm, state := c.newGroupHost()
	state.set("Warmed:Stopped")
	p := c.params()
	p.UserScript = writerScript
	p.LaunchGate = c.gate()
	r := c.boot1(warm, p)
	if r.ExitCode != 0 || r.Status != "warm" || strings.Contains(r.Stderr, "FAILED") {
		t.Fatalf("exit %d, status %q; want a warm boot:\n%s", r.ExitCode, r.Status, r.Stderr)
	}
	if holder := c.addressHolder(); holder != live.id {
		t.Errorf("the Elastic IP moved to %q, want it still on %s", holder, live.id)
	}
	if id, state := c.attachment(); id != live.id || state != "attached" {
		t.Errorf("the volume is on %q (%s), want still on %s", id, state, live.id)
	}
	for _, action := range []string{"AssociateAddress", "AttachVolume", "DetachVolume"} {
		if n := c.api.Calls(action); n != 0 {
			t.Errorf("%s called %d times by a warm-pool boot", action, n)
		}
	}
	if n := c.ebs.DetachCalls(); n != 0 || r.UserScriptRan {
		t.Errorf("DetachVolume at the model %d, user script ran %v; want neither", n, r.UserScriptRan)
	}
	if done := c.asg.Completions(warm.id); len(done) != 1 || done[0].Result != emulator.LifecycleContinue {
		t.Fatalf("completions %v, want one CONTINUE into the warm pool", done)
	}

	// The live instance dies; the group starts the pooled one, which
	// waits in the hook again, now headed for InService.
	if err := emulator.TerminateInstance(ctx, c.cfg, live.id); err != nil {
		t.Fatal(err)
	}
	c.asg.BeginLaunch(warm.id)
	state.set("InService")
	later := laterBoot(t, warm.fs, c.env(warm), 1)[0]
	if later.ExitCode != 0 || strings.Contains(later.Stderr, "FAILED") {
		t.Fatalf("the boot out of the pool failed:\n%s", later.Stderr)
	}
	if holder := c.addressHolder(); holder != warm.id {
		t.Errorf("the Elastic IP is on %q, want %s", holder, warm.id)
	}
	if id, state := c.attachment(); id != warm.id || state != "attached" {
		t.Errorf("the volume is on %q (%s), want %s", id, state, warm.id)
	}
	if !strings.Contains(later.Stderr, "running the user script") || warm.fs.ReadFile("/var/lib/payload.sha256") == "" {
		t.Errorf("the user script, skipped in the pool, did not run in service:\n%s", later.Stderr)
	}
	if done := c.asg.Completions(warm.id); len(done) != 2 || done[1].Result != emulator.LifecycleContinue {
		t.Errorf("completions %v, want a second CONTINUE, out of the pool", done)
	}
}

func TestVolumeHeldByALiveInstanceLeavesTheAddressThere(t *testing.T) {
	c := newCloud(t, diskBytes)
	live := c.inService()
	h, _ := c.newGroupHost()
	p := c.params()
	p.DataVolume.WaitSeconds = userdata.MinVolumeWaitSeconds
	p.LaunchGate = c.gate()
	r := c.boot1(h, p)
	c.wantFailedOnce(r, "attached to "+live.id, "never taken from a live instance")
	// The volume comes first, so the failed boot took nothing: the live
	// instance still serves at the address.
	if holder := c.addressHolder(); holder != live.id {
		t.Errorf("the Elastic IP moved to %q; the live instance %s lost it to a boot that failed", holder, live.id)
	}
	if n := c.api.Calls("AssociateAddress"); n != 0 {
		t.Errorf("AssociateAddress called %d times", n)
	}
	if done := c.asg.Completions(h.id); len(done) != 1 || done[0].Result != emulator.LifecycleAbandon {
		t.Errorf("completions %v, want one ABANDON", done)
	}
}

func TestLaterBootKeepsTheMount(t *testing.T) {
	c := newCloud(t, diskBytes)
	h, _ := c.newGroupHost()
	p := c.params()
	p.LaunchGate = c.gate()
	c.wantMounted(h, c.boot1(h, p))
	// A reboot, then the unit restarted by hand in the same boot.
	runs := laterBoot(t, h.fs, c.env(h), 2)
	for i, run := range runs {
		if run.ExitCode != 0 || strings.Contains(run.Stderr, "FAILED") {
			t.Fatalf("later run %d failed:\n%s", i+1, run.Stderr)
		}
	}
	for _, want := range []string{"is attached to this instance (attached); not attaching it again", "/etc/fstab already mounts " + mountPath} {
		if !strings.Contains(runs[0].Stderr, want) {
			t.Errorf("the later boot does not say %q", want)
		}
	}
	if !strings.Contains(runs[1].Stderr, mountPath+" is already mounted from "+c.disk.Device) {
		t.Errorf("the restart does not find the mount:\n%s", runs[1].Stderr)
	}
	if holder := c.addressHolder(); holder != h.id {
		t.Errorf("the Elastic IP is on %q, want %s", holder, h.id)
	}
	if n, m := c.api.Calls("AttachVolume"), c.api.Calls("DetachVolume"); n != 1 || m != 0 {
		t.Errorf("AttachVolume %d, DetachVolume %d over three boots; want 1 and 0", n, m)
	}
	if calls := c.mkfsCalls(); len(calls) != 1 {
		t.Errorf("mkfs calls %q, want the first boot's only", calls)
	}
	if done := c.asg.Completions(h.id); len(done) != 1 {
		t.Errorf("completions %v, want the first boot's CONTINUE only", done)
	}
}

func TestGateHeartbeatsThroughALongVolumeWait(t *testing.T) {
	c := newCloud(t, diskBytes)
	old := c.newHost()
	if err := emulator.TerminateInstance(context.Background(), c.cfg, old.id); err != nil {
		t.Fatal(err)
	}
	// The shortest gate the script takes with a 120 s wait for the volume
	// (it must outlast the wait and the address's retries): a heartbeat
	// every 100 s; the volume frees itself after 110 s, within the wait.
	c.ebs.Hold(c.volumeID, emulator.VolumeHold{Instance: old.id, For: 110 * time.Second, FromFirstDescribe: true})
	h, _ := c.newGroupHost()
	p := c.params()
	p.DataVolume.WaitSeconds = 120
	p.LaunchGate = c.gate()
	p.LaunchGate.TimeoutSeconds = p.DataVolume.WaitSeconds + userdata.RetryWindowSeconds + 1
	r := c.boot1(h, p)
	c.wantMounted(h, r)
	if n := c.api.Calls("RecordLifecycleActionHeartbeat"); n < 2 {
		t.Errorf("%d heartbeats through a 110 s wait with a %d s gate, want the probe's and at least one more", n, p.LaunchGate.TimeoutSeconds)
	}
	if !strings.Contains(r.Log, fmt.Sprintf("heartbeat; the group waits another %ds", p.LaunchGate.TimeoutSeconds)) {
		t.Errorf("the log does not show the heartbeat:\n%s", r.Log)
	}
	if done := c.asg.Completions(h.id); len(done) != 1 || done[0].Result != emulator.LifecycleContinue {
		t.Errorf("completions %v, want one CONTINUE", done)
	}
}

// groupName is the group newGroupHost creates in a cloud.
const groupName = "selfhealing-test-data"

// newGroupHost creates the cloud's group of one, with the launch gate, in
// the volume's zone, and gives its instance metadata whose lifecycle state
// the test sets, a disk and a stand-in /dev. Call it once per cloud.
func (c *cloud) newGroupHost() (*host, *lifecycleState) {
	c.t.Helper()
	g := emulator.NewLaunchGroup(c.t, c.cfg, groupName, gateHook, c.zone)
	imds := emulator.StartIMDS(c.t, emulator.IMDSOptions{InstanceID: g.InstanceID, AvailabilityZone: g.Zone})
	state := &lifecycleState{}
	h := &host{
		id:       g.InstanceID,
		metadata: emulator.NewFaultProxy(c.t, state.front(c.t, imds.URL)),
		fs:       emulator.InstanceRoot(c.t.TempDir()),
		dev:      &emulator.InstanceDev{Dir: c.t.TempDir()},
	}
	c.showTo(h)
	return h, state
}

// inService launches the instance in service: it holds the address and
// the data volume.
func (c *cloud) inService() *host {
	c.t.Helper()
	live := c.newHost()
	ctx := context.Background()
	if err := emulator.AssociateAddress(ctx, c.cfg, c.alloc, live.id); err != nil {
		c.t.Fatal(err)
	}
	if err := emulator.AttachVolume(ctx, c.cfg, c.volumeID, live.id, "/dev/sdf"); err != nil {
		c.t.Fatal(err)
	}
	return live
}

// gate is the launch gate of newGroupHost's group.
func (c *cloud) gate() *userdata.LaunchGateParams {
	return &userdata.LaunchGateParams{HookName: gateHook, TimeoutSeconds: 600}
}

// env is what c.boot runs the script on h with.
func (c *cloud) env(h *host) []string {
	env := append(emulator.InstanceProfileCLIEnv(c.t, c.api.URL, h.metadata.URL),
		userdata.IMDSEndpointEnv+"="+h.metadata.URL,
		userdata.DevDirEnv+"="+h.dev.Dir)
	return emulator.PrependPath(env, c.shims)
}

// addressHolder returns the instance the Elastic IP is on, as moto sees it.
func (c *cloud) addressHolder() string {
	c.t.Helper()
	id, err := emulator.AddressInstanceID(context.Background(), c.cfg, c.alloc)
	if err != nil {
		c.t.Fatal(err)
	}
	return id
}
