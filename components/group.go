package components

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// group creates the Auto Scaling group of exactly one instance, in the
// plan's subnets, launched from launchTemplate once every resource in
// dependsOn exists.
func (b *builder) group(launchTemplate *ec2.LaunchTemplate, dependsOn []pulumi.Resource) (*autoscaling.Group, error) {
	p := b.p
	launchFrom, spot := p.groupLaunch(launchTemplate)
	enabledMetrics, metricsGranularity := p.groupMetrics()
	group, err := autoscaling.NewGroup(b.ctx, p.name+"-asg", &autoscaling.GroupArgs{
		Name:                   pulumi.String(p.groupName),
		MinSize:                pulumi.Int(1),
		MaxSize:                pulumi.Int(1),
		DesiredCapacity:        pulumi.Int(1),
		LaunchTemplate:         launchFrom,
		MixedInstancesPolicy:   spot,
		CapacityRebalance:      p.capacityRebalance(),
		VpcZoneIdentifiers:     p.where.SubnetIDs,
		HealthCheckType:        pulumi.String(p.healthCheckType()),
		HealthCheckGracePeriod: pulumi.Int(p.gracePeriod),
		InitialLifecycleHooks:  p.launchGateHooks(),
		WaitForCapacityTimeout: pulumi.String(CapacityWaitTimeout(p.launchGate, p.launchGateTimeout)),
		InstanceRefresh:        p.instanceRefreshArgs(),
		// Health-check replacements launch first or terminate first as
		// rollouts do (rollout.go).
		InstanceMaintenancePolicy: p.instanceMaintenancePolicy(),
		WarmPool:                  p.warmPool(),
		EnabledMetrics:            enabledMetrics,
		MetricsGranularity:        metricsGranularity,
		Tags:                      p.flows.tags.ApplyT(groupTags).(autoscaling.GroupTagArrayOutput),
	}, append([]pulumi.ResourceOption{b.parent, pulumi.DependsOn(dependsOn)}, groupScheduleOptions(p.args.Schedule)...)...)
	if err != nil {
		return nil, fmt.Errorf("creating the Auto Scaling group: %w", err)
	}
	b.c.AutoScalingGroupName = group.Name
	return group, nil
}

// groupTags are the group's tags, each propagated to the instance.
func groupTags(tags map[string]string) []autoscaling.GroupTag {
	var out []autoscaling.GroupTag
	for _, key := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, autoscaling.GroupTag{Key: key, Value: tags[key], PropagateAtLaunch: true})
	}
	return out
}
