package emulator

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// A lost Availability Zone. moto knows no zone outage: its group launches
// every replacement into the first subnet of its VPCZoneIdentifier
// (moto/autoscaling/models.py, replace_autoscaling_group_instances),
// whatever happened to that subnet's zone. On AWS a launch into a zone
// that is gone fails, and a group with the default Availability Zone
// distribution, balanced best effort, "attempts to launch instances in
// another healthy Availability Zone" (ZoneDistributionDoc). ReplaceOutsideZone
// plays that: a launch moto makes into the lost zone counts as failed.

// ZoneDistributionDoc is the Auto Scaling User Guide's page on where a
// group launches when launches fail in one zone.
const ZoneDistributionDoc = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-availability-zone-balanced.html"

// ZoneReplacement is how the group replaced an instance with one of its
// zones gone.
type ZoneReplacement struct {
	// InstanceID is the replacement that launched; Zone and SubnetID are
	// where.
	InstanceID, Zone, SubnetID string
	// FailedLaunches are the instances moto launched into the lost zone,
	// which the lab treated as launches that failed, as on AWS.
	FailedLaunches []string
}

// zoneOutageAttempts bounds the launches ReplaceOutsideZone waits for.
const zoneOutageAttempts = 5

// ReplaceOutsideZone waits, bounded, for group (through cfg, moto's own
// endpoint) to replace gone, the instance lost with lostZone, and returns
// the replacement in another zone. A launch moto makes into lostZone is
// refused as AWS would refuse it: the lab terminates that instance
// (failLaunch, which must also end it wherever the caller runs it), and,
// for the group's next try to go elsewhere, lists the group's subnets
// outside lostZone first, as moto launches into the first; the group's
// order is put back once the replacement is up. A group whose subnets are
// all in lostZone is an error: on AWS it stays empty until the zone
// returns.
func ReplaceOutsideZone(ctx context.Context, cfg aws.Config, group, gone, lostZone string, failLaunch func(context.Context, string) error) (_ ZoneReplacement, err error) {
	asg := autoscaling.NewFromConfig(cfg)
	subnets, zones, err := groupSubnetZones(ctx, cfg, group)
	if err != nil {
		return ZoneReplacement{}, err
	}
	var healthy, lost []string
	for _, s := range subnets {
		if zones[s] == lostZone {
			lost = append(lost, s)
		} else {
			healthy = append(healthy, s)
		}
	}
	if len(healthy) == 0 {
		return ZoneReplacement{}, fmt.Errorf("group %s has subnets only in %s (%s), the lost zone: it cannot launch until the zone returns", group, lostZone, strings.Join(subnets, ","))
	}
	reordered := false
	defer func() {
		if !reordered {
			return
		}
		// The group's own subnet list, as the stack set it.
		if _, restoreErr := asg.UpdateAutoScalingGroup(context.WithoutCancel(ctx), &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(group), VPCZoneIdentifier: aws.String(strings.Join(subnets, ",")),
		}); restoreErr != nil && err == nil {
			err = fmt.Errorf("group %s: putting its subnet order back: %w", group, restoreErr)
		}
	}()
	var r ZoneReplacement
	skip := []string{gone}
	for attempt := 1; attempt <= zoneOutageAttempts; attempt++ {
		id, err := awaitGroupInstance(ctx, cfg, group, skip)
		if err != nil {
			return r, err
		}
		out, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
			return r, fmt.Errorf("describing %s, launched by group %s: %v", id, group, err)
		}
		inst := out.Reservations[0].Instances[0]
		subnet, zone := aws.ToString(inst.SubnetId), aws.ToString(inst.Placement.AvailabilityZone)
		if zone != lostZone {
			r.InstanceID, r.Zone, r.SubnetID = id, zone, subnet
			return r, nil
		}
		r.FailedLaunches = append(r.FailedLaunches, id)
		skip = append(skip, id)
		if !reordered {
			if _, err := asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
				AutoScalingGroupName: aws.String(group), VPCZoneIdentifier: aws.String(strings.Join(append(healthy, lost...), ",")),
			}); err != nil {
				return r, fmt.Errorf("group %s: listing its subnets outside %s first: %w", group, lostZone, err)
			}
			reordered = true
		}
		if err := failLaunch(ctx, id); err != nil {
			return r, fmt.Errorf("failing the launch of %s in lost zone %s: %w", id, lostZone, err)
		}
	}
	return r, fmt.Errorf("group %s launched into lost zone %s %d times: %v", group, lostZone, zoneOutageAttempts, r.FailedLaunches)
}

// groupSubnetZones returns group's subnets, in its order, and each one's
// zone.
func groupSubnetZones(ctx context.Context, cfg aws.Config, group string) ([]string, map[string]string, error) {
	out, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		return nil, nil, fmt.Errorf("describing group %s: %v", group, err)
	}
	var subnets []string
	for _, s := range strings.Split(aws.ToString(out.AutoScalingGroups[0].VPCZoneIdentifier), ",") {
		if s = strings.TrimSpace(s); s != "" {
			subnets = append(subnets, s)
		}
	}
	if len(subnets) == 0 {
		return nil, nil, fmt.Errorf("group %s lists no subnets", group)
	}
	described, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: subnets})
	if err != nil {
		return nil, nil, fmt.Errorf("describing the subnets of group %s: %w", group, err)
	}
	zones := map[string]string{}
	for _, s := range described.Subnets {
		zones[aws.ToString(s.SubnetId)] = aws.ToString(s.AvailabilityZone)
	}
	return subnets, zones, nil
}

// GroupZones returns the distinct Availability Zones of group's subnets.
func GroupZones(ctx context.Context, cfg aws.Config, group string) ([]string, error) {
	subnets, zones, err := groupSubnetZones(ctx, cfg, group)
	if err != nil {
		return nil, err
	}
	var distinct []string
	for _, s := range subnets {
		if z := zones[s]; !slices.Contains(distinct, z) {
			distinct = append(distinct, z)
		}
	}
	slices.Sort(distinct)
	return distinct, nil
}

// awaitGroupInstance waits, within a bound, for group to hold exactly one
// instance not in skip.
func awaitGroupInstance(ctx context.Context, cfg aws.Config, group string, skip []string) (string, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		ids, err := GroupInstanceIDs(ctx, cfg, group)
		if err != nil {
			return "", err
		}
		fresh := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(skip, id) })
		if len(fresh) == 1 && len(ids) == 1 {
			return fresh[0], nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("group %s launched no instance besides %v within a minute: it holds %v", group, skip, ids)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
