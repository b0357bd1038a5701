package heallab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// Downtime: the outage a user sees, measured from outside. A Client asks
// the stack's address all along (downtime_client.go); the lab plays an
// event (DowntimeEvents) and the group's replacement of the instance, and
// MeasureDowntime turns the client's probes into the figures.
//
// AWS's own times (noticing, launching, booting, shutting down, the EBS
// detach) are waited out scaled by ModelledTimeScale and recorded as
// Phases, so that every reported figure is in real seconds at full
// modelled length (awstimes.go holds them all). The health check's
// interval, the stack's own setting, is waited out the same way.

// DowntimeEvent is one way the instance can stop serving.
type DowntimeEvent string

// The events the lab runs.
const (
	// EventTerminated: the instance is terminated.
	EventTerminated DowntimeEvent = "terminated"
	// EventAppDies: the application dies; the stack's app health check
	// marks the instance unhealthy.
	EventAppDies DowntimeEvent = "app-dies"
	// EventImpaired: the instance stops answering (its status checks
	// fail); Auto Scaling replaces it after ImpairmentNoticed.
	EventImpaired DowntimeEvent = "impaired"
	// EventRollout: a new launch template version, executed by the
	// group's instance refresh.
	EventRollout DowntimeEvent = "rollout"
	// EventRebalance: EC2 recommends rebalancing a Spot instance, the
	// recommendation arriving with the two-minute interruption notice (it
	// may come no earlier). With Capacity Rebalancing the group launches
	// the replacement first; without, the instance serves out the notice,
	// is interrupted, and then replaced. Played on the lab's stack as on
	// the same stack with spot on.
	EventRebalance DowntimeEvent = "rebalance"
)

// DowntimeEvents are the events every downtime run plays, in order.
func DowntimeEvents() []DowntimeEvent {
	return []DowntimeEvent{EventTerminated, EventAppDies, EventImpaired, EventRollout, EventRebalance}
}

// The ways the group replaces the instance, in DOWNTIME lines.
const (
	// WayOurs: as the component configures the group: launch first
	// (instance maintenance policy and refresh 100/200, Capacity
	// Rebalancing on) without a data volume, terminate first with one.
	WayOurs = "ours"
	// WayTerminateFirst: the same stack with every replacement terminate
	// first (0/100, no Capacity Rebalancing), played in the same run for
	// comparison.
	WayTerminateFirst = "terminate-first"
)

// recoveryWait bounds the wait for the client's first answer from the
// replacement.
const recoveryWait = time.Minute

// phaseRecorder records the modelled waits of one run.
type phaseRecorder struct {
	mu     sync.Mutex
	phases []Phase
}

// wait waits t.Scaled() and records it as t.
func (r *phaseRecorder) wait(ctx context.Context, t AWSTime) error {
	return r.waitFor(ctx, t.Name, t.Scaled(), t.Full)
}

// waitFor waits real, standing for full.
func (r *phaseRecorder) waitFor(ctx context.Context, name string, real, full time.Duration) error {
	start := time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(real):
	}
	r.mu.Lock()
	r.phases = append(r.phases, Phase{Name: name, Start: start, End: time.Now(), Full: full})
	r.mu.Unlock()
	return nil
}

func (r *phaseRecorder) all() []Phase {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Phase(nil), r.phases...)
}

// DowntimeRun plays events on a lab whose first instance is up, with a
// client asking all along.
type DowntimeRun struct {
	lab    *Lab
	client *Client
	phases phaseRecorder
	volume bool
	script Script
	// rollouts counts the rollouts, to name their launch templates.
	rollouts int
	// zoneLoss is where the last zone-lost event moved the instance.
	zoneLoss ZoneLoss
}

// StartDowntime boots the group's first instance with our script, starts
// the client and waits, bounded, until it has answers and an acknowledged
// write. Call Stop when done.
func (l *Lab) StartDowntime(ctx context.Context) (*DowntimeRun, error) {
	return l.StartDowntimeWith(ctx, Ours)
}

