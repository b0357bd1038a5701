package heallab

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The warm pool in the lab: moto keeps the group's warm pool settings
// (DescribeWarmPool) but never launches an instance into the pool nor
// takes one out, so the lab plays the group's part. Before the event,
// outside the measured window, it launches the pool's instance from the
// group's launch template, boots it with its metadata saying
// Warmed:Stopped (the group holds it in Warmed:Pending:Wait until its
// boot completes the launch gate), and stops it. At the event, the group
// takes it instead of launching one: the lab attaches it to the group,
// waits out WarmPoolStart and OSBoot, and starts it, running what its
// first boot installed, as its unit does; the client measures.

// WarmPoolStart: from the group starting a stopped warm-pool instance to
// the instance running. AWS publishes no figure for a start from stopped;
// the Auto Scaling User Guide's warm pools page says only that the pool's
// instances are ready sooner than a launch.
var WarmPoolStart = AWSTime{Name: "warm-pool-start", Full: 10 * time.Second, Source: warmPoolsDoc, Assumption: true}

// warmedStopped is what the metadata of an instance launched into a warm
// pool of stopped instances says at autoscaling/target-lifecycle-state.
const warmedStopped = "Warmed:Stopped"

// WarmPoolOverrides are DowntimeOverrides(volume) with the warm pool.
func WarmPoolOverrides(volume bool) map[string]string {
	o := DowntimeOverrides(volume)
	o["selfhealing:warmPool"] = "true"
	return o
}

// WarmPoolEvent is the name of event played with the warm pool, in
// DOWNTIME lines.
func WarmPoolEvent(event DowntimeEvent) string { return string(event) + "-warm-pool" }

// WarmPoolEvents are the events PlayWarmPool plays.
func WarmPoolEvents() []DowntimeEvent { return []DowntimeEvent{EventTerminated} }

// WarmPoolResult is what the pool's instance did: its boot into the pool,
// and its boot into service.
type WarmPoolResult struct {
	Pool, Boot BootResult
}

// PlayWarmPool plays event on a stack with a warm pool: the pool's
// instance boots into the pool first, outside the measured window; then
// the event, and the group takes the pooled instance into service. It
// returns the measurement, event named WarmPoolEvent(event), way ours.
func (r *DowntimeRun) PlayWarmPool(ctx context.Context, event DowntimeEvent) (Downtime, WarmPoolResult, error) {
	l := r.lab
	var res WarmPoolResult
	fail := func(err error) (Downtime, WarmPoolResult, error) {
		return Downtime{}, res, fmt.Errorf("event %s: %w", WarmPoolEvent(event), err)
	}
	if event != EventTerminated {
		return fail(fmt.Errorf("the lab plays the warm pool for %v only", WarmPoolEvents()))
	}
	if err := l.checkWarmPool(ctx); err != nil {
		return fail(err)
	}
	old, err := l.OnlyInstance(ctx)
	if err != nil {
		return fail(err)
	}
	pool, err := l.launchIntoPool(ctx, old)
	if err != nil {
		return fail(err)
	}
	if res.Pool, err = r.bootIntoPool(ctx, pool); err != nil {
		return fail(err)
	}

	from := time.Now()
	group := l.Outputs["autoScalingGroupName"]
	// The group's own bookkeeping, which moto would do otherwise by
	// launching a fresh instance: the terminated instance leaves the
	// group, and the pooled one takes its place.
	if _, err := l.autoscaling().DetachInstances(ctx, &autoscaling.DetachInstancesInput{
		AutoScalingGroupName: aws.String(group), InstanceIds: []string{old.ID}, ShouldDecrementDesiredCapacity: aws.Bool(true),
	}); err != nil {
		return fail(fmt.Errorf("taking %s out of group %s in moto: %w", old.ID, group, err))
	}
	if err := l.terminate(ctx, old.ID, KillOptions{VolumeHeldFor: EBSDetach.Scaled()}); err != nil {
		return fail(err)
	}
	oldGone := time.Now()
	if err := r.phases.wait(ctx, TerminationNoticed); err != nil {
		return fail(err)
	}
	if err := l.takeFromPool(ctx, pool); err != nil {
		return fail(err)
	}
	for _, t := range []AWSTime{WarmPoolStart, OSBoot} {
		if err := r.phases.wait(ctx, t); err != nil {
			return fail(err)
		}
	}
	if res.Boot, err = l.Boot(ctx, pool, BootOptions{Script: r.script, Start: true}); err != nil {
		return fail(err)
	}
	if !res.Boot.Healed {
		return fail(fmt.Errorf("the pooled instance %s did not heal going into service:\n%s\n%s", pool.ID, res.Boot.CommandResult, res.Boot.Log))
	}
	if err := r.awaitAnswerFrom(ctx, pool.ID, from, true); err != nil {
		return fail(err)
	}
	to := time.Now()
	phases := append(r.phases.all(), r.client.Phases()...)
	d := MeasureDowntime(WarmPoolEvent(event), r.volume, WayOurs, r.client.Probes(), phases, from, to)
	d.OldGone = oldGone
	return d, res, nil
}

