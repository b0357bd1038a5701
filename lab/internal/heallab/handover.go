package heallab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The hand-over of the data volume at a planned replacement: the group
// launches the new instance while the old one serves (launch first,
// 100/200), the new one completes its launch gate once it finds the volume
// on an instance in service, the group then terminates the old one through
// its termination hook, where the old one's boot script stops the
// application, unmounts and detaches the volume, and completes the hook;
// the new one attaches the volume, mounts it, starts the application and
// takes the address. moto runs no lifecycle hooks and no launch-first
// refresh, so the lab plays the group's part (PlayHandover), and the Auto
// Scaling model takes the hook's calls.

// HandoverDetach is how long EBS takes to detach a volume its instance has
// unmounted, after DetachVolume: the lab's EBS model keeps it detaching
// that long (scaled). AWS documents no figure.
var HandoverDetach = AWSTime{Name: "ebs-detach-unmounted", Full: 5 * time.Second, Source: ebsDetachDoc, Assumption: true}

// HandoverHookTimeout is the termination hook's heartbeat timeout for the
// component's default stop timeout: the most the group waits for an
// instance to hand over before it terminates it anyway.
var HandoverHookTimeout = AWSTime{Name: "handover-hook-timeout",
	Full:   time.Duration(userdata.HandoverHookTimeoutSeconds(components.DefaultStopTimeoutSeconds)) * time.Second,
	Source: "https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html"}

// handoverHookTimeoutFloor is the least the lab waits for the hook: the
// hand-over's own steps run in real time, unscaled, and take seconds here
// (each AWS CLI call about one), so a scaled timeout would cut short a
// hand-over that AWS's would have waited for.
const handoverHookTimeoutFloor = 30 * time.Second

// HandoverStopScript stops the downtime application, as a user's
// dataVolume.stopScript would stop theirs: it ends the server and waits
// until it has exited, so that nothing holds the volume. It first sleeps
// as many seconds as StopDelayFile says, if the lab wrote one
// (SlowStop): an application slow to stop.
const HandoverStopScript = "if [[ -e " + KeepOpenFile + " ]]; then (cd " + AppVolumeMount + " && exec sleep 3600) & exit 0; fi\n" +
	"if [[ -s " + StopDelayFile + " ]]; then sleep \"$(cat " + StopDelayFile + ")\"; fi\n" +
	"pid=$(cat " + AppPidFile + ")\nkill \"$pid\"\nwhile kill -0 \"$pid\" 2>/dev/null; do sleep 0.1; done\n"

// KeepOpenFile, when it exists on the instance (KeepVolumeOpen), makes
// HandoverStopScript leave the application running and a process in the
// volume: the unmount then fails, as it does for an application that keeps
// files open and no stop script.
const KeepOpenFile = "/run/lab-keep-open"

// KeepVolumeOpen makes HandoverStopScript on inst keep the volume in use.
func (l *Lab) KeepVolumeOpen(inst Instance) error {
	root, err := l.instanceRoot(inst)
	if err != nil {
		return err
	}
	return os.WriteFile(root.Path(KeepOpenFile), nil, 0o644)
}

// StopDelayFile is where SlowStop has HandoverStopScript read its delay,
// on the instance.
const StopDelayFile = "/run/lab-stop-seconds"

// SlowStop makes HandoverStopScript on inst sleep seconds before it stops
// the application.
func (l *Lab) SlowStop(inst Instance, seconds int) error {
	root, err := l.instanceRoot(inst)
	if err != nil {
		return err
	}
	return os.WriteFile(root.Path(StopDelayFile), []byte(strconv.Itoa(seconds)), 0o644)
}

// HandoverOverrides deploy the dev stack for a downtime run with its data
// volume, the application's stop as dataVolume.stopScript (none if
// stopScript is ""), and the launch gate.
func HandoverOverrides(stopScript string) map[string]string {
	o := DowntimeOverrides(true)
	v := fmt.Sprintf(`{"sizeGiB": 8, "mountPath": %q`, AppVolumeMount)
	if stopScript != "" {
		v += fmt.Sprintf(`, "stopScript": %q`, stopScript)
	}
	o["selfhealing:dataVolume"] = v + "}"
	o["selfhealing:launchGate"] = "true"
	return o
}

