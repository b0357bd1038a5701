package heallab

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// Office hours: the `schedule` option's two scheduled actions, one that
// sizes the group to 0 at the stop time, one that sizes it back to 1 at
// the start time. moto stores scheduled actions but never runs them, so the
// lab runs them as Auto Scaling would: it reads them from the group, checks
// they are the stack's, applies the stop (the group terminates the
// instance, its address and volume released as AWS releases them), skips
// the night, and at the start time, after ScheduleLateness, applies the
// start (the group launches one, which the lab boots). The outage is one
// the user asked for, so it is reported as expected (WayExpected), from
// the start time to the first answer: the morning start's latency.

// EventOfficeHours: the office-hours schedule stops the instance at night
// and starts a fresh one in the morning.
const EventOfficeHours DowntimeEvent = "office-hours"

// WayExpected names, in DOWNTIME lines, an outage the stack was asked for,
// the office-hours schedule's night: reported, not a failure. Its refused
// time runs from the scheduled start time to the first answer.
const WayExpected = "expected"

// OfficeHours is the schedule OfficeHoursOverrides deploy: weekday
// evenings off, mornings on, in a zone with daylight saving.
var OfficeHours = struct{ Stop, Start, TimeZone string }{Stop: "0 19 * * MON-FRI", Start: "0 8 * * MON-FRI", TimeZone: "Europe/Berlin"}

// OfficeHoursOverrides are DowntimeOverrides(volume) with the office-hours
// schedule.
func OfficeHoursOverrides(volume bool) map[string]string {
	o := DowntimeOverrides(volume)
	o["selfhealing:schedule"] = fmt.Sprintf(`{"stop": %q, "start": %q, "timeZone": %q}`, OfficeHours.Stop, OfficeHours.Start, OfficeHours.TimeZone)
	return o
}

// officeHoursAction is what the lab expects of one of the stack's
// scheduled actions, named by the component (components/schedule.go).
type officeHoursAction struct {
	name, recurrence string
	size             int32
}

// scheduledActions returns the group's stop and start actions, or an error
// unless both exist as the stack configured them.
func (l *Lab) scheduledActions(ctx context.Context) (stop, start asgtypes.ScheduledUpdateGroupAction, err error) {
	group := l.Outputs["autoScalingGroupName"]
	out, err := l.autoscaling().DescribeScheduledActions(ctx, &autoscaling.DescribeScheduledActionsInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		return stop, start, fmt.Errorf("describing the scheduled actions of group %s: %w", group, err)
	}
	found := map[string]asgtypes.ScheduledUpdateGroupAction{}
	for _, a := range out.ScheduledUpdateGroupActions {
		found[aws.ToString(a.ScheduledActionName)] = a
	}
	var got []asgtypes.ScheduledUpdateGroupAction
	for _, want := range []officeHoursAction{{"office-hours-stop", OfficeHours.Stop, 0}, {"office-hours-start", OfficeHours.Start, 1}} {
		a, ok := found[want.name]
		if !ok {
			return stop, start, fmt.Errorf("group %s has no scheduled action %s; it has %d: %v", group, want.name, len(found), keys(found))
		}
		sizes := []*int32{a.MinSize, a.MaxSize, a.DesiredCapacity}
		if aws.ToString(a.Recurrence) != want.recurrence || aws.ToString(a.TimeZone) != OfficeHours.TimeZone || !allEqual(sizes, want.size) {
			return stop, start, fmt.Errorf("scheduled action %s: recurrence %q in %q, min/max/desired %v; want %q in %q, all %d",
				want.name, aws.ToString(a.Recurrence), aws.ToString(a.TimeZone), derefAll(sizes), want.recurrence, OfficeHours.TimeZone, want.size)
		}
		got = append(got, a)
	}
	return got[0], got[1], nil
}

// runScheduledAction applies a as Auto Scaling does when it runs it: the
// group takes the action's sizes.
func (l *Lab) runScheduledAction(ctx context.Context, a asgtypes.ScheduledUpdateGroupAction) error {
	if _, err := l.autoscaling().UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: a.AutoScalingGroupName,
		MinSize:              a.MinSize, MaxSize: a.MaxSize, DesiredCapacity: a.DesiredCapacity,
	}); err != nil {
		return fmt.Errorf("running scheduled action %s: %w", aws.ToString(a.ScheduledActionName), err)
	}
	return nil
}

