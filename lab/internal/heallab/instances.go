package heallab

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// Instance is one of the group's instances, as EC2 describes it.
type Instance struct {
	ID               string
	AvailabilityZone string
	SubnetID         string
	// LaunchTemplateVersion is the template version it was launched from.
	LaunchTemplateVersion string
	// LaunchTemplateID is the template it was launched from, as the group
	// says (moto: the group's current one).
	LaunchTemplateID string
}

// GroupInstances returns the group's instances, in the order the group
// lists them.
func (l *Lab) GroupInstances(ctx context.Context) ([]Instance, error) {
	name := l.Outputs["autoScalingGroupName"]
	out, err := l.autoscaling().DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{name},
	})
	if err != nil {
		return nil, fmt.Errorf("describing group %s: %w", name, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		return nil, fmt.Errorf("group %s: found %d groups", name, len(out.AutoScalingGroups))
	}
	var instances []Instance
	for _, gi := range out.AutoScalingGroups[0].Instances {
		inst, err := l.describeInstance(ctx, aws.ToString(gi.InstanceId))
		if err != nil {
			return nil, err
		}
		if gi.LaunchTemplate != nil {
			inst.LaunchTemplateVersion = aws.ToString(gi.LaunchTemplate.Version)
			inst.LaunchTemplateID = aws.ToString(gi.LaunchTemplate.LaunchTemplateId)
		}
		instances = append(instances, inst)
	}
	return instances, nil
}

// OnlyInstance returns the group's one instance, or an error if the group
// does not have exactly one.
func (l *Lab) OnlyInstance(ctx context.Context) (Instance, error) {
	instances, err := l.GroupInstances(ctx)
	if err != nil {
		return Instance{}, err
	}
	if len(instances) != 1 {
		return Instance{}, fmt.Errorf("the group has %d instances, want exactly 1: %v", len(instances), instances)
	}
	return instances[0], nil
}

// groupInstance returns the group's instance id, with the launch template
// the group says it was launched from.
func (l *Lab) groupInstance(ctx context.Context, id string) (Instance, error) {
	instances, err := l.GroupInstances(ctx)
	if err != nil {
		return Instance{}, err
	}
	for _, inst := range instances {
		if inst.ID == id {
			return inst, nil
		}
	}
	return Instance{}, fmt.Errorf("instance %s is not in the group, which holds %v", id, instances)
}

func (l *Lab) describeInstance(ctx context.Context, id string) (Instance, error) {
	raw, err := l.rawInstance(ctx, id)
	if err != nil {
		return Instance{}, err
	}
	return Instance{
		ID:               id,
		AvailabilityZone: aws.ToString(raw.Placement.AvailabilityZone),
		SubnetID:         aws.ToString(raw.SubnetId),
	}, nil
}

func (l *Lab) rawInstance(ctx context.Context, id string) (ec2types.Instance, error) {
	out, err := l.ec2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return ec2types.Instance{}, fmt.Errorf("describing instance %s: %w", id, err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.InstanceId) == id {
				return i, nil
			}
		}
	}
	return ec2types.Instance{}, fmt.Errorf("instance %s: not found", id)
}

// InstanceState returns an instance's EC2 state name, such as "running".
func (l *Lab) InstanceState(ctx context.Context, id string) (string, error) {
	raw, err := l.rawInstance(ctx, id)
	if err != nil {
		return "", err
	}
	return string(raw.State.Name), nil
}

// Holder returns the instance the stack's Elastic IP is associated with, ""
// for none.
func (l *Lab) Holder(ctx context.Context) (string, error) {
	addr, err := l.address(ctx)
	if err != nil {
		return "", err
	}
	if eni := aws.ToString(addr.NetworkInterfaceId); eni != "" && aws.ToString(addr.InstanceId) == "" {
		// An address on a network interface is on the instance the
		// interface is attached to: EC2 says so in InstanceId, moto
		// leaves it empty.
		holder, _, err := emulator.InterfaceAttachment(ctx, l.admin, eni)
		return holder, err
	}
	return aws.ToString(addr.InstanceId), nil
}

func (l *Lab) address(ctx context.Context) (ec2types.Address, error) {
	id := l.Outputs["allocationId"]
	out, err := l.ec2().DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{id}})
	if err != nil {
		return ec2types.Address{}, fmt.Errorf("describing Elastic IP %s: %w", id, err)
	}
	if len(out.Addresses) != 1 {
		return ec2types.Address{}, fmt.Errorf("Elastic IP %s: found %d addresses", id, len(out.Addresses))
	}
	return out.Addresses[0], nil
}

