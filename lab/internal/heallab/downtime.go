package heallab

import (
	"context"
	"fmt"
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
)

// DowntimeEvents are the events every downtime run plays, in order.
func DowntimeEvents() []DowntimeEvent {
	return []DowntimeEvent{EventTerminated, EventAppDies, EventImpaired, EventRollout}
}

// WayOurs names today's replacement in DOWNTIME lines: the group's own,
// which terminates before it launches (the instance refresh's
// MinHealthyPercentage 0, MaxHealthyPercentage 100).
const WayOurs = "ours"

// refreshPreferences are the instance refresh preferences the component
// configures (components/rollout.go).
var refreshPreferences = emulator.RefreshPreferences{MinHealthyPercentage: 0, MaxHealthyPercentage: 100}

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

// Play plays event and the group's replacement of the instance, waits
// until the client has an answer and a write from the replacement, and
// measures what the client saw.
func (r *DowntimeRun) Play(ctx context.Context, event DowntimeEvent) (Downtime, BootResult, error) {
	l := r.lab
	if event == EventOfficeHours {
		return r.playOfficeHours(ctx)
	}
	old, err := l.OnlyInstance(ctx)
	if err != nil {
		return Downtime{}, BootResult{}, err
	}
	from := time.Now()
	var replacement Instance
	switch event {
	case EventTerminated:
		if replacement, err = l.Kill(ctx, old.ID, KillOptions{VolumeHeldFor: EBSDetach.Scaled()}); err == nil {
			err = r.phases.wait(ctx, TerminationNoticed)
		}
	case EventImpaired:
		if err = l.signalApp(old.ID, syscall.SIGSTOP); err == nil {
			if err = r.phases.wait(ctx, ImpairmentNoticed); err == nil {
				replacement, err = l.Kill(ctx, old.ID, KillOptions{VolumeHeldFor: EBSDetach.Scaled()})
			}
		}
	case EventAppDies:
		replacement, err = r.appDies(ctx, old)
	case EventRollout:
		replacement, err = r.rollout(ctx, old)
	case EventZoneLost:
		replacement, err = r.zoneLost(ctx, old)
	default:
		err = fmt.Errorf("no downtime event is called %q", event)
	}
	if err != nil {
		return Downtime{}, BootResult{}, fmt.Errorf("event %s: %w", event, err)
	}
	for _, t := range []AWSTime{Launch, OSBoot} {
		if err := r.phases.wait(ctx, t); err != nil {
			return Downtime{}, BootResult{}, err
		}
	}
	boot, err := l.Boot(ctx, replacement, BootOptions{Script: r.script})
	if err != nil {
		return Downtime{}, boot, fmt.Errorf("event %s: %w", event, err)
	}
	if !boot.Healed {
		return Downtime{}, boot, fmt.Errorf("event %s: the replacement %s did not heal:\n%s\n%s", event, replacement.ID, boot.CommandResult, boot.Log)
	}
	if err := r.awaitAnswerFrom(ctx, replacement.ID, from, true); err != nil {
		return Downtime{}, boot, fmt.Errorf("event %s: %w", event, err)
	}
	to := time.Now()
	phases := append(r.phases.all(), r.client.Phases()...)
	return MeasureDowntime(string(event), r.volume, r.way(), r.client.Probes(), phases, from, to), boot, nil
}

// way names how the instance was replaced, for DOWNTIME lines: the
// group's own way (WayOurs) with our script, "seed" with the seed's.
func (r *DowntimeRun) way() string {
	if r.script == Seed {
		return string(Seed)
	}
	return WayOurs
}

// Events returns the events the run can play: the seed's stack has no
// health check, so an application that dies there is never replaced.
func (r *DowntimeRun) Events() []DowntimeEvent {
	if r.script == Seed {
		return []DowntimeEvent{EventTerminated, EventImpaired, EventRollout}
	}
	return append(DowntimeEvents(), r.scheduleAndZoneEvents()...)
}

// appDies kills the application and runs the stack's health check, tick by
// tick, one interval apart (waited scaled), until it reports the instance
// unhealthy and the Auto Scaling model terminates it.
func (r *DowntimeRun) appDies(ctx context.Context, old Instance) (Instance, error) {
	l := r.lab
	if err := l.signalApp(old.ID, syscall.SIGKILL); err != nil {
		return Instance{}, err
	}
	interval := AppHealthCheckInterval * time.Second
	for tick := 1; tick <= AppHealthCheckThreshold; tick++ {
		if err := r.phases.waitFor(ctx, "health-check-interval", time.Duration(float64(interval)*ModelledTimeScale), interval); err != nil {
			return Instance{}, err
		}
		if _, lines, err := l.HealthTick(ctx, old); err != nil {
			return Instance{}, fmt.Errorf("health check tick %d: %w (%q)", tick, err, lines)
		}
	}
	if reports := l.Lifecycle.HealthReports(old.ID); len(reports) != 1 || !reports[0].Terminated {
		return Instance{}, fmt.Errorf("after %d failed checks the health reports of %s are %v, want one that terminated it", AppHealthCheckThreshold, old.ID, reports)
	}
	// SetInstanceHealth Unhealthy: Auto Scaling replaces the instance at
	// once, so no noticing time.
	return l.awaitReplacement(ctx, old.ID)
}

// rollout gives the group new launch settings, as `pulumi up` does after
// a change to the stack (a copy of its launch template, which stands in
// for a new version: see emulator.CopyLaunchTemplate), and executes the
// instance refresh the component configures: terminate first, the old
// instance shut down, then the launch.
func (r *DowntimeRun) rollout(ctx context.Context, old Instance) (Instance, error) {
	l := r.lab
	r.rollouts++
	template, err := emulator.CopyLaunchTemplate(ctx, l.admin, old.launchTemplateID(l), old.LaunchTemplateVersion, fmt.Sprintf("%s-rollout-%d", l.Outputs["autoScalingGroupName"], r.rollouts))
	if err != nil {
		return Instance{}, err
	}
	group := l.Outputs["autoScalingGroupName"]
	if _, err := l.autoscaling().UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(group),
		LaunchTemplate:       &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(template), Version: aws.String("1")},
	}); err != nil {
		return Instance{}, fmt.Errorf("pointing group %s at launch template %s: %w", group, template, err)
	}
	steps, err := emulator.RefreshInstances(ctx, l.admin, group, refreshPreferences, []string{old.ID}, func(ctx context.Context, id string) error {
		if err := l.terminate(ctx, id, KillOptions{VolumeHeldFor: EBSDetach.Scaled()}); err != nil {
			return err
		}
		return r.phases.wait(ctx, Shutdown)
	})
	if err != nil {
		return Instance{}, err
	}
	if len(steps) != 1 || steps[0].Old != old.ID {
		return Instance{}, fmt.Errorf("the instance refresh replaced %v, want %s", steps, old.ID)
	}
	inst, err := l.OnlyInstance(ctx)
	if err != nil {
		return Instance{}, err
	}
	if inst.ID != steps[0].New || inst.LaunchTemplateID != template {
		return Instance{}, fmt.Errorf("after the refresh the group holds %s from launch template %q, want %s from %s", inst.ID, inst.LaunchTemplateID, steps[0].New, template)
	}
	return inst, nil
}

// launchTemplateID is the launch template inst was launched from: the
// stack's, unless a rollout changed it.
func (inst Instance) launchTemplateID(l *Lab) string {
	if inst.LaunchTemplateID != "" {
		return inst.LaunchTemplateID
	}
	return l.Outputs["launchTemplateId"]
}