// StartDowntimeWith is StartDowntime with script as every instance's user
// data. The seed's is followed by the application's start (seedAppTail),
// as the seed runs no user script; deploy its lab with
// DowntimeSeedOverrides.
func (l *Lab) StartDowntimeWith(ctx context.Context, script Script) (*DowntimeRun, error) {
	l.mu.Lock()
	l.seedApp = script == Seed
	l.mu.Unlock()
	first, err := l.BootFirstWith(ctx, script)
	if err != nil {
		return nil, err
	}
	if !first.Healed {
		return nil, fmt.Errorf("the first boot did not heal:\n%s\n%s", first.CommandResult, first.Log)
	}
	run := &DowntimeRun{lab: l, client: l.StartClient(ctx), volume: first.Volume.Present, script: script}
	// Killed by the Auto Scaling model (health check), an instance dies
	// as under Kill, its volume held for EBSDetach, scaled.
	l.mu.Lock()
	l.downtimeKill = KillOptions{VolumeHeldFor: EBSDetach.Scaled()}
	l.mu.Unlock()
	if err := run.awaitAnswerFrom(ctx, first.Instance.ID, time.Now(), true); err != nil {
		run.Stop()
		return nil, err
	}
	return run, nil
}

// Stop stops the client.
func (r *DowntimeRun) Stop() { r.client.Stop() }

// Probes are every request the client made.
func (r *DowntimeRun) Probes() []Probe { return r.client.Probes() }

// awaitAnswerFrom waits, within recoveryWait, for an answer from id sent
// after since (and, if write, an acknowledged write from it).
func (r *DowntimeRun) awaitAnswerFrom(ctx context.Context, id string, since time.Time, write bool) error {
	deadline := time.Now().Add(recoveryWait)
	for {
		read, wrote := false, !write
		for _, p := range r.client.Probes() {
			if p.From == id && p.Sent.After(since) {
				read = true
				wrote = wrote || p.Write
			}
		}
		if read && wrote {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the client had no answer from %s within %v; DescribeAddresses failures: %d", id, recoveryWait, len(r.client.LookupErrors()))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(ClientInterval):
		}
	}
}

// Play plays event with the group's own way (WayOurs, or the seed's);
// see PlayWay.
func (r *DowntimeRun) Play(ctx context.Context, event DowntimeEvent) (Downtime, BootResult, error) {
	return r.PlayWay(ctx, event, r.Ways()[0])
}

// Ways are the ways the run plays each event, ours first: terminate
// first beside it when ours launches first; the seed's alone.
func (r *DowntimeRun) Ways() []string {
	switch {
	case r.script == Seed:
		return []string{string(Seed)}
	case r.lab.MaintenancePolicy() == emulator.LaunchFirst:
		return []string{WayOurs, WayTerminateFirst}
	}
	return []string{WayOurs}
}

// WaysOf are the ways event is played in: Ways, but one for the office
// hours, whose stop and start are the schedule's, not a replacement; and,
// with a data volume, terminate first beside ours for a planned
// replacement, which ours plays launch first with the hand-over
// (PlayHandover).
func (r *DowntimeRun) WaysOf(event DowntimeEvent) []string {
	switch {
	case event == EventOfficeHours:
		return r.Ways()[:1]
	case r.handsOver(event, WayOurs):
		return []string{WayOurs, WayTerminateFirst}
	}
	return r.Ways()
}

// handsOver reports whether event, in way, is a planned replacement the
// group makes launch first with the data volume's hand-over: a rollout
// (the refresh's preferences) or a Spot rebalance (Capacity Rebalancing),
// ours, with a data volume.
func (r *DowntimeRun) handsOver(event DowntimeEvent, way string) bool {
	return (event == EventRollout || event == EventRebalance) && r.volume && r.script != Seed && way == WayOurs
}

// replacementFor is how the group replaces the instance in way: for ours,
// the stack's instance maintenance policy, which the instance refresh's
// preferences repeat and Capacity Rebalancing follows
// (components/rollout.go).
func (r *DowntimeRun) replacementFor(way string) emulator.RefreshPreferences {
	if way == WayOurs {
		return r.lab.MaintenancePolicy()
	}
	return emulator.TerminateFirst
}

