package heallab

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
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

// warmedStopped and warmedRunning are what the metadata of an instance
// launched into a warm pool of stopped, or running, instances says at
// autoscaling/target-lifecycle-state.
const (
	warmedStopped = "Warmed:Stopped"
	warmedRunning = "Warmed:Running"
)

// WarmPoolOverrides are DowntimeOverrides(volume) with the warm pool, its
// instances kept in state (warmPoolState: "Stopped", or "Running"; "" for
// the default, Stopped).
func WarmPoolOverrides(volume bool, state string) map[string]string {
	o := DowntimeOverrides(volume)
	o["selfhealing:warmPool"] = "true"
	if state != "" {
		o["selfhealing:warmPoolState"] = state
	}
	return o
}

// WarmPoolEvent is the name of event played with the warm pool whose
// instances are kept in state, in DOWNTIME lines: terminated-warm-pool,
// terminated-warm-pool-running.
func WarmPoolEvent(event DowntimeEvent, state asgtypes.WarmPoolState) string {
	if state == asgtypes.WarmPoolStateRunning {
		return string(event) + "-warm-pool-running"
	}
	return string(event) + "-warm-pool"
}

// WarmPoolEvents are the events PlayWarmPool plays.
func WarmPoolEvents() []DowntimeEvent { return []DowntimeEvent{EventTerminated} }

// WarmPoolResult is what the pool's instance did: its boot into the pool,
// and its boot into service.
type WarmPoolResult struct {
	Pool, Boot BootResult
}