// checkWarmPool fails unless the group has the stack's warm pool: stopped
// instances, at least one (components/rollout.go).
func (l *Lab) checkWarmPool(ctx context.Context) error {
	group := l.Outputs["autoScalingGroupName"]
	out, err := l.autoscaling().DescribeWarmPool(ctx, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		return fmt.Errorf("describing the warm pool of group %s: %w", group, err)
	}
	c := out.WarmPoolConfiguration
	if c == nil || c.PoolState != asgtypes.WarmPoolStateStopped || aws.ToInt32(c.MinSize) != 1 {
		return fmt.Errorf("group %s has the warm pool %+v, want the stack's: Stopped, MinSize 1", group, c)
	}
	return nil
}

// launchIntoPool launches the pool's instance as the group would: from
// the launch template version old was launched from, in its subnet (the
// data volume's zone), with the template's user data.
func (l *Lab) launchIntoPool(ctx context.Context, old Instance) (Instance, error) {
	template, version := old.launchTemplateID(l), old.LaunchTemplateVersion
	versions, err := l.ec2().DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(template), Versions: []string{version},
	})
	if err != nil || len(versions.LaunchTemplateVersions) != 1 {
		return Instance{}, fmt.Errorf("describing launch template %s version %s: %v", template, version, err)
	}
	out, err := l.ec2().RunInstances(ctx, &ec2.RunInstancesInput{
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		LaunchTemplate: &ec2types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(template), Version: aws.String(version)},
		SubnetId:       aws.String(old.SubnetID),
		UserData:       versions.LaunchTemplateVersions[0].LaunchTemplateData.UserData,
	})
	if err != nil || len(out.Instances) != 1 {
		return Instance{}, fmt.Errorf("launching the warm pool's instance from %s version %s: %v", template, version, err)
	}
	raw := out.Instances[0]
	return Instance{
		ID:                    aws.ToString(raw.InstanceId),
		AvailabilityZone:      aws.ToString(raw.Placement.AvailabilityZone),
		SubnetID:              aws.ToString(raw.SubnetId),
		LaunchTemplateVersion: version,
		LaunchTemplateID:      template,
	}, nil
}

// bootIntoPool boots pool with its metadata saying Warmed:Stopped, its
// launch action waiting as the group's launch hook holds an instance
// entering the warm pool, and fails unless the boot took nothing and
// completed the gate with CONTINUE; then stops it, as the group does.
func (r *DowntimeRun) bootIntoPool(ctx context.Context, pool Instance) (BootResult, error) {
	l := r.lab
	l.Lifecycle.EnterWarmPool(pool.ID)
	boot, err := l.Boot(ctx, pool, BootOptions{Script: r.script, LifecycleState: warmedStopped})
	if err != nil {
		return boot, err
	}
	if boot.ExitCode != 0 || boot.Status != "warm" || boot.HoldsAddress {
		return boot, fmt.Errorf("the boot into the warm pool of %s: exit %d, status %q, holds the address %v; want a warm boot:\n%s\n%s",
			pool.ID, boot.ExitCode, boot.Status, boot.HoldsAddress, boot.CommandResult, boot.Log)
	}
	if gate := l.Gate(pool.ID); gate != NoGate && gate != "CONTINUE" {
		return boot, fmt.Errorf("the boot into the warm pool of %s completed the launch gate with %q, want CONTINUE", pool.ID, gate)
	}
	if err := l.stopInstance(pool.ID); err != nil {
		return boot, err
	}
	if _, err := l.ec2().StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{pool.ID}}); err != nil {
		return boot, fmt.Errorf("stopping the warm pool's %s in moto: %w", pool.ID, err)
	}
	return boot, nil
}

// takeFromPool has the group take pool out of its warm pool: started,
// attached, its launch action waiting again (Pending:Wait).
func (l *Lab) takeFromPool(ctx context.Context, pool Instance) error {
	group := l.Outputs["autoScalingGroupName"]
	if _, err := l.ec2().StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{pool.ID}}); err != nil {
		return fmt.Errorf("starting the warm pool's %s in moto: %w", pool.ID, err)
	}
	if _, err := l.autoscaling().AttachInstances(ctx, &autoscaling.AttachInstancesInput{
		AutoScalingGroupName: aws.String(group), InstanceIds: []string{pool.ID},
	}); err != nil {
		return fmt.Errorf("attaching the warm pool's %s to group %s in moto: %w", pool.ID, group, err)
	}
	l.Lifecycle.BeginLaunch(pool.ID)
	return nil
}
