package userdata_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator/iamcheck"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the boot script with a persistent network interface:
// moto stands in for EC2, the API chain's EBS model refuses what EC2
// refuses and moto allows (attaching an interface in use elsewhere) and
// plays an interface the old instance has not let go of yet; each
// instance's metadata shows the interfaces moto has attached to it
// (emulator.InterfaceMetadata). The Elastic IP is associated with the
// interface once, as the stack does.

// eniCloud is one account: moto behind the API chain, the group's Elastic
// IP, and the interface it is associated with.
type eniCloud struct {
	t                    *testing.T
	region               string
	cfg                  aws.Config
	ebs                  *emulator.EBSModel
	api                  *emulator.FaultProxy
	alloc, publicIP      string
	zone, eni, privateIP string
}

// eniHost is one simulated instance of the group.
type eniHost struct {
	id       string
	metadata *emulator.FaultProxy
	fs       emulator.InstanceRoot
}

func newENICloud(t *testing.T) *eniCloud {
	t.Helper()
	emulator.RequireFirstBoot(t)
	emulator.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	t.Parallel()
	moto := emulator.StartMoto(t, emulator.MotoOptions{})
	c := &eniCloud{t: t, cfg: moto.AWSConfig(), region: moto.Region}
	chain := emulator.StartAPIChain(t, moto.URL, c.cfg, emulator.AutoScalingModelOptions{})
	c.ebs, c.api = chain.EBS, chain.API
	c.ebs.DetachDelay = time.Second
	ctx := context.Background()
	var err error
	if c.alloc, c.publicIP, err = emulator.AllocateAddress(ctx, c.cfg); err != nil {
		t.Fatal(err)
	}
	probe, err := emulator.CreateInstance(ctx, c.cfg, emulator.MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	if c.zone, err = emulator.InstanceZone(ctx, c.cfg, probe); err != nil {
		t.Fatal(err)
	}
	subnet, err := emulator.InstanceSubnet(ctx, c.cfg, probe)
	if err != nil {
		t.Fatal(err)
	}
	if c.eni, c.privateIP, err = emulator.CreateNetworkInterface(ctx, c.cfg, subnet, ""); err != nil {
		t.Fatal(err)
	}
	if err := emulator.AssociateAddressWithInterface(ctx, c.cfg, c.alloc, c.eni); err != nil {
		t.Fatal(err)
	}
	return c
}

// newHost launches an instance in moto and gives it metadata that shows
// what is attached to it.
func (c *eniCloud) newHost() *eniHost {
	c.t.Helper()
	id, err := emulator.CreateInstance(context.Background(), c.cfg, emulator.MotoAMI)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.hostFor(id)
}

// eniGroup is the group the IAM test's instances belong to, by their tag.
const eniGroup = "proj-test-web"

// newGroupHost is newHost for an instance that Auto Scaling launched into
// eniGroup: it carries the group's aws:autoscaling:groupName tag.
func (c *eniCloud) newGroupHost() *eniHost {
	c.t.Helper()
	out, err := ec2.NewFromConfig(c.cfg).RunInstances(context.Background(), &ec2.RunInstancesInput{
		ImageId: aws.String(emulator.MotoAMI), InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String(policy.AutoScalingGroupTagKey), Value: aws.String(eniGroup)}}}},
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return c.hostFor(aws.ToString(out.Instances[0].InstanceId))
}

// hostFor gives instance id metadata that shows what is attached to it.
func (c *eniCloud) hostFor(id string) *eniHost {
	c.t.Helper()
	imds := emulator.StartIMDS(c.t, emulator.IMDSOptions{InstanceID: id, AvailabilityZone: c.zone})
	front := emulator.StartInterfaceMetadata(c.t, imds.URL, c.cfg, id)
	return &eniHost{id: id, metadata: emulator.NewFaultProxy(c.t, front.URL), fs: emulator.InstanceRoot(c.t.TempDir())}
}