// PlayWarmPool plays event on a stack with a warm pool: the pool's
// instance boots into the pool first, outside the measured window; then
// the event, and the group takes the pooled instance into service:
// started, its boot script run by its unit, or, kept running, by the
// watcher its boot in the pool started. It returns the measurement, event
// named WarmPoolEvent, way ours.
func (r *DowntimeRun) PlayWarmPool(ctx context.Context, event DowntimeEvent) (Downtime, WarmPoolResult, error) {
	l := r.lab
	var res WarmPoolResult
	state, err := l.warmPoolState(ctx)
	name := WarmPoolEvent(event, state)
	fail := func(err error) (Downtime, WarmPoolResult, error) {
		return Downtime{}, res, fmt.Errorf("event %s: %w", name, err)
	}
	if err != nil {
		return fail(err)
	}
	if event != EventTerminated {
		return fail(fmt.Errorf("the lab plays the warm pool for %v only", WarmPoolEvents()))
	}
	old, err := l.OnlyInstance(ctx)
	if err != nil {
		return fail(err)
	}
	pool, err := l.launchIntoPool(ctx, old)
	if err != nil {
		return fail(err)
	}
	running := state == asgtypes.WarmPoolStateRunning
	if res.Pool, err = r.bootIntoPool(ctx, pool, running); err != nil {
		return fail(err)
	}
	var watched <-chan watchedBoot
	if running {
		// The watcher's unit starts it at once; the lab has no systemd.
		if watched, err = l.startWarmWatch(ctx, pool); err != nil {
			return fail(err)
		}
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
	if running && r.volume {
		// Nothing else to wait for: the dead instance's volume, which the
		// lab frees after EBSDetach scaled, is what the boot waits for,
		// counted at its full length. (A started instance's start and
		// boot outlast it.)
		if err := r.phases.wait(ctx, EBSDetach); err != nil {
			return fail(err)
		}
	}
	if err := l.takeFromPool(ctx, pool, running); err != nil {
		return fail(err)
	}
	if running {
		res.Boot, err = l.awaitWatchedBoot(ctx, pool, watched)
	} else {
		res.Boot, err = r.startFromPool(ctx, pool)
	}
	if err != nil {
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
	d := MeasureDowntime(name, r.volume, WayOurs, r.client.Probes(), phases, from, to)
	d.OldGone = oldGone
	return d, res, nil
}

// warmPoolState returns the state the group's warm pool keeps its
// instances in, and fails unless the group has a warm pool as the stack
// makes it: Stopped or Running, at least one instance
// (components/rollout.go).
func (l *Lab) warmPoolState(ctx context.Context) (asgtypes.WarmPoolState, error) {
	group := l.Outputs["autoScalingGroupName"]
	out, err := l.autoscaling().DescribeWarmPool(ctx, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		return "", fmt.Errorf("describing the warm pool of group %s: %w", group, err)
	}
	c := out.WarmPoolConfiguration
	if c == nil || (c.PoolState != asgtypes.WarmPoolStateStopped && c.PoolState != asgtypes.WarmPoolStateRunning) || aws.ToInt32(c.MinSize) != 1 {
		return "", fmt.Errorf("group %s has the warm pool %+v, want the stack's: Stopped or Running, MinSize 1", group, c)
	}
	return c.PoolState, nil
}

// startFromPool waits out the start and the OS boot, then starts pool
// again from its disk, as its unit runs the boot script.
func (r *DowntimeRun) startFromPool(ctx context.Context, pool Instance) (BootResult, error) {
	for _, t := range []AWSTime{WarmPoolStart, OSBoot} {
		if err := r.phases.wait(ctx, t); err != nil {
			return BootResult{}, err
		}
	}
	return r.lab.Boot(ctx, pool, BootOptions{Script: r.script, Start: true})
}

// watchedBoot is the run of the boot script the watcher started.
type watchedBoot struct {
	res        emulator.CommandResult
	start      time.Time
	mkfsBefore int
	err        error
}

// startWarmWatch runs, on the running pool instance, what the watcher's
// unit runs, as systemd runs it, and returns where its end is reported.
func (l *Lab) startWarmWatch(ctx context.Context, pool Instance) (<-chan watchedBoot, error) {
	live, ok := l.liveInstance(pool.ID)
	if !ok {
		return nil, fmt.Errorf("the warm pool's %s is not running", pool.ID)
	}
	start, mkfsBefore := time.Now(), l.MkfsCalls()
	exited, err := live.Service("exec " + userdata.InstalledBootScript + " --warm-watch")
	if err != nil {
		return nil, fmt.Errorf("starting the warm pool watcher on %s: %w", pool.ID, err)
	}
	done := make(chan watchedBoot, 1)
	go func() {
		select {
		case res := <-exited:
			done <- watchedBoot{res: res, start: start, mkfsBefore: mkfsBefore}
		case <-ctx.Done():
			done <- watchedBoot{err: ctx.Err()}
		}
	}()
	return done, nil
}

// awaitWatchedBoot waits, bounded, for the watcher to have run the boot
// script, and says what it did, as Boot does.
func (l *Lab) awaitWatchedBoot(ctx context.Context, pool Instance, watched <-chan watchedBoot) (BootResult, error) {
	var w watchedBoot
	select {
	case w = <-watched:
	case <-time.After(recoveryWait):
		return BootResult{}, fmt.Errorf("the warm pool watcher on %s ran no boot within %v", pool.ID, recoveryWait)
	case <-ctx.Done():
		return BootResult{}, ctx.Err()
	}
	if w.err != nil {
		return BootResult{}, fmt.Errorf("the warm pool watcher on %s: %w", pool.ID, w.err)
	}
	live, ok := l.liveInstance(pool.ID)
	if !ok {
		return BootResult{}, fmt.Errorf("the warm pool's %s is not running", pool.ID)
	}
	r := BootResult{Instance: pool, Script: Ours, CommandResult: w.res, Ready: -1, Associated: -1}
	r.Log = live.Root.ReadFile(userdata.LogFile)
	r.Status = strings.TrimSpace(live.Root.ReadFile(userdata.StatusFile))
	r.UserScriptRan = fileExists(live.Root.Path(InstanceMarker))
	holder, err := l.Holder(ctx)
	if err != nil {
		return r, err
	}
	if r.Volume, err = l.probeVolume(ctx, live, r.Log, w.mkfsBefore, w.start); err != nil {
		return r, fmt.Errorf("after the watched boot of %s: %w", pool.ID, err)
	}
	r.HoldsAddress = holder == pool.ID
	r.Healed = w.res.ExitCode == 0 && r.HoldsAddress && r.Volume.Intact()
	if gate := l.Gate(pool.ID); r.Healed && gate != NoGate && gate != "CONTINUE,CONTINUE" {
		return r, fmt.Errorf("the watched boot of %s healed, yet the launch gate's completions are %q, want CONTINUE into the pool and out of it", pool.ID, gate)
	}
	return r, nil
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

// bootIntoPool boots pool with its metadata saying Warmed:Stopped (or
// Warmed:Running), its launch action waiting as the group's launch hook
// holds an instance entering the warm pool, and fails unless the boot
// took nothing and completed the gate with CONTINUE; then, unless the
// pool keeps it running, stops it, as the group does.
func (r *DowntimeRun) bootIntoPool(ctx context.Context, pool Instance, running bool) (BootResult, error) {
	l := r.lab
	l.Lifecycle.EnterWarmPool(pool.ID)
	state := warmedStopped
	if running {
		state = warmedRunning
	}
	boot, err := l.Boot(ctx, pool, BootOptions{Script: r.script, LifecycleState: state})
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
	if running {
		return boot, nil
	}
	if err := l.stopInstance(pool.ID); err != nil {
		return boot, err
	}
	if _, err := l.ec2().StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{pool.ID}}); err != nil {
		return boot, fmt.Errorf("stopping the warm pool's %s in moto: %w", pool.ID, err)
	}
	return boot, nil
}

// takeFromPool has the group take pool out of its warm pool: started
// (unless running), attached, its launch action waiting again
// (Pending:Wait); a running one's metadata now says InService.
func (l *Lab) takeFromPool(ctx context.Context, pool Instance, running bool) error {
	group := l.Outputs["autoScalingGroupName"]
	if !running {
		if _, err := l.ec2().StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{pool.ID}}); err != nil {
			return fmt.Errorf("starting the warm pool's %s in moto: %w", pool.ID, err)
		}
	}
	if _, err := l.autoscaling().AttachInstances(ctx, &autoscaling.AttachInstancesInput{
		AutoScalingGroupName: aws.String(group), InstanceIds: []string{pool.ID},
	}); err != nil {
		return fmt.Errorf("attaching the warm pool's %s to group %s in moto: %w", pool.ID, group, err)
	}
	l.Lifecycle.BeginLaunch(pool.ID)
	if running {
		return l.setLifecycleState(pool.ID, emulator.LifecycleInService)
	}
	return nil
}
