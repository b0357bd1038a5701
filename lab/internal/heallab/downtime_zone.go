package heallab

import (
	"context"
	"fmt"
	"syscall"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// A zone going away, for a stack without a data volume, whose group uses
// every default subnet and so spans the region's zones. The lab models the
// instance in the lost zone as impaired (it stops answering, its status
// checks fail) and replaced after ImpairmentNoticed, as for EventImpaired;
// the replacement must launch elsewhere: moto launches it into the group's
// first subnet, the lost zone's, and the lab's Auto Scaling side refuses
// that launch, as AWS would, so the group tries another zone
// (emulator.ReplaceOutsideZone). A stack with a data volume has no such
// row: its group runs only in the volume's zone, the one lost, and cannot
// launch until the zone returns.

// EventZoneLost: the instance's Availability Zone goes away.
const EventZoneLost DowntimeEvent = "zone-lost"

// ZoneLoss is where the zone-lost event moved the instance.
type ZoneLoss struct {
	// Lost is the zone that went away, Replacement the zone the
	// replacement serves from.
	Lost, Replacement string
	// FailedLaunches are the launches into the lost zone the lab refused.
	FailedLaunches []string
}

// zoneLost freezes old's application, waits ImpairmentNoticed, terminates
// it, and returns its replacement from another zone.
func (r *DowntimeRun) zoneLost(ctx context.Context, old Instance) (Instance, error) {
	l := r.lab
	if r.volume {
		return Instance{}, fmt.Errorf("the stack has a data volume, in %s: its group cannot leave that zone, so a lost zone has no replacement to measure", old.AvailabilityZone)
	}
	group := l.Outputs["autoScalingGroupName"]
	zones, err := emulator.GroupZones(ctx, l.admin, group)
	if err != nil {
		return Instance{}, err
	}
	if len(zones) < 2 {
		return Instance{}, fmt.Errorf("group %s spans %v: a lost zone needs a group across two zones at least", group, zones)
	}
	if err := l.signalApp(old.ID, syscall.SIGSTOP); err != nil {
		return Instance{}, err
	}
	if err := r.phases.wait(ctx, ImpairmentNoticed); err != nil {
		return Instance{}, err
	}
	if err := l.terminate(ctx, old.ID, KillOptions{VolumeHeldFor: EBSDetach.Scaled()}); err != nil {
		return Instance{}, err
	}
	// A refused launch never ran on AWS: the lab ends it before booting
	// it, in moto and wherever the lab keeps instances.
	moved, err := emulator.ReplaceOutsideZone(ctx, l.admin, group, old.ID, old.AvailabilityZone, func(ctx context.Context, id string) error {
		return l.terminate(ctx, id, KillOptions{})
	})
	if err != nil {
		return Instance{}, err
	}
	inst, err := l.OnlyInstance(ctx)
	if err != nil {
		return Instance{}, err
	}
	if inst.ID != moved.InstanceID || inst.AvailabilityZone == old.AvailabilityZone {
		return Instance{}, fmt.Errorf("after the zone loss the group holds %s in %s, want %s outside %s", inst.ID, inst.AvailabilityZone, moved.InstanceID, old.AvailabilityZone)
	}
	r.zoneLoss = ZoneLoss{Lost: old.AvailabilityZone, Replacement: inst.AvailabilityZone, FailedLaunches: moved.FailedLaunches}
	return inst, nil
}

// ZoneLoss reports where the last zone-lost event moved the instance.
func (r *DowntimeRun) ZoneLoss() ZoneLoss { return r.zoneLoss }

// scheduleAndZoneEvents are the events the run's stack can take beyond
// DowntimeEvents: office-hours if it has a schedule, zone-lost if it has
// no data volume (its group then spans every default subnet's zone).
func (r *DowntimeRun) scheduleAndZoneEvents() []DowntimeEvent {
	var events []DowntimeEvent
	if r.lab.Stack.Config["selfhealing:schedule"] != "" {
		events = append(events, EventOfficeHours)
	}
	if !r.volume {
		events = append(events, EventZoneLost)
	}
	return events
}

// scheduleAndZoneReport is the downtime section's paragraph on the
// office-hours and zone-lost events.
func scheduleAndZoneReport() string {
	return "`" + string(EventOfficeHours) + "`, way `" + WayExpected + "`: the office-hours schedule (`schedule` option, here stop `" + OfficeHours.Stop +
		"`, start `" + OfficeHours.Start + "`, " + OfficeHours.TimeZone + ") stops the instance at night and starts a fresh one in the morning; the `ours` stacks carry this schedule, which changes nothing for the other events. " +
		"It is an outage the stack was asked for, reported and not counted as a failure: *refused* runs from the scheduled start time to the first answer, " +
		"the morning's start latency, including `" + ScheduleLateness.Name + "`, how late Auto Scaling may run the action; the night itself is not counted. " +
		"moto stores scheduled actions but never runs them, so the lab reads the group's two actions (and fails unless both are there as the stack configured them) " +
		"and applies each as Auto Scaling does: the stop sets the group's sizes to 0 and the instance is terminated, its address and volume released; " +
		"the start sets them to 1 and the group launches the instance the lab boots. With a data volume no acknowledged write is lost across the night; " +
		"without one the counter was on the instance's own disk, gone with it.\n\n" +
		"`" + string(EventZoneLost) + "`, for the stack without a data volume, whose group uses every default subnet and so spans the region's zones: the instance's zone goes away. " +
		"The lab models the instance there as for `" + string(EventImpaired) + "`: it stops answering and is replaced after `" + ImpairmentNoticed.Name + "`; " +
		"the replacement must come up elsewhere: with the default zone distribution, balanced best effort, a group whose launch fails in one zone " +
		"\"attempts to launch instances in another healthy Availability Zone\" (<" + emulator.ZoneDistributionDoc + ">). " +
		"moto launches every replacement into the group's first subnet, the lost zone's, so the lab refuses that launch as AWS would and the group tries another zone. " +
		"With a data volume there is no `" + string(EventZoneLost) + "` row: the volume lives in one zone, the group runs only there, " +
		"and when that zone goes the stack has nowhere to launch until it returns.\n\n"
}