// PlayWay plays event and the group's replacement of the instance in way,
// waits until the client has an answer and a write from the replacement,
// and measures what the client saw. Downtime.OldGone is when the old
// instance's termination returned.
func (r *DowntimeRun) PlayWay(ctx context.Context, event DowntimeEvent, way string) (Downtime, BootResult, error) {
	l := r.lab
	if event == EventOfficeHours {
		return r.playOfficeHours(ctx)
	}
	if !slices.Contains(r.WaysOf(event), way) {
		return Downtime{}, BootResult{}, fmt.Errorf("this run plays %s %v, not %q", event, r.WaysOf(event), way)
	}
	if r.handsOver(event, way) {
		// The group's refresh, or Capacity Rebalancing, launches first,
		// and the old instance hands the volume over at its termination
		// hook. A new launch template is not made for a rollout: the
		// hand-over does not depend on one.
		d, res, err := r.PlayHandover(ctx, HandoverOptions{})
		if err != nil {
			return Downtime{}, res.Boot, fmt.Errorf("event %s (%s): %w", event, way, err)
		}
		d.Event, d.Way = string(event), way
		return d, res.Boot, nil
	}
	prefs := r.replacementFor(way)
	launchFirst := prefs == emulator.LaunchFirst
	l.mu.Lock()
	l.launchFirst = launchFirst
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.launchFirst = false
		l.mu.Unlock()
	}()
	old, err := l.OnlyInstance(ctx)
	if err != nil {
		return Downtime{}, BootResult{}, err
	}
	from := time.Now()
	var rep replaced
	switch event {
	case EventTerminated:
		// Nothing to launch first: the instance is gone.
		rep, err = r.terminateFirst(ctx, old, TerminationNoticed)
	case EventImpaired:
		if err = l.signalApp(old.ID, syscall.SIGSTOP); err == nil {
			if err = r.phases.wait(ctx, ImpairmentNoticed); err == nil {
				rep, err = r.replace(ctx, old, launchFirst)
			}
		}
	case EventAppDies:
		rep, err = r.appDies(ctx, old, launchFirst)
	case EventRollout:
		rep, err = r.rollout(ctx, old, prefs)
	case EventRebalance:
		rep, err = r.rebalance(ctx, old, launchFirst)
	case EventZoneLost:
		rep.inst, err = r.zoneLost(ctx, old)
		rep.oldGone = time.Now()
	default:
		err = fmt.Errorf("no downtime event is called %q", event)
	}
	if err != nil {
		return Downtime{}, rep.boot, fmt.Errorf("event %s (%s): %w", event, way, err)
	}
	if !rep.booted {
		if rep.boot, err = r.bootReplacement(ctx, rep.inst); err != nil {
			return Downtime{}, rep.boot, fmt.Errorf("event %s (%s): %w", event, way, err)
		}
	}
	if err := r.awaitAnswerFrom(ctx, rep.inst.ID, from, true); err != nil {
		return Downtime{}, rep.boot, fmt.Errorf("event %s (%s): %w", event, way, err)
	}
	to := time.Now()
	phases := append(r.phases.all(), r.client.Phases()...)
	d := MeasureDowntime(string(event), r.volume, way, r.client.Probes(), phases, from, to)
	d.OldGone, d.HolderWhenOldGoes = rep.oldGone, rep.holderAtEnd
	return d, rep.boot, nil
}

// replaced is how an event's replacement went: the new instance, its
// boot if it is booted already (launch first), and when the old instance's
// termination returned.
type replaced struct {
	inst    Instance
	boot    BootResult
	booted  bool
	oldGone time.Time
	// holderAtEnd is the Elastic IP's holder when the old instance's
	// termination began, launch first.
	holderAtEnd string
}

// bootReplacement waits out the launch and the OS boot, then boots inst
// with the run's script, and fails unless it healed; with the launch
// gate, its boot completed the gate with CONTINUE, when the group puts it
// InService.
func (r *DowntimeRun) bootReplacement(ctx context.Context, inst Instance) (BootResult, error) {
	for _, t := range []AWSTime{Launch, OSBoot} {
		if err := r.phases.wait(ctx, t); err != nil {
			return BootResult{}, err
		}
	}
	boot, err := r.lab.Boot(ctx, inst, BootOptions{Script: r.script})
	if err != nil {
		return boot, err
	}
	if !boot.Healed {
		return boot, fmt.Errorf("the replacement %s did not heal:\n%s\n%s", inst.ID, boot.CommandResult, boot.Log)
	}
	if gate := r.lab.Gate(inst.ID); gate != NoGate && !strings.Contains(gate, emulator.LifecycleContinue) {
		return boot, fmt.Errorf("the replacement %s healed, yet completed the launch gate with %q, not CONTINUE", inst.ID, gate)
	}
	return boot, nil
}