// HandoverOptions shape one planned replacement.
type HandoverOptions struct {
	// OldNeverLetsGo plays an old instance that never runs its hand-over
	// (impaired, say): the hook's timeout ends the wait.
	OldNeverLetsGo bool
	// BeforeNewBoots, if set, runs once the new instance is launched and
	// before it boots: a test arranges faults for it there.
	BeforeNewBoots func(newInstance Instance)
	// NewFails reports that the new instance's boot is meant to fail: the
	// lab then waits for the group to replace it, and boots the next.
	NewFails bool
	// InterruptAfter, if positive, terminates the old instance this long
	// after its hand-over began, whatever it is doing then, as a second
	// event (a Spot interruption, a termination by hand) would.
	InterruptAfter time.Duration
}

// HandoverResult is what one planned replacement did.
type HandoverResult struct {
	Old, New Instance
	// Boot is the boot of the instance that serves at the end; FailedBoot
	// that of the new instance that failed, with NewFails.
	Boot, FailedBoot BootResult
	// Handover is what the old instance's hand-over printed; HookResult
	// how its termination hook ended: CONTINUE or ABANDON as the old
	// instance sent it, "timeout", or "interrupted" (InterruptAfter).
	Handover   emulator.CommandResult
	HookResult string
	// OldTerminated is when the lab terminated the old instance.
	OldTerminated time.Time
}

// hasHandoverHook reports whether the deployed group has the hand-over's
// termination hook.
func (l *Lab) hasHandoverHook(ctx context.Context) (bool, error) {
	out, err := l.autoscaling().DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{
		AutoScalingGroupName: aws.String(l.Outputs["autoScalingGroupName"]),
	})
	if err != nil {
		return false, fmt.Errorf("describing the group's lifecycle hooks: %w", err)
	}
	for _, hook := range out.LifecycleHooks {
		if aws.ToString(hook.LifecycleHookName) == components.HandoverHookName {
			return true, nil
		}
	}
	return false, nil
}

// PlayHandover plays a planned replacement of the group's one instance with
// a data volume, as the group runs it with launch-first preferences and the
// hand-over's termination hook, the client asking all along, and measures
// what the client saw.
func (r *DowntimeRun) PlayHandover(ctx context.Context, opts HandoverOptions) (Downtime, HandoverResult, error) {
	l := r.lab
	var res HandoverResult
	if hook, err := l.hasHandoverHook(ctx); err != nil || !hook {
		return Downtime{}, res, errors.Join(err, fmt.Errorf("the group has no %s hook", components.HandoverHookName))
	}
	old, err := l.OnlyInstance(ctx)
	if err != nil {
		return Downtime{}, res, err
	}
	res.Old = old
	l.ebs.CleanDetachDelay = HandoverDetach.Scaled()
	from := time.Now()

	// Launch first: the group holds two instances for the while.
	newInst, err := l.launchBeside(ctx, old.ID)
	if err != nil {
		return Downtime{}, res, err
	}
	res.New = newInst
	for _, t := range []AWSTime{Launch, OSBoot} {
		if err := r.phases.wait(ctx, t); err != nil {
			return Downtime{}, res, err
		}
	}
	if opts.BeforeNewBoots != nil {
		opts.BeforeNewBoots(newInst)
	}
	bootDone := make(chan booted, 1)
	go func() {
		b, err := l.Boot(ctx, newInst, BootOptions{Script: r.script})
		bootDone <- booted{b, err}
	}()

	// The group terminates the old instance once the new one is in
	// service: with the launch gate, when it completes the gate.
	early, err := r.awaitGateContinue(ctx, newInst.ID, bootDone)
	if err != nil {
		return Downtime{}, res, err
	}
	handover := make(chan error, 1)
	go func() { handover <- r.terminateThroughHook(ctx, old.ID, opts, &res) }()

	var b booted
	if early != nil {
		b = *early
	} else {
		b = <-bootDone
	}
	if err := <-handover; err != nil {
		return Downtime{}, res, err
	}
	if b.err != nil {
		return Downtime{}, res, fmt.Errorf("booting %s: %w", newInst.ID, b.err)
	}
	serving := newInst
	if opts.NewFails {
		if b.res.Healed {
			return Downtime{}, res, fmt.Errorf("the new instance %s healed, but the test meant it to fail", newInst.ID)
		}
		res.FailedBoot = b.res
		// It marked itself Unhealthy; the Auto Scaling model terminated
		// it, and the group launches the next one.
		if serving, err = l.awaitReplacement(ctx, newInst.ID); err != nil {
			return Downtime{}, res, err
		}
		for _, t := range []AWSTime{Launch, OSBoot} {
			if err := r.phases.wait(ctx, t); err != nil {
				return Downtime{}, res, err
			}
		}
		if b.res, err = l.Boot(ctx, serving, BootOptions{Script: r.script}); err != nil {
			return Downtime{}, res, err
		}
	}
	res.Boot = b.res
	if !b.res.Healed {
		return Downtime{}, res, fmt.Errorf("the instance %s did not heal:\n%s\n%s", serving.ID, b.res.CommandResult, b.res.Log)
	}
	if err := r.awaitAnswerFrom(ctx, serving.ID, from, true); err != nil {
		return Downtime{}, res, err
	}
	phases := append(r.phases.all(), r.client.Phases()...)
	phases = append(phases, r.detachPhases(from)...)
	return MeasureDowntime("planned-handover", true, "handover", r.client.Probes(), phases, from, time.Now()), res, nil
}

