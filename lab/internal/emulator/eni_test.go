package emulator

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// The model refuses what EC2 refuses and moto allows: attaching an
// interface that is attached elsewhere, or that the model holds; and it
// plays a held interface until a forced detach of its attachment.
func TestEBSModelIsStrictWithNetworkInterfaces(t *testing.T) {
	w := newEBSWorld(t)
	ctx := testContext(t, time.Minute)
	subnet, err := InstanceSubnet(ctx, w.cfg, w.instance)
	if err != nil {
		t.Fatal(err)
	}
	other, err := CreateInstance(ctx, w.cfg, MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	eni, _, err := CreateNetworkInterface(ctx, w.cfg, subnet, "")
	if err != nil {
		t.Fatal(err)
	}
	attach := func(instance string) error {
		_, err := w.client.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{
			NetworkInterfaceId: aws.String(eni), InstanceId: aws.String(instance), DeviceIndex: aws.Int32(1),
		})
		return err
	}
	wantInUse := func(err error) {
		t.Helper()
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidNetworkInterface.InUse" {
			t.Errorf("attach of an interface in use: %v, want InvalidNetworkInterface.InUse", err)
		}
	}
	if err := attach(w.instance); err != nil {
		t.Fatalf("attach of a free interface: %v", err)
	}
	wantInUse(attach(other))
	if holder, _, err := InterfaceAttachment(ctx, w.cfg, eni); err != nil || holder != w.instance {
		t.Errorf("after the refused attach the interface is on %q (%v), want still %s", holder, err, w.instance)
	}

	// A held interface: in-use on its holder until a forced detach.
	fresh, _, err := CreateNetworkInterface(ctx, w.cfg, subnet, "")
	if err != nil {
		t.Fatal(err)
	}
	eni = fresh
	w.model.DetachDelay = 100 * time.Millisecond
	w.model.Hold(eni, VolumeHold{Instance: "i-0dead0000000000001", State: "attached"})
	out, err := w.client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eni}})
	if err != nil || len(out.NetworkInterfaces) != 1 || out.NetworkInterfaces[0].Attachment == nil ||
		aws.ToString(out.NetworkInterfaces[0].Attachment.InstanceId) != "i-0dead0000000000001" || string(out.NetworkInterfaces[0].Status) != "in-use" {
		t.Fatalf("describe of a held interface: %+v, %v", out, err)
	}
	wantInUse(attach(other))
	if _, err := w.client.DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{
		AttachmentId: aws.String(HeldAttachmentID(eni)), Force: aws.Bool(true),
	}); err != nil {
		t.Fatalf("forced detach of the held interface: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := attach(other); err != nil {
		t.Errorf("attach after the forced detach: %v", err)
	}
	if n := w.model.InterfaceDetachCalls(); n != 1 {
		t.Errorf("InterfaceDetachCalls = %d, want 1", n)
	}
}
