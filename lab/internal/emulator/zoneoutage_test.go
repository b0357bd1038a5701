package emulator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestReplaceOutsideZoneRefusesTheLostZone: moto replaces a terminated
// instance in its group's first subnet, the lost zone's; the lab refuses
// that launch, as AWS would, and the group's next launch lands in another
// zone, its subnet list put back afterwards.
func TestReplaceOutsideZoneRefusesTheLostZone(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	cfg := m.AWSConfig()
	ctx := testContext(t, time.Minute)
	ec2c, asg := ec2.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg)
	subnets, err := ec2c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(subnets.Subnets) < 2 {
		t.Fatalf("moto's default VPC: want default subnets in two zones at least, got %d (%v)", len(subnets.Subnets), err)
	}
	var ids []string
	for _, s := range subnets.Subnets {
		ids = append(ids, aws.ToString(s.SubnetId))
	}
	lt, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("zones-lt"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(MotoAMI), InstanceType: types.InstanceTypeT3Micro},
	})
	if err != nil {
		t.Fatal(err)
	}
	const group = "zones"
	if _, err := asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(group),
		LaunchTemplate:       &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")},
		MinSize:              aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1),
		VPCZoneIdentifier: aws.String(strings.Join(ids, ",")),
	}); err != nil {
		t.Fatal(err)
	}
	zones, err := GroupZones(ctx, cfg, group)
	if err != nil || len(zones) < 2 {
		t.Fatalf("GroupZones = %v, %v; want two zones at least", zones, err)
	}
	first, err := awaitGroupInstance(ctx, cfg, group, nil)
	if err != nil {
		t.Fatal(err)
	}
	lost := zoneOf(ctx, t, cfg, first)
	if err := TerminateInstance(ctx, cfg, first); err != nil {
		t.Fatal(err)
	}
	var failed []string
	r, err := ReplaceOutsideZone(ctx, cfg, group, first, lost, func(ctx context.Context, id string) error {
		failed = append(failed, id)
		return TerminateInstance(ctx, cfg, id)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Zone == lost || zoneOf(ctx, t, cfg, r.InstanceID) == lost {
		t.Errorf("the replacement %s is in %s, the lost zone", r.InstanceID, r.Zone)
	}
	// moto's own replacement goes to the first subnet, the lost zone's:
	// the lab must have refused it.
	if len(r.FailedLaunches) == 0 || len(failed) != len(r.FailedLaunches) {
		t.Errorf("failed launches %v (failLaunch called for %v), want moto's launch into %s among them", r.FailedLaunches, failed, lost)
	}
	for _, id := range r.FailedLaunches {
		if z := zoneOf(ctx, t, cfg, id); z != lost {
			t.Errorf("failed launch %s is in %s, not the lost zone %s", id, z, lost)
		}
	}
	if got, _, err := groupSubnetZones(ctx, cfg, group); err != nil || strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("the group's subnets after the replacement are %v (%v), want its own %v", got, err, ids)
	}
}

func zoneOf(ctx context.Context, t *testing.T, cfg aws.Config, id string) string {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.Reservations) != 1 {
		t.Fatalf("describing %s: %v", id, err)
	}
	return aws.ToString(out.Reservations[0].Instances[0].Placement.AvailabilityZone)
}
