package emulator

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// ebsWorld is moto, the EBS model in front of it, and an EC2 client that
// talks through the model (with SDK retries off, so each refusal shows).
type ebsWorld struct {
	cfg      aws.Config // straight to moto
	model    *EBSModel
	client   *ec2.Client // through the model
	instance string
	zone     string
	volume   string
}

func newEBSWorld(t *testing.T) *ebsWorld {
	t.Helper()
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	w := &ebsWorld{cfg: m.AWSConfig()}
	w.model = StartEBSModel(t, m.URL, w.cfg)
	through := AWSConfig(w.model.URL, m.Region, TestCredentials)
	through.RetryMaxAttempts = 1
	w.client = ec2.NewFromConfig(through)
	ctx := testContext(t, time.Minute)
	var err error
	if w.instance, err = CreateInstance(ctx, w.cfg, MotoAMI); err != nil {
		t.Fatal(err)
	}
	if w.zone, err = InstanceZone(ctx, w.cfg, w.instance); err != nil {
		t.Fatal(err)
	}
	if w.volume, err = CreateVolume(ctx, w.cfg, w.zone, 8); err != nil {
		t.Fatal(err)
	}
	return w
}

// attach calls AttachVolume through the model.
func (w *ebsWorld) attach(t *testing.T, volume, instance string) error {
	t.Helper()
	_, err := w.client.AttachVolume(testContext(t, 30*time.Second), &ec2.AttachVolumeInput{
		VolumeId: aws.String(volume), InstanceId: aws.String(instance), Device: aws.String("/dev/sdf"),
	})
	return err
}

// describe returns the volume's state, holder and attachment state as
// DescribeVolumes through the model reports them.
func (w *ebsWorld) describe(t *testing.T) (state, holder, attachment string) {
	t.Helper()
	out, err := w.client.DescribeVolumes(testContext(t, 30*time.Second), &ec2.DescribeVolumesInput{VolumeIds: []string{w.volume}})
	if err != nil {
		t.Fatalf("DescribeVolumes: %v", err)
	}
	if len(out.Volumes) != 1 {
		t.Fatalf("DescribeVolumes: %d volumes", len(out.Volumes))
	}
	v := out.Volumes[0]
	if aws.ToString(v.VolumeId) != w.volume || aws.ToString(v.AvailabilityZone) != w.zone || aws.ToInt32(v.Size) != 8 {
		t.Errorf("the model lost moto's description: %+v", v)
	}
	for _, a := range v.Attachments {
		return string(v.State), aws.ToString(a.InstanceId), string(a.State)
	}
	return string(v.State), "", ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Errorf("err = %v, want %s", err, code)
	}
}

func TestEBSModelRefusesAttachingAnInUseVolume(t *testing.T) {
	w := newEBSWorld(t)
	ctx := testContext(t, time.Minute)
	if err := AttachVolume(ctx, w.cfg, w.volume, w.instance, "/dev/sdf"); err != nil {
		t.Fatal(err)
	}
	other, err := CreateInstance(ctx, w.cfg, MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, w.attach(t, w.volume, other), "VolumeInUse")
	if holder, _, err := VolumeAttachment(ctx, w.cfg, w.volume); err != nil || holder != w.instance {
		t.Errorf("the volume moved to %q (%v); moto must never see the refused call", holder, err)
	}
	// moto itself moves it: the reason for the model. If this fails, moto
	// changed; update the table in tests/e2e/README.md.
	if err := AttachVolume(ctx, w.cfg, w.volume, other, "/dev/sdf"); err != nil {
		t.Errorf("moto refused attaching an in-use volume (%v); it used not to", err)
	}
	if holder, _, err := VolumeAttachment(ctx, w.cfg, w.volume); err != nil || holder != other {
		t.Errorf("moto left the volume on %q (%v); it used to move it", holder, err)
	}
}

