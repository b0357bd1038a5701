package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newGroup creates the Auto Scaling group of exactly one instance, in
// where's subnets, launched from launchTemplate once every resource in
// dependsOn exists.
func (c *SelfHealingInstance) newGroup(ctx *pulumi.Context, name, groupName string, a SelfHealingInstanceArgs,
	where resolvedPlacement, launchTemplate *ec2.LaunchTemplate, tags pulumi.StringMapOutput, dependsOn []pulumi.Resource,
	parent pulumi.ResourceOrInvokeOption,
) (*autoscaling.Group, error) {
	launchFrom, spot := groupLaunch(a, launchTemplate)
	group, err := autoscaling.NewGroup(ctx, name+"-asg", &autoscaling.GroupArgs{
		Name:                   pulumi.String(groupName),
		MinSize:                pulumi.Int(1),
		MaxSize:                pulumi.Int(1),
		DesiredCapacity:        pulumi.Int(1),
		LaunchTemplate:         launchFrom,
		MixedInstancesPolicy:   spot,
		CapacityRebalance:      capacityRebalance(a),
		VpcZoneIdentifiers:     where.SubnetIDs,
		HealthCheckType:        pulumi.String("EC2"),
		HealthCheckGracePeriod: pulumi.Int(*a.HealthCheckGracePeriodSeconds),
		InitialLifecycleHooks:  launchGateHooks(a),
		WaitForCapacityTimeout: pulumi.String(CapacityWaitTimeout(a.launchGate(), a.launchGateTimeout())),
		InstanceRefresh:        instanceRefresh(a),
		WarmPool:               warmPool(a),
		Tags:                   tags.ApplyT(groupTags).(autoscaling.GroupTagArrayOutput),
	}, append([]pulumi.ResourceOption{parent, pulumi.DependsOn(dependsOn)}, groupScheduleOptions(a.Schedule)...)...)
	if err != nil {
		return nil, fmt.Errorf("creating the Auto Scaling group: %w", err)
	}
	c.AutoScalingGroupName = group.Name
	return group, nil
}

// groupTags are the group's tags, each propagated to the instance.
func groupTags(tags map[string]string) []autoscaling.GroupTag {
	var out []autoscaling.GroupTag
	for _, key := range sortedKeys(tags) {
		out = append(out, autoscaling.GroupTag{Key: key, Value: tags[key], PropagateAtLaunch: true})
	}
	return out
}