// KillOptions shape how an instance dies.
type KillOptions struct {
	// KeepAssociation leaves the dead instance's Elastic IP association in
	// place, as moto does, instead of removing it as AWS does. It models an
	// address still held by another instance, as during a Spot capacity
	// rebalance, when the old instance lives on while the new one boots
	// (emulator.TerminateOptions.KeepAssociation).
	KeepAssociation bool
	// VolumeHeldFor is how long the data volume stays in-use, attached to
	// the dead instance (detaching), after the kill, if the instance had
	// it attached; DefaultVolumeHeld if zero.
	VolumeHeldFor time.Duration
	// InterfaceHeldFor is how long the network interface, in a stack with
	// one, stays attached to the dead instance (detaching) after the kill;
	// DefaultVolumeHeld if zero.
	InterfaceHeldFor time.Duration
}

// Kill terminates the instance through the EC2 API, ends it in the lab
// (its mounts go with it), and returns the replacement the group launches.
// As on AWS, and unlike moto, the data volume stays attached to the dead
// instance for a while (KillOptions.VolumeHeldFor).
func (l *Lab) Kill(ctx context.Context, id string, opts KillOptions) (Instance, error) {
	if err := l.terminate(ctx, id, opts); err != nil {
		return Instance{}, err
	}
	return l.awaitReplacement(ctx, id)
}

// terminate ends an instance as AWS does, which moto does only in part:
// the instance goes, its Elastic IP association with it unless
// opts.KeepAssociation (emulator.TerminateInstanceWith holds that rule),
// its processes end in the lab, and its data volume stays attached to it
// for a while before it comes free.
func (l *Lab) terminate(ctx context.Context, id string, opts KillOptions) error {
	hadVolume, err := l.volumeAttachedTo(ctx, id)
	if err != nil {
		return err
	}
	if err := emulator.TerminateInstanceWith(ctx, l.admin, id, emulator.TerminateOptions{KeepAssociation: opts.KeepAssociation}); err != nil {
		return err
	}
	l.recordTermination(id)
	if err := l.stopInstance(id); err != nil {
		return err
	}
	l.holdAfterKill(id, hadVolume, opts.VolumeHeldFor)
	return l.holdInterfaceAfterKill(ctx, id, opts.InterfaceHeldFor)
}

// holdInterfaceAfterKill has the EBS model keep the stack's network
// interface, if it has one, attached to the killed instance (detaching)
// for held (DefaultVolumeHeld if zero), if the instance had it attached,
// and detaches it in moto, as AWS does once that time is over.
func (l *Lab) holdInterfaceAfterKill(ctx context.Context, id string, held time.Duration) error {
	eni := l.Outputs["networkInterfaceId"]
	if eni == "" {
		return nil
	}
	out, err := l.ec2().DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eni}})
	if err != nil || len(out.NetworkInterfaces) != 1 {
		return fmt.Errorf("describing network interface %s: %v", eni, err)
	}
	a := out.NetworkInterfaces[0].Attachment
	if a == nil || aws.ToString(a.InstanceId) != id {
		return nil
	}
	if _, err := l.ec2().DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: a.AttachmentId, Force: aws.Bool(true)}); err != nil {
		return fmt.Errorf("detaching network interface %s from the dead %s in moto: %w", eni, id, err)
	}
	if held == 0 {
		held = DefaultVolumeHeld
	}
	l.ebs.Hold(eni, emulator.VolumeHold{Instance: id, State: "detaching", For: held})
	return nil
}

// awaitReplacement waits, within a bound, for the group to hold one
// instance other than gone.
func (l *Lab) awaitReplacement(ctx context.Context, gone string) (Instance, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		instances, err := l.GroupInstances(ctx)
		if err != nil {
			return Instance{}, err
		}
		fresh := slices.DeleteFunc(instances, func(i Instance) bool { return i.ID == gone })
		if len(fresh) == 1 && len(instances) == 1 {
			return fresh[0], nil
		}
		if time.Now().After(deadline) {
			return Instance{}, fmt.Errorf("the group did not replace %s within 2 minutes: it holds %v", gone, instances)
		}
		select {
		case <-ctx.Done():
			return Instance{}, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// recordTermination records that the lab terminated instance id now.
func (l *Lab) recordTermination(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.terminatedAt == nil {
		l.terminatedAt = map[string]time.Time{}
	}
	l.terminatedAt[id] = time.Now()
}

// Terminations returns when the lab terminated each instance it did.
func (l *Lab) Terminations() map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.terminatedAt)
}