// terminateFirst terminates old as AWS does, waits out noticed, and
// returns the replacement the group launches, not yet booted.
func (r *DowntimeRun) terminateFirst(ctx context.Context, old Instance, noticed AWSTime) (replaced, error) {
	inst, err := r.lab.Kill(ctx, old.ID, KillOptions{VolumeHeldFor: EBSDetach.Scaled()})
	rep := replaced{inst: inst, oldGone: time.Now()}
	if err != nil {
		return rep, err
	}
	return rep, r.phases.wait(ctx, noticed)
}

// replace replaces old as the group does in a health-check replacement:
// launch first, or terminate first (noticed at once).
func (r *DowntimeRun) replace(ctx context.Context, old Instance, launchFirst bool) (replaced, error) {
	if launchFirst {
		return r.launchFirst(ctx, old)
	}
	return r.terminateFirst(ctx, old, TerminationNoticed)
}

// launchFirst replaces old launch first (emulator.ReplaceLaunchFirst): the
// group launches the replacement, which boots while old still serves,
// takes the address last and completes the launch gate; then old is
// terminated.
func (r *DowntimeRun) launchFirst(ctx context.Context, old Instance) (replaced, error) {
	var rep replaced
	step, err := emulator.ReplaceLaunchFirst(ctx, r.lab.admin, r.lab.Outputs["autoScalingGroupName"], old.ID, r.launchFirstHooks(&rep))
	rep.oldGone = step.Terminated
	return rep, err
}

// launchFirstHooks boot the new instance into rep, and terminate the old
// one as AWS does.
func (r *DowntimeRun) launchFirstHooks(rep *replaced) emulator.RefreshHooks {
	l := r.lab
	return emulator.RefreshHooks{
		// The lab's boot returns when the script ends, right after it
		// completed the launch gate.
		InService: func(ctx context.Context, id string) error {
			inst, err := l.groupInstance(ctx, id)
			if err != nil {
				return err
			}
			rep.inst = inst
			rep.boot, err = r.bootReplacement(ctx, inst)
			rep.booted = err == nil
			return err
		},
		Terminate: func(ctx context.Context, id string) error {
			holder, err := l.Holder(ctx)
			if err != nil {
				return err
			}
			rep.holderAtEnd = holder
			return l.terminate(ctx, id, KillOptions{VolumeHeldFor: EBSDetach.Scaled()})
		},
	}
}

// rebalance plays a rebalance recommendation that arrives with the
// two-minute interruption notice. With Capacity Rebalancing (launch
// first) the group replaces the instance launch first at once; without,
// it serves out the notice, EC2 interrupts it, and the group replaces it
// as an instance that is not running.
func (r *DowntimeRun) rebalance(ctx context.Context, old Instance, launchFirst bool) (replaced, error) {
	if launchFirst {
		return r.launchFirst(ctx, old)
	}
	if err := r.phases.wait(ctx, SpotInterruptionNotice); err != nil {
		return replaced{}, err
	}
	return r.terminateFirst(ctx, old, TerminationNoticed)
}

// Events returns the events the run can play: the seed's stack has no
// health check, so an application that dies there is never replaced.
func (r *DowntimeRun) Events() []DowntimeEvent {
	if r.script == Seed {
		return []DowntimeEvent{EventTerminated, EventImpaired, EventRollout, EventRebalance}
	}
	return append(DowntimeEvents(), r.scheduleAndZoneEvents()...)
}

