package emulator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// LaunchGroup is an Auto Scaling group of one instance with a launch
// lifecycle hook, as the component creates it, made in moto by
// [NewLaunchGroup].
type LaunchGroup struct {
	// Name is the group's name; Hook its launch hook's.
	Name, Hook string
	// InstanceID is the instance the group launched; Zone is where.
	InstanceID, Zone string
}

// LaunchGroupHeartbeatSeconds is the hook's heartbeat timeout.
const LaunchGroupHeartbeatSeconds = 600

// NewLaunchGroup is [NewLaunchGroupE] for tests: it fails the test on error.
func NewLaunchGroup(t testing.TB, cfg aws.Config, name, hook, zone string) LaunchGroup {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, err := NewLaunchGroupE(ctx, cfg, name, hook, zone)
	if err != nil {
		t.Fatalf("NewLaunchGroup: %v", err)
	}
	return g
}

// NewLaunchGroupE creates, through cfg, a launch template for [MotoAMI] and
// a group of one named name in zone's default subnet (any zone if zone is
// ""), with a launch lifecycle hook named hook (default result ABANDON), in
// the order the AWS provider uses for initial hooks: the group empty, then
// the hook, then its size. It returns the group and the instance it
// launched.
func NewLaunchGroupE(ctx context.Context, cfg aws.Config, name, hook, zone string) (LaunchGroup, error) {
	ec2c, asg := ec2.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg)
	filters := []types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}
	if zone != "" {
		filters = append(filters, types.Filter{Name: aws.String("availability-zone"), Values: []string{zone}})
	}
	subnets, err := ec2c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: filters})
	if err != nil || len(subnets.Subnets) == 0 {
		return LaunchGroup{}, fmt.Errorf("group %s: finding a default subnet in %q: %v", name, zone, err)
	}
	subnet := subnets.Subnets[0]
	lt, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(name + "-lt"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(MotoAMI), InstanceType: types.InstanceTypeT3Micro},
	})
	if err != nil {
		return LaunchGroup{}, fmt.Errorf("group %s: creating its launch template: %w", name, err)
	}
	if _, err := asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name),
		LaunchTemplate:       &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")},
		MinSize:              aws.Int32(0),
		MaxSize:              aws.Int32(0),
		VPCZoneIdentifier:    subnet.SubnetId,
	}); err != nil {
		return LaunchGroup{}, fmt.Errorf("group %s: creating it: %w", name, err)
	}
	if _, err := asg.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{
		AutoScalingGroupName: aws.String(name),
		LifecycleHookName:    aws.String(hook),
		LifecycleTransition:  aws.String(launchTransition),
		DefaultResult:        aws.String(LifecycleAbandon),
		HeartbeatTimeout:     aws.Int32(LaunchGroupHeartbeatSeconds),
	}); err != nil {
		return LaunchGroup{}, fmt.Errorf("group %s: putting hook %s: %w", name, hook, err)
	}
	if _, err := asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name),
		MinSize:              aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1),
	}); err != nil {
		return LaunchGroup{}, fmt.Errorf("group %s: sizing it: %w", name, err)
	}
	ids, err := GroupInstanceIDs(ctx, cfg, name)
	if err != nil {
		return LaunchGroup{}, err
	}
	if len(ids) != 1 {
		return LaunchGroup{}, fmt.Errorf("group %s launched %d instances, want 1", name, len(ids))
	}
	return LaunchGroup{Name: name, Hook: hook, InstanceID: ids[0], Zone: aws.ToString(subnet.AvailabilityZone)}, nil
}

// GroupInstanceIDs returns the ids of the instances group holds, as moto
// lists them.
func GroupInstanceIDs(ctx context.Context, cfg aws.Config, group string) ([]string, error) {
	out, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{group},
	})
	if err != nil {
		return nil, fmt.Errorf("describing group %s: %w", group, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		return nil, fmt.Errorf("group %s: found %d groups", group, len(out.AutoScalingGroups))
	}
	var ids []string
	for _, i := range out.AutoScalingGroups[0].Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	return ids, nil
}