// booted is how a boot in the background ended.
type booted struct {
	res BootResult
	err error
}

// launchBeside has the group launch a second instance while old serves,
// as a launch-first refresh does, and returns it.
func (l *Lab) launchBeside(ctx context.Context, old string) (Instance, error) {
	group := l.Outputs["autoScalingGroupName"]
	if _, err := l.autoscaling().UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(group), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(2),
	}); err != nil {
		return Instance{}, fmt.Errorf("launching beside %s: %w", old, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		instances, err := l.GroupInstances(ctx)
		if err != nil {
			return Instance{}, err
		}
		for _, inst := range instances {
			if inst.ID != old && len(instances) == 2 {
				return inst, nil
			}
		}
		if time.Now().After(deadline) {
			return Instance{}, fmt.Errorf("the group did not launch a second instance beside %s: it holds %v", old, instances)
		}
		select {
		case <-ctx.Done():
			return Instance{}, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// awaitGateContinue waits until the new instance completes its launch gate
// with CONTINUE, as it does once it finds the volume on an instance in
// service. If its boot ends first, it returns that boot; a stack without
// the launch gate puts the instance in service at once.
func (r *DowntimeRun) awaitGateContinue(ctx context.Context, id string, bootDone <-chan booted) (*booted, error) {
	if gate, err := r.lab.hasLaunchGate(); err != nil || !gate {
		return nil, err
	}
	for {
		for _, c := range r.lab.Lifecycle.Completions(id) {
			if c.Hook == components.LaunchGateHookName && c.Result == emulator.LifecycleContinue {
				return nil, nil
			}
		}
		select {
		case b := <-bootDone:
			return &b, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// terminateThroughHook terminates instance id as the group does with the
// hand-over's termination hook: the instance's target lifecycle state
// turns Terminated and its watcher hands over (the lab runs what the
// watcher then runs, `boot --handover`, on the instance), and the group
// terminates it when the hook is completed or its timeout, scaled, runs
// out. Then the instance goes as Kill ends it, its address with it, and
// its volume, if still attached, held for EBSDetach.
func (r *DowntimeRun) terminateThroughHook(ctx context.Context, id string, opts HandoverOptions, res *HandoverResult) error {
	l, neverLetsGo := r.lab, opts.OldNeverLetsGo
	live, ok := l.liveInstance(id)
	if !ok {
		return fmt.Errorf("instance %s is not running in this lab", id)
	}
	done := l.Lifecycle.BeginTermination(id, components.HandoverHookName)
	defer l.Lifecycle.EndTermination(id)
	ran := make(chan emulator.CommandResult, 1)
	// The hand-over ends with the instance, as on EC2.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	if !neverLetsGo {
		go func() {
			out, err := live.Run(runCtx, userdata.InstalledBootScript+" --handover")
			if err != nil {
				out.Stderr += "\nharness: " + err.Error()
			}
			ran <- out
		}()
	}
	start := time.Now()
	var interrupt <-chan time.Time
	if opts.InterruptAfter > 0 {
		interrupt = time.After(opts.InterruptAfter)
	}
	select {
	case res.HookResult = <-done:
	case <-interrupt:
		res.HookResult = "interrupted"
	case <-time.After(max(HandoverHookTimeout.Scaled(), handoverHookTimeoutFloor)):
		res.HookResult = "timeout"
		r.phases.mu.Lock()
		r.phases.phases = append(r.phases.phases, Phase{Name: HandoverHookTimeout.Name, Start: start, End: time.Now(), Full: HandoverHookTimeout.Full})
		r.phases.mu.Unlock()
	case <-ctx.Done():
		return ctx.Err()
	}
	hadVolume, err := l.volumeAttachedTo(ctx, id)
	if err != nil {
		return err
	}
	// Out of the group, and its place with it: back to a group of one.
	group := l.Outputs["autoScalingGroupName"]
	if _, err := l.autoscaling().TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true),
	}); err != nil {
		return fmt.Errorf("terminating %s in its group: %w", id, err)
	}
	if _, err := l.autoscaling().UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(group), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1),
	}); err != nil {
		return fmt.Errorf("back to a group of one: %w", err)
	}
	if err := emulator.TerminateInstanceWith(ctx, l.admin, id, emulator.TerminateOptions{}); err != nil {
		return err
	}
	l.recordTermination(id)
	res.OldTerminated = time.Now()
	stop()
	killNamespace(live.Pid())
	if err := l.stopInstance(id); err != nil {
		return err
	}
	l.holdAfterKill(id, hadVolume, EBSDetach.Scaled())
	if hadVolume {
		// The volume stays with the terminated instance for EBSDetach.
		now := time.Now()
		r.phases.mu.Lock()
		r.phases.phases = append(r.phases.phases, Phase{Name: EBSDetach.Name, Start: now, End: now.Add(EBSDetach.Scaled()), Full: EBSDetach.Full})
		r.phases.mu.Unlock()
	}
	if !neverLetsGo {
		res.Handover = <-ran
	}
	return nil
}