// params are the boot script's parameters with the interface, the
// shortest wait allowed, and a user script that leaves a mark.
func (c *eniCloud) params() userdata.Params {
	return userdata.Params{
		GroupName:        "proj-dev-web",
		AllocationID:     c.alloc,
		UserScript:       "touch " + userScriptMarker,
		NetworkInterface: &userdata.NetworkInterfaceParams{InterfaceID: c.eni, WaitSeconds: userdata.MinVolumeWaitSeconds, ForceDetach: true},
	}
}

// boot runs the boot script for p as h's first boot.
func (c *eniCloud) boot(h *eniHost, p userdata.Params) bootResult {
	c.t.Helper()
	script, err := userdata.Render(p)
	if err != nil {
		c.t.Fatalf("Render: %v", err)
	}
	env := append(emulator.InstanceProfileCLIEnv(c.t, c.api.URL, h.metadata.URL), userdata.IMDSEndpointEnv+"="+h.metadata.URL)
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	res, err := emulator.RunFirstBoot(ctx, h.fs, []byte(script), env)
	if err != nil {
		c.t.Fatalf("running the boot script: %v\n%s", err, res)
	}
	c.t.Logf("%s: exit %d, stderr:\n%s", h.id, res.ExitCode, res.Stderr)
	return resultOn(h.fs, res)
}

// holder returns the instance moto has the interface attached to, and at
// which device index.
func (c *eniCloud) holder() (string, int32) {
	c.t.Helper()
	id, index, err := emulator.InterfaceAttachment(context.Background(), c.cfg, c.eni)
	if err != nil {
		c.t.Fatal(err)
	}
	return id, index
}

// wantAttached fails the test unless r is ready, with the user script run,
// the interface on h at device index 1, the metadata's check logged, and
// the address left to the interface.
func (c *eniCloud) wantAttached(h *eniHost, r bootResult) {
	c.t.Helper()
	if r.ExitCode != 0 {
		c.t.Fatalf("boot script failed:\n%s", r)
	}
	if strings.Contains(r.Stderr, "FAILED") || r.Status != "ready" || !r.UserScriptRan {
		c.t.Errorf("status %q, user script ran %v; want ready, true and no FAILED line:\n%s", r.Status, r.UserScriptRan, r.Stderr)
	}
	if id, index := c.holder(); id != h.id || index != 1 {
		c.t.Errorf("the interface is on %q at device index %d in moto, want %s at 1", id, index, h.id)
	}
	want := "network interface " + c.eni + " ("
	if !strings.Contains(r.Log, want) || !strings.Contains(r.Log, "is on "+h.id+" with private address "+c.privateIP+" and Elastic IP "+c.publicIP) {
		c.t.Errorf("the log does not say the metadata shows %s on %s with %s:\n%s", c.eni, h.id, c.privateIP, r.Log)
	}
	if !strings.Contains(r.Log, "ready: "+c.publicIP+" -> "+h.id) {
		c.t.Errorf("the log lacks the ready line with the interface's Elastic IP:\n%s", r.Log)
	}
	if n := c.api.Calls("AssociateAddress"); n != 0 {
		t := c.t
		t.Errorf("AssociateAddress called %d times; with the interface the address comes with it", n)
	}
}

func TestInterfaceIsAttachedAndVerifiedWithItsPrivateIP(t *testing.T) {
	c := newENICloud(t)
	h := c.newHost()
	r := c.boot(h, c.params())
	c.wantAttached(h, r)
	if n := c.api.Calls("AttachNetworkInterface"); n != 1 {
		t.Errorf("AttachNetworkInterface called %d times, want 1", n)
	}
}

// The instance policy the component writes for the interface, enforced
// resource by resource (iamcheck), lets a boot on one of the group's
// instances attach the interface and read what it needs.
func TestInterfaceBootNeedsOnlyWhatThePolicyAllows(t *testing.T) {
	c := newENICloud(t)
	doc := policy.Instance(policy.Scope{
		Partition: "aws", DNSSuffix: "amazonaws.com", Region: c.region, AccountID: "123456789012",
		AllocationID: c.alloc, AutoScalingGroupName: eniGroup,
		NetworkInterface: &policy.NetworkInterfaceScope{InterfaceID: c.eni, ForceDetach: true},
	})
	c.api.Inspect(iamcheck.New(doc, "aws", c.region, "123456789012", c.cfg).Inspect)
	h := c.newGroupHost()
	r := c.boot(h, c.params())
	c.wantAttached(h, r)
	if strings.Contains(r.Stderr, "UnauthorizedOperation") {
		t.Errorf("a call was refused by the policy:\n%s", r.Stderr)
	}
}

