package moto

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// typeGroup is the Auto Scaling group's type token.
const typeGroup = "aws:autoscaling/group:Group"

// defaultWaitForCapacity is the provider's default wait_for_capacity_timeout.
const defaultWaitForCapacity = 10 * time.Minute

// capacityPollInterval is how often waitForCapacity looks at the group.
const capacityPollInterval = 250 * time.Millisecond

// createGroup creates an Auto Scaling group and, like the provider, waits
// until it has its desired capacity InService and Healthy (bounded by
// waitForCapacityTimeout, default 10m, and by [CallTimeout]). moto launches
// the group's instances inside CreateAutoScalingGroup, so the wait ends at
// the first look. Its id is its name. A group with initialLifecycleHooks is
// created in the provider's two phases: empty, then hooks, then its size.
//
// How moto's groups launch and replace instances is described in the
// package documentation.
func (m *Monitor) createGroup(ctx context.Context, name string, in *inputs) (created, error) {
	groupName, autoNamed := physicalName(in, name)
	req := &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName:             &groupName,
		MinSize:                          in.integerPtr("minSize"),
		MaxSize:                          in.integerPtr("maxSize"),
		DesiredCapacity:                  in.integerPtr("desiredCapacity"),
		HealthCheckType:                  nonEmpty(in.strOr("healthCheckType", "")),
		HealthCheckGracePeriod:           in.integerPtr("healthCheckGracePeriod"),
		DefaultCooldown:                  in.integerPtr("defaultCooldown"),
		MaxInstanceLifetime:              in.integerPtr("maxInstanceLifetime"),
		CapacityRebalance:                in.boolPtr("capacityRebalance"),
		NewInstancesProtectedFromScaleIn: in.boolPtr("protectFromScaleIn"),
		LaunchConfigurationName:          nonEmpty(in.strOr("launchConfiguration", "")),
		PlacementGroup:                   nonEmpty(in.strOr("placementGroup", "")),
		ServiceLinkedRoleARN:             nonEmpty(in.strOr("serviceLinkedRoleArn", "")),
		TerminationPolicies:              in.strList("terminationPolicies"),
		AvailabilityZones:                in.strList("availabilityZones"),
		LoadBalancerNames:                in.strList("loadBalancers"),
		TargetGroupARNs:                  in.strList("targetGroupArns"),
	}
	if req.MinSize == nil || req.MaxSize == nil {
		in.fail("minSize/maxSize", "are required")
	}
	if subnets := in.strList("vpcZoneIdentifiers"); len(subnets) > 0 {
		req.VPCZoneIdentifier = aws.String(strings.Join(subnets, ","))
	}
	if lt := in.object("launchTemplate"); lt != nil {
		req.LaunchTemplate = &asgtypes.LaunchTemplateSpecification{
			LaunchTemplateId:   nonEmpty(lt.strOr("id", "")),
			LaunchTemplateName: nonEmpty(lt.strOr("name", "")),
			Version:            nonEmpty(lt.strOr("version", "")),
		}
	}
	for _, t := range in.objects("tags") {
		req.Tags = append(req.Tags, asgtypes.Tag{
			Key:               aws.String(t.required("key")),
			Value:             aws.String(t.strOr("value", "")),
			PropagateAtLaunch: t.boolPtr("propagateAtLaunch"),
			ResourceId:        &groupName,
			ResourceType:      aws.String("auto-scaling-group"),
		})
	}
	wait := defaultWaitForCapacity
	if v, ok := in.str("waitForCapacityTimeout"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			in.fail("waitForCapacityTimeout", "want a duration such as 10m, got %q", v)
		}
		wait = d
	}
	// These act on deletion or on load balancers the monitor cannot
	// create; none changes what CreateAutoScalingGroup does.
	in.ignore("forceDelete", "forceDeleteWarmPool", "ignoreFailedScalingActivities", "minElbCapacity", "waitForElbCapacity")
	// The provider starts an instance refresh only when it updates a group
	// (resourceGroupUpdate); creating one sends nothing for it, and the
	// monitor only creates.
	in.ignore("instanceRefresh")
	hooks := initialLifecycleHooks(in, groupName)
	policy := maintenancePolicy(in)
	pool := warmPool(in, groupName)
	req.InstanceMaintenancePolicy = policy
	if err := in.done(); err != nil {
		return created{}, err
	}

	var size *autoscaling.UpdateAutoScalingGroupInput
	if len(hooks) > 0 {
		size = sizeAfterHooks(req)
	}
	if _, err := m.autoscaling.CreateAutoScalingGroup(ctx, req); err != nil {
		return created{}, fmt.Errorf("CreateAutoScalingGroup: %w", err)
	}
	for _, hook := range hooks {
		if _, err := m.autoscaling.PutLifecycleHook(ctx, hook); err != nil {
			return created{}, fmt.Errorf("PutLifecycleHook %s: %w", aws.ToString(hook.LifecycleHookName), err)
		}
	}
	if size != nil {
		if _, err := m.autoscaling.UpdateAutoScalingGroup(ctx, size); err != nil {
			return created{}, fmt.Errorf("UpdateAutoScalingGroup (initial capacity, after the lifecycle hooks): %w", err)
		}
	}
	if pool != nil {
		if _, err := m.autoscaling.PutWarmPool(ctx, pool); err != nil {
			return created{}, fmt.Errorf("PutWarmPool: %w", err)
		}
	}
	group, err := m.waitForCapacity(ctx, groupName, wait)
	if err != nil {
		return created{}, err
	}
	attrs := map[string]any{
		"arn":                  aws.ToString(group.AutoScalingGroupARN),
		"availabilityZones":    stringsToAny(group.AvailabilityZones),
		"defaultCooldown":      float64(aws.ToInt32(group.DefaultCooldown)),
		"healthCheckType":      aws.ToString(group.HealthCheckType),
		"serviceLinkedRoleArn": aws.ToString(group.ServiceLinkedRoleARN),
	}
	if autoNamed {
		attrs["name"] = groupName
	}
	if policy != nil {
		m.mu.Lock()
		m.maintenancePolicies[groupName] = *policy
		m.mu.Unlock()
	}
	return created{id: groupName, attrs: attrs}, nil
}