// appDies kills the application and runs the stack's health check, tick by
// tick, one interval apart (waited scaled), until it reports the instance
// unhealthy; then the Auto Scaling model terminates it, or, launch first,
// leaves it to be replaced launch first.
func (r *DowntimeRun) appDies(ctx context.Context, old Instance, launchFirst bool) (replaced, error) {
	l := r.lab
	if err := l.signalApp(old.ID, syscall.SIGKILL); err != nil {
		return replaced{}, err
	}
	interval := AppHealthCheckInterval * time.Second
	for tick := 1; tick <= AppHealthCheckThreshold; tick++ {
		if err := r.phases.waitFor(ctx, "health-check-interval", time.Duration(float64(interval)*ModelledTimeScale), interval); err != nil {
			return replaced{}, err
		}
		if _, lines, err := l.HealthTick(ctx, old); err != nil {
			return replaced{}, fmt.Errorf("health check tick %d: %w (%q)", tick, err, lines)
		}
	}
	reports := l.Lifecycle.HealthReports(old.ID)
	if len(reports) != 1 || reports[0].LaunchFirst != launchFirst || reports[0].Terminated == launchFirst {
		return replaced{}, fmt.Errorf("after %d failed checks the health reports of %s are %v, want one that %s", AppHealthCheckThreshold, old.ID, reports,
			map[bool]string{true: "left it for a launch-first replacement", false: "terminated it"}[launchFirst])
	}
	// SetInstanceHealth Unhealthy: Auto Scaling replaces the instance at
	// once, so no noticing time.
	if launchFirst {
		return r.launchFirst(ctx, old)
	}
	inst, err := l.awaitReplacement(ctx, old.ID)
	return replaced{inst: inst, oldGone: reports[0].Time}, err
}

// rollout gives the group new launch settings, as `pulumi up` does after
// a change to the stack (a copy of its launch template, which stands in
// for a new version: see emulator.CopyLaunchTemplate), and executes the
// instance refresh with prefs: terminate first, the old instance shut
// down, then the launch; or launch first.
func (r *DowntimeRun) rollout(ctx context.Context, old Instance, prefs emulator.RefreshPreferences) (replaced, error) {
	l := r.lab
	r.rollouts++
	template, err := emulator.CopyLaunchTemplate(ctx, l.admin, old.launchTemplateID(l), old.LaunchTemplateVersion, fmt.Sprintf("%s-rollout-%d", l.Outputs["autoScalingGroupName"], r.rollouts))
	if err != nil {
		return replaced{}, err
	}
	group := l.Outputs["autoScalingGroupName"]
	if _, err := l.autoscaling().UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(group),
		LaunchTemplate:       &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(template), Version: aws.String("1")},
	}); err != nil {
		return replaced{}, fmt.Errorf("pointing group %s at launch template %s: %w", group, template, err)
	}
	var rep replaced
	hooks := r.launchFirstHooks(&rep)
	if prefs == emulator.TerminateFirst {
		// The refresh waits for the old instance to be terminated before
		// it launches the next.
		hooks.Terminate = func(ctx context.Context, id string) error {
			if err := l.terminate(ctx, id, KillOptions{VolumeHeldFor: EBSDetach.Scaled()}); err != nil {
				return err
			}
			return r.phases.wait(ctx, Shutdown)
		}
	}
	steps, err := emulator.RefreshInstances(ctx, l.admin, group, prefs, []string{old.ID}, hooks)
	if err != nil {
		return rep, err
	}
	if len(steps) != 1 || steps[0].Old != old.ID {
		return rep, fmt.Errorf("the instance refresh replaced %v, want %s", steps, old.ID)
	}
	rep.oldGone = steps[0].Terminated
	inst, err := l.OnlyInstance(ctx)
	if err != nil {
		return rep, err
	}
	if inst.ID != steps[0].New || inst.LaunchTemplateID != template {
		return rep, fmt.Errorf("after the refresh the group holds %s from launch template %q, want %s from %s", inst.ID, inst.LaunchTemplateID, steps[0].New, template)
	}
	rep.inst = inst
	return rep, nil
}

// launchTemplateID is the launch template inst was launched from: the
// stack's, unless a rollout changed it.
func (inst Instance) launchTemplateID(l *Lab) string {
	if inst.LaunchTemplateID != "" {
		return inst.LaunchTemplateID
	}
	return l.Outputs["launchTemplateId"]
}