// detachPhases are the scaled clean detaches the EBS model played since
// from, as modelled phases.
func (r *DowntimeRun) detachPhases(from time.Time) []Phase {
	var out []Phase
	for _, e := range r.lab.ebs.History() {
		if e.Kind == "detach" && !e.Forced && e.Time.After(from) {
			out = append(out, Phase{Name: HandoverDetach.Name, Start: e.Time, End: e.Time.Add(HandoverDetach.Scaled()), Full: HandoverDetach.Full})
		}
	}
	return out
}

// VolumeHistory is the EBS model's history of the data volume's
// attachments and detachments.
func (l *Lab) VolumeHistory() []emulator.VolumeEvent {
	if l.volume == nil {
		return nil
	}
	var out []emulator.VolumeEvent
	for _, e := range l.ebs.History() {
		if e.Volume == l.volume.ID {
			out = append(out, e)
		}
	}
	return out
}

// TwoHolders returns, from the volume's history and the instances' ends,
// every attachment of the volume to an instance while another still held
// it: the earlier holder neither detached it nor was terminated before.
// terminated maps instance ids to when the lab terminated them.
func TwoHolders(history []emulator.VolumeEvent, terminated map[string]time.Time) []string {
	var problems []string
	holder := ""
	for _, e := range history {
		switch e.Kind {
		case "attach":
			if holder != "" && holder != e.Instance {
				at, gone := terminated[holder]
				if !gone || at.After(e.Time) {
					problems = append(problems, fmt.Sprintf("%s attached to %s at %s while %s held it", e.Volume, e.Instance, e.Time.Format("15:04:05.000"), holder))
				}
			}
			holder = e.Instance
		case "detach":
			if e.Instance == holder {
				holder = ""
			}
		}
	}
	return problems
}

// handoverLogLines returns the lines of out that the hand-over logged.
func handoverLogLines(out emulator.CommandResult) string {
	var lines []string
	for _, line := range strings.Split(out.Stderr, "\n") {
		if strings.Contains(line, "hand-over") || strings.Contains(line, "FAILED") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// HandoverLog is what the old instance's hand-over logged.
func (res HandoverResult) HandoverLog() string { return handoverLogLines(res.Handover) }

// killNamespace kills every process in the mount namespace of pid but pid
// itself, as terminating an instance ends everything on it: processes the
// lab started on the instance with LiveInstance.Run (nsenter) are not the
// namespace's children, and would otherwise keep its mounts alive.
func killNamespace(pid int) {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err != nil {
		return
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		other, err := strconv.Atoi(e.Name())
		if err != nil || other == pid {
			continue
		}
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", other)); err == nil && link == ns {
			_ = syscall.Kill(other, syscall.SIGKILL)
		}
	}
}