func TestEBSModelRefusesAttachingAcrossZones(t *testing.T) {
	w := newEBSWorld(t)
	ctx := testContext(t, time.Minute)
	zone := "us-east-1b"
	if w.zone == zone {
		zone = "us-east-1c"
	}
	far, err := CreateVolume(ctx, w.cfg, zone, 8)
	if err != nil {
		t.Fatal(err)
	}
	err = w.attach(t, far, w.instance)
	wantCode(t, err, "InvalidVolume.ZoneMismatch")
	if err != nil && !strings.Contains(err.Error(), far) {
		t.Errorf("the error does not name the volume: %v", err)
	}
	if err := w.attach(t, w.volume, w.instance); err != nil {
		t.Errorf("attaching a free volume in the instance's zone: %v", err)
	}
}

func TestEBSModelHoldsAVolumeThenLetsItGo(t *testing.T) {
	w := newEBSWorld(t)
	var attached atomic.Int32
	w.model.OnAttach(func(volumeID, instanceID, device string) {
		if volumeID == w.volume && instanceID == w.instance && device == "/dev/sdf" {
			attached.Add(1)
		}
	})
	w.model.Hold(w.volume, VolumeHold{Instance: "i-0old", For: 2 * time.Second})
	if state, holder, attachment := w.describe(t); state != "in-use" || holder != "i-0old" || attachment != "detaching" {
		t.Errorf("held volume described as %s on %q (%s), want in-use on i-0old (detaching)", state, holder, attachment)
	}
	wantCode(t, w.attach(t, w.volume, w.instance), "IncorrectState")
	if _, ok := w.model.ReleasedAt(w.volume); ok {
		t.Error("released while held")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if state, _, _ := w.describe(t); state == "available" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hold never ended")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, ok := w.model.ReleasedAt(w.volume); !ok {
		t.Error("no release time once available")
	}
	if err := w.attach(t, w.volume, w.instance); err != nil {
		t.Fatalf("attaching once released: %v", err)
	}
	if attached.Load() != 1 {
		t.Errorf("OnAttach ran %d times, want once, after the successful attach", attached.Load())
	}
	if state, holder, attachment := w.describe(t); state != "in-use" || holder != w.instance || attachment != "attached" {
		t.Errorf("described as %s on %q (%s) after attaching, want moto's own view", state, holder, attachment)
	}
}

func TestEBSModelEndsAStuckHoldOnAForcedDetach(t *testing.T) {
	w := newEBSWorld(t)
	w.model.DetachDelay = 0
	w.model.Hold(w.volume, VolumeHold{Instance: "i-0dead"}) // until forced
	ctx := testContext(t, time.Minute)
	_, err := w.client.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: aws.String(w.volume), InstanceId: aws.String("i-0other"), Force: aws.Bool(true)})
	wantCode(t, err, "InvalidAttachment.NotFound")
	_, err = w.client.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: aws.String(w.volume)})
	if err != nil {
		t.Fatalf("DetachVolume without force: %v", err)
	}
	if state, _, _ := w.describe(t); state != "in-use" {
		t.Errorf("a detach without force freed a stuck volume (%s)", state)
	}
	out, err := w.client.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: aws.String(w.volume), InstanceId: aws.String("i-0dead"), Force: aws.Bool(true)})
	if err != nil {
		t.Fatalf("forced DetachVolume: %v", err)
	}
	if string(out.State) != "detaching" || aws.ToString(out.InstanceId) != "i-0dead" {
		t.Errorf("DetachVolume answered %s from %q, want detaching from i-0dead", out.State, aws.ToString(out.InstanceId))
	}
	if state, _, _ := w.describe(t); state != "available" {
		t.Errorf("after a forced detach the volume is %s, want available", state)
	}
	if n := w.model.DetachCalls(); n != 3 {
		t.Errorf("DetachCalls = %d, want 3", n)
	}
}

func TestEBSModelStartsAHoldAtTheFirstLookWhenAsked(t *testing.T) {
	w := newEBSWorld(t)
	w.model.Hold(w.volume, VolumeHold{Instance: "i-0old", For: time.Second, FromFirstDescribe: true})
	// However long nobody looks, the hold's second has not started.
	time.Sleep(1500 * time.Millisecond)
	if _, ok := w.model.ReleasedAt(w.volume); ok {
		t.Fatal("released before anyone described the volume")
	}
	if state, holder, _ := w.describe(t); state != "in-use" || holder != "i-0old" {
		t.Fatalf("first look: %s on %q, want in-use on i-0old", state, holder)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if state, _, _ := w.describe(t); state == "available" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hold never ended after the first look")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