// maintenancePolicy reads instanceMaintenancePolicy as AWS checks it (the
// API reference's InstanceMaintenancePolicy): both percentages, the
// minimum 0 to 100, the maximum 100 to 200, at most 100 apart. moto
// 5.2.1 neither checks nor keeps it; the monitor keeps it for the harness
// (Monitor.MaintenancePolicy).
func maintenancePolicy(in *inputs) *asgtypes.InstanceMaintenancePolicy {
	p := in.object("instanceMaintenancePolicy")
	if p == nil {
		return nil
	}
	minimum, maximum := p.integerPtr("minHealthyPercentage"), p.integerPtr("maxHealthyPercentage")
	switch {
	case minimum == nil || maximum == nil:
		in.fail("instanceMaintenancePolicy", "want both minHealthyPercentage and maxHealthyPercentage")
	case *minimum < 0 || *minimum > 100 || *maximum < 100 || *maximum > 200 || *maximum-*minimum > 100:
		in.fail("instanceMaintenancePolicy", "minHealthyPercentage %d, maxHealthyPercentage %d: want 0 to 100 and 100 to 200, at most 100 apart", *minimum, *maximum)
	default:
		return &asgtypes.InstanceMaintenancePolicy{MinHealthyPercentage: minimum, MaxHealthyPercentage: maximum}
	}
	return nil
}

// warmPool reads warmPool as the provider sends it in PutWarmPool after
// creating the group. moto 5.2.1 keeps it (DescribeWarmPool) but launches
// no instance into it: the lab plays the pool's instance
// (heallab.PlayWarmPool).
func warmPool(in *inputs, groupName string) *autoscaling.PutWarmPoolInput {
	p := in.object("warmPool")
	if p == nil {
		return nil
	}
	req := &autoscaling.PutWarmPoolInput{
		AutoScalingGroupName:     aws.String(groupName),
		MinSize:                  p.integerPtr("minSize"),
		MaxGroupPreparedCapacity: p.integerPtr("maxGroupPreparedCapacity"),
	}
	if state, ok := p.str("poolState"); ok {
		switch asgtypes.WarmPoolState(state) {
		case asgtypes.WarmPoolStateStopped, asgtypes.WarmPoolStateRunning, asgtypes.WarmPoolStateHibernated:
			req.PoolState = asgtypes.WarmPoolState(state)
		default:
			p.fail("poolState", "want Stopped, Running or Hibernated, got %q", state)
		}
	}
	if reuse := p.object("instanceReusePolicy"); reuse != nil {
		req.InstanceReusePolicy = &asgtypes.InstanceReusePolicy{ReuseOnScaleIn: reuse.boolPtr("reuseOnScaleIn")}
	}
	return req
}

// waitForCapacity waits, up to timeout (0: not at all), until the group
// has as many InService, Healthy instances as it desires, and returns it.
func (m *Monitor) waitForCapacity(ctx context.Context, name string, timeout time.Duration) (asgtypes.AutoScalingGroup, error) {
	deadline := time.Now().Add(timeout)
	for {
		group, err := m.describeGroup(ctx, name)
		if err != nil {
			return group, err
		}
		want := aws.ToInt32(group.DesiredCapacity)
		ready := int32(0)
		for _, i := range group.Instances {
			if i.LifecycleState == asgtypes.LifecycleStateInService && aws.ToString(i.HealthStatus) == "Healthy" {
				ready++
			}
		}
		if timeout == 0 || ready >= want {
			return group, nil
		}
		if time.Now().After(deadline) {
			return group, fmt.Errorf("group %s has %d of %d instances InService and Healthy after %v", name, ready, want, timeout)
		}
		select {
		case <-ctx.Done():
			return group, fmt.Errorf("waiting for group %s to have %d instances InService (has %d): %w", name, want, ready, ctx.Err())
		case <-time.After(capacityPollInterval):
		}
	}
}

// describeGroup returns the group called name.
func (m *Monitor) describeGroup(ctx context.Context, name string) (asgtypes.AutoScalingGroup, error) {
	out, err := m.autoscaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{name},
	})
	if err != nil {
		return asgtypes.AutoScalingGroup{}, fmt.Errorf("DescribeAutoScalingGroups %s: %w", name, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		return asgtypes.AutoScalingGroup{}, errors.New("DescribeAutoScalingGroups " + name + ": group not found")
	}
	return out.AutoScalingGroups[0], nil
}

// stringsToAny converts a string list for resource.NewPropertyValue.
func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
