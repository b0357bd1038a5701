package emulator

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func TestAPIChainPassesThroughEveryLayerToMoto(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	cfg := m.AWSConfig()
	chain := StartAPIChain(t, m.URL, cfg, AutoScalingModelOptions{})
	ctx := testContext(t, time.Minute)
	instance, err := CreateInstance(ctx, cfg, MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	zone, err := InstanceZone(ctx, cfg, instance)
	if err != nil {
		t.Fatal(err)
	}
	volume, err := CreateVolume(ctx, cfg, zone, 8)
	if err != nil {
		t.Fatal(err)
	}
	var attached []string
	chain.EBS.OnAttach(func(v, i, _ string) { attached = append(attached, v+" "+i) })
	through := AWSConfig(chain.API.URL, m.Region, TestCredentials)
	if _, err := ec2.NewFromConfig(through).AttachVolume(ctx, &ec2.AttachVolumeInput{
		VolumeId: aws.String(volume), InstanceId: aws.String(instance), Device: aws.String("/dev/sdf"),
	}); err != nil {
		t.Fatalf("AttachVolume through the chain: %v", err)
	}
	if n := chain.API.Calls("AttachVolume"); n != 1 {
		t.Errorf("the fault proxy saw %d AttachVolume calls, want 1", n)
	}
	if len(attached) != 1 || attached[0] != volume+" "+instance {
		t.Errorf("the EBS model saw attaches %q, want %s to %s", attached, volume, instance)
	}
	if holder, _, err := VolumeAttachment(ctx, cfg, volume); err != nil || holder != instance {
		t.Errorf("moto has the volume on %q (%v), want %s", holder, err, instance)
	}
	chain.Close() // and again at cleanup: Close may be called twice
}