// playOfficeHours runs the stop and start actions and measures the
// morning: refused time from the start time to the first answer from the
// fresh instance, lost writes across the night.
func (r *DowntimeRun) playOfficeHours(ctx context.Context) (Downtime, BootResult, error) {
	l := r.lab
	fail := func(boot BootResult, err error) (Downtime, BootResult, error) {
		return Downtime{}, boot, fmt.Errorf("event %s: %w", EventOfficeHours, err)
	}
	stop, start, err := l.scheduledActions(ctx)
	if err != nil {
		return fail(BootResult{}, err)
	}
	old, err := l.OnlyInstance(ctx)
	if err != nil {
		return fail(BootResult{}, err)
	}
	from := time.Now()
	// The evening: moto's scale-in terminates the instance in its model
	// only; the lab ends it as AWS does (address, processes, volume).
	if err := l.runScheduledAction(ctx, stop); err != nil {
		return fail(BootResult{}, err)
	}
	if err := l.terminate(ctx, old.ID, KillOptions{VolumeHeldFor: EBSDetach.Scaled()}); err != nil {
		return fail(BootResult{}, err)
	}
	if instances, err := l.GroupInstances(ctx); err != nil || len(instances) != 0 {
		return fail(BootResult{}, fmt.Errorf("after the stop action the group holds %v (%v), want none", instances, err))
	}
	// The night, not waited: the volume comes free long before morning.
	if err := r.phases.waitFor(ctx, "night", EBSDetach.Scaled(), 0); err != nil {
		return fail(BootResult{}, err)
	}
	// The morning: the start time is now; Auto Scaling runs the action
	// up to ScheduleLateness after it.
	morning := time.Now()
	if err := r.phases.wait(ctx, ScheduleLateness); err != nil {
		return fail(BootResult{}, err)
	}
	if err := l.runScheduledAction(ctx, start); err != nil {
		return fail(BootResult{}, err)
	}
	fresh, err := l.awaitReplacement(ctx, old.ID)
	if err != nil {
		return fail(BootResult{}, err)
	}
	for _, t := range []AWSTime{Launch, OSBoot} {
		if err := r.phases.wait(ctx, t); err != nil {
			return fail(BootResult{}, err)
		}
	}
	boot, err := l.Boot(ctx, fresh, BootOptions{Script: r.script})
	if err != nil {
		return fail(boot, err)
	}
	if !boot.Healed {
		return fail(boot, fmt.Errorf("the morning's instance %s did not heal:\n%s\n%s", fresh.ID, boot.CommandResult, boot.Log))
	}
	if err := r.awaitAnswerFrom(ctx, fresh.ID, morning, true); err != nil {
		return fail(boot, err)
	}
	to := time.Now()
	phases := append(r.phases.all(), r.client.Phases()...)
	d := MeasureDowntime(string(EventOfficeHours), r.volume, WayExpected, r.client.Probes(), phases, from, to)
	d, ok := countTheMorning(d, r.client.Probes(), phases, fresh.ID, morning)
	if !ok {
		return fail(boot, fmt.Errorf("no answer from %s after the start time", fresh.ID))
	}
	return d, boot, nil
}

// countTheMorning returns d with its refused time, longest gap and
// modelled share the morning's: from the scheduled start time, morning, to
// the first answer from id, the instance the start launched; the night is
// the user's choice, not an outage. It reports false if id never answered
// after morning. It is a pure function of its arguments.
func countTheMorning(d Downtime, probes []Probe, phases []Phase, id string, morning time.Time) (Downtime, bool) {
	first, ok := firstAnswerFrom(probes, id, morning)
	if !ok {
		return d, false
	}
	d.Refused, d.Modelled = span(morning, first.Sent, phases)
	d.LongestGap = d.Refused
	return d, true
}

// firstAnswerFrom returns the first answer from id to a request sent after
// since.
func firstAnswerFrom(probes []Probe, id string, since time.Time) (Probe, bool) {
	var first Probe
	ok := false
	for _, p := range probes {
		if p.From == id && p.Sent.After(since) && (!ok || p.Sent.Before(first.Sent)) {
			first, ok = p, true
		}
	}
	return first, ok
}

func allEqual(ps []*int32, want int32) bool {
	for _, p := range ps {
		if p == nil || *p != want {
			return false
		}
	}
	return true
}

func derefAll(ps []*int32) []string {
	var out []string
	for _, p := range ps {
		if p == nil {
			out = append(out, "unset")
		} else {
			out = append(out, fmt.Sprint(*p))
		}
	}
	return out
}

func keys[V any](m map[string]V) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(ks, ", ")
}