func TestInterfaceWaitsForTheDeadInstanceToLetGo(t *testing.T) {
	c := newENICloud(t)
	old := c.newHost()
	if err := emulator.TerminateInstance(context.Background(), c.cfg, old.id); err != nil {
		t.Fatal(err)
	}
	const held = 6 * time.Second
	c.ebs.Hold(c.eni, emulator.VolumeHold{Instance: old.id, For: held, FromFirstDescribe: true})
	h := c.newHost()
	start := time.Now()
	r := c.boot(h, c.params())
	c.wantAttached(h, r)
	if !strings.Contains(r.Log, "is in-use, attached to "+old.id+" (detaching)") {
		t.Errorf("the wait does not say who holds the interface:\n%s", r.Log)
	}
	if n := c.ebs.InterfaceDetachCalls(); n != 0 {
		t.Errorf("%d DetachNetworkInterface calls for an interface that frees itself within the bound", n)
	}
	released, ok := c.ebs.ReleasedAt(c.eni)
	if !ok {
		t.Fatal("the model still holds the interface")
	}
	attached := logTime(t, r.Log, "attach-network-interface: "+c.eni+" is attached")
	t.Logf("REPORT interface held %v: available at +%.1fs, attached at +%.1fs", held, released.Sub(start).Seconds(), attached.Sub(start).Seconds())
}

func TestInterfaceNeverReleasedIsForceDetachedFromTheDeadInstance(t *testing.T) {
	c := newENICloud(t)
	old := c.newHost()
	if err := emulator.TerminateInstance(context.Background(), c.cfg, old.id); err != nil {
		t.Fatal(err)
	}
	c.ebs.Hold(c.eni, emulator.VolumeHold{Instance: old.id, State: "attached"})
	h := c.newHost()
	r := c.boot(h, c.params())
	c.wantAttached(h, r)
	if n := c.ebs.InterfaceDetachCalls(); n != 1 {
		t.Errorf("%d DetachNetworkInterface calls, want 1 forced detach from the dead holder", n)
	}
	if !strings.Contains(r.Log, "which is terminated: force-detaching it, as forceDetach allows") {
		t.Errorf("the log does not say why it force-detached:\n%s", r.Log)
	}

	// The same, with forceDetach off: the boot fails loudly instead.
	c.ebs.Hold(c.eni, emulator.VolumeHold{Instance: old.id, State: "attached"})
	p := c.params()
	p.NetworkInterface.ForceDetach = false
	next := c.newHost()
	r = c.boot(next, p)
	wantFailedBeforeTheUserScript(t, r, "network interface "+c.eni, "forceDetach is off")
	if n := c.ebs.InterfaceDetachCalls(); n != 1 {
		t.Errorf("%d DetachNetworkInterface calls after a boot without forceDetach, want still 1", n)
	}
}

func TestInterfaceIsNeverTakenFromARunningInstance(t *testing.T) {
	c := newENICloud(t)
	live := c.newHost() // running, in moto
	c.ebs.Hold(c.eni, emulator.VolumeHold{Instance: live.id, State: "attached"})
	h := c.newHost()
	r := c.boot(h, c.params())
	wantFailedBeforeTheUserScript(t, r, "network interface "+c.eni, live.id, "which is running: a network interface is never taken from a live instance")
	if n := c.ebs.InterfaceDetachCalls(); n != 0 {
		t.Errorf("%d DetachNetworkInterface calls: the interface was detached from a running instance", n)
	}
	if n := c.api.Calls("AssociateAddress"); n != 0 {
		t.Errorf("AssociateAddress called %d times by a boot that must take nothing", n)
	}
}
