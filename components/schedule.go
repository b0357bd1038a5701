package components

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	// Time zones are checked with Go's own database, so that a machine
	// without /usr/share/zoneinfo (a distroless CI image) validates the
	// same as a workstation.
	_ "time/tzdata"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ScheduleArgs runs the instance only in office hours: two scheduled
// actions on the Auto Scaling group, one that sets its size to 0 (the
// instance is terminated, the Elastic IP stays allocated) and one that sets
// it back to 1 (a fresh instance boots and takes the address).
type ScheduleArgs struct {
	// Stop is when the instance stops, and [ScheduleArgs.Start] when it
	// starts again: 5-field Unix cron expressions, minute hour
	// day-of-month month day-of-week, such as "0 19 * * MON-FRI" and
	// "0 8 * * MON-FRI". Fields take numbers, *, lists (1,15), ranges
	// (MON-FRI), steps (*/15, 0-30/10), and JAN-DEC and SUN-SAT names.
	Stop string `pulumi:"stop"`
	// Start is when the instance starts again, in the same form as
	// [ScheduleArgs.Stop].
	Start string `pulumi:"start"`

	// TimeZone is the IANA time zone both expressions are read in, such as
	// "Europe/Berlin" or "Etc/UTC". Auto Scaling follows its daylight
	// saving time.
	TimeZone string `pulumi:"timeZone"`
}

// scheduleLateness is how late AWS may run a scheduled action ("up to 2
// minutes", ASG UG). Stop and start closer than this may run in either order.
const scheduleLateness = 2 * time.Minute

// validate checks both expressions and the time zone, and that the two
// actions never run so close together that their order is uncertain.
func (s *ScheduleArgs) validate() []error {
	if s == nil {
		return nil
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("schedule."+format, args...)) }

	stop, stopErr := parseCron(s.Stop)
	if stopErr != nil {
		bad("stop %q: %v", s.Stop, stopErr)
	}
	start, startErr := parseCron(s.Start)
	if startErr != nil {
		bad("start %q: %v", s.Start, startErr)
	}
	switch {
	case s.TimeZone == "":
		bad("timeZone: empty; want an IANA time zone such as Europe/Berlin or Etc/UTC (AWS would otherwise read the expressions in UTC)")
	case s.TimeZone == "Local":
		bad("timeZone %q: is this machine's zone, not a name AWS knows; want an IANA time zone such as Europe/Berlin or Etc/UTC", s.TimeZone)
	default:
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			bad("timeZone %q: not in the IANA time zone database; want a name such as Europe/Berlin, America/New_York or Etc/UTC", s.TimeZone)
		}
	}
	if stopErr != nil || startErr != nil {
		return errs
	}

	const never = "never fires: no date matches its day-of-month, month and day-of-week (30 February never comes)"
	if !stop.firesSometime() {
		bad("stop %q: %s", s.Stop, never)
	}
	if !start.firesSometime() {
		bad("start %q: %s", s.Start, never)
	}
	if when, ok := firstClash(stop, start, scheduleLateness); ok {
		late := int(scheduleLateness.Minutes())
		bad("stop %q and schedule.start %q: both fire within %d minutes of each other, first on %s (in %s); AWS may run a scheduled action "+
			"up to %d minutes late, so which runs last is not certain; want them more than %d minutes apart", s.Stop, s.Start, late,
			when.Format("Mon 2006-01-02 15:04"), s.TimeZone, late, late)
	}
	return errs
}

// canonicalCron is the form of a valid expression sent to AWS: single
// spaces and upper-case names, so that "0 19 * * mon-fri" and
// "0  19 * * MON-FRI" are one schedule and never show as a change.
func canonicalCron(expr string) string {
	return strings.ToUpper(strings.Join(strings.Fields(expr), " "))
}

// cronField describes one position of a cron expression.
type cronField struct {
	name     string
	min, max int
	// names maps upper-case names to values, for month and day-of-week.
	names map[string]int
	want  string
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59, want: "0-59"},
	{name: "hour", min: 0, max: 23, want: "0-23"},
	{name: "day-of-month", min: 1, max: 31, want: "1-31"},
	{name: "month", min: 1, max: 12, want: "1-12 or JAN-DEC", names: map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	}},
	// 0-6 only: whether AWS also takes 7 for Sunday, as some crons do, is
	// not documented, so the unambiguous 0 or SUN is asked for.
	{name: "day-of-week", min: 0, max: 6, want: "0-6 (0 is Sunday) or SUN-SAT", names: map[string]int{
		"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6,
	}},
}

const (
	fieldMinute = iota
	fieldHour
	fieldDayOfMonth
	fieldMonth
	fieldDayOfWeek
)

// cronSpec is a parsed expression: for each field, the set of values it
// matches, as bits.
type cronSpec struct {
	sets [5]uint64
	// domStar and dowStar record a day field that starts with "*". As in
	// Unix cron, when both day fields are restricted a day matches either
	// one; otherwise it must match both.
	domStar, dowStar bool
}

var cronNumber = regexp.MustCompile(`^[0-9]{1,2}$`)

// parseCron parses a 5-field Unix cron expression, as EC2 Auto Scaling's
// Recurrence takes it.
func parseCron(expr string) (cronSpec, error) {
	const form = "want 5 fields, minute hour day-of-month month day-of-week, such as 0 19 * * MON-FRI"
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return cronSpec{}, fmt.Errorf("empty; a schedule needs both stop and start; %s", form)
	}
	if strings.HasPrefix(trimmed, "cron(") {
		return cronSpec{}, fmt.Errorf("EC2 Auto Scaling takes a bare Unix cron expression, not EventBridge's cron(...); %s", form)
	}
	fields := strings.Fields(trimmed)
	if len(fields) != len(cronFields) {
		return cronSpec{}, fmt.Errorf("has %d fields; %s (no seconds or year field)", len(fields), form)
	}
	var spec cronSpec
	var errs []error
	for i, text := range fields {
		set, err := cronFields[i].parse(text)
		if err != nil {
			errs = append(errs, err)
		}
		spec.sets[i] = set
	}
	spec.domStar = strings.HasPrefix(fields[fieldDayOfMonth], "*")
	spec.dowStar = strings.HasPrefix(fields[fieldDayOfWeek], "*")
	return spec, errors.Join(errs...)
}

// parse reads one field: a comma-separated list of *, a value or a range
// a-b, each optionally with a step /n.
func (f cronField) parse(text string) (uint64, error) {
	fail := func(format string, args ...any) (uint64, error) {
		return 0, fmt.Errorf("%s field %q: %s; want %s, *, lists (a,b), ranges (a-b) and steps (*/n, a-b/n)",
			f.name, text, fmt.Sprintf(format, args...), f.want)
	}
	if strings.ContainsAny(text, "?#") {
		return fail("? and # belong to EventBridge's cron, not to the Unix cron EC2 Auto Scaling takes")
	}
	var set uint64
	for _, item := range strings.Split(text, ",") {
		rangeText, stepText, hasStep := strings.Cut(item, "/")
		lo, hi := f.min, f.max
		switch {
		case rangeText == "*":
		case strings.Contains(rangeText, "-"):
			a, b, _ := strings.Cut(rangeText, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return fail("%v", err)
			}
			if hi, err = f.value(b); err != nil {
				return fail("%v", err)
			}
			if lo > hi {
				return fail("range %s runs backwards; cron ranges do not wrap around", rangeText)
			}
		default:
			if hasStep {
				return fail("step %q needs * or a range before it, such as */%s or 0-30/%s", item, stepText, stepText)
			}
			v, err := f.value(rangeText)
			if err != nil {
				return fail("%v", err)
			}
			lo, hi = v, v
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || !cronNumber.MatchString(stepText) || n < 1 || n > f.max-f.min+1 {
				return fail("step %q: want a whole number from 1 to %d", stepText, f.max-f.min+1)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// value reads one number or name of the field.
func (f cronField) value(text string) (int, error) {
	if v, ok := f.names[strings.ToUpper(text)]; ok {
		return v, nil
	}
	if !cronNumber.MatchString(text) {
		if text == "" {
			return 0, errors.New("an empty value")
		}
		return 0, fmt.Errorf("%q is not a value of this field", text)
	}
	v, _ := strconv.Atoi(text)
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%d is out of range", v)
	}
	return v, nil
}

func (c cronSpec) has(field, v int) bool { return c.sets[field]&(1<<v) != 0 }

// firesOn reports whether c fires on some minute of day's date.
func (c cronSpec) firesOn(day time.Time) bool {
	if !c.has(fieldMonth, int(day.Month())) {
		return false
	}
	dom, dow := c.has(fieldDayOfMonth, day.Day()), c.has(fieldDayOfWeek, int(day.Weekday()))
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// minutesOfDay lists the minutes after midnight at which c fires on a day
// it fires, in order.
func (c cronSpec) minutesOfDay() []int {
	var out []int
	for h := range 24 {
		for m := range 60 {
			if c.has(fieldHour, h) && c.has(fieldMinute, m) {
				out = append(out, h*60+m)
			}
		}
	}
	return out
}

// scanFrom and scanDays bound the calendar scans: 28 years, the cycle after
// which dates fall on the same weekdays again (within 1901-2099), so every
// combination of date and weekday occurs. A fixed start keeps validation a
// pure function of its input.
var scanFrom = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

const scanDays = 28*365 + 7

// firesSometime reports whether c fires on any date.
func (c cronSpec) firesSometime() bool {
	for d := range scanDays {
		if c.firesOn(scanFrom.AddDate(0, 0, d)) {
			return true
		}
	}
	return false
}

// firstClash returns the first time at which a fires within window of a
// firing of b, on the same day or across midnight, and false if never.
func firstClash(a, b cronSpec, window time.Duration) (time.Time, bool) {
	w := int(window / time.Minute)
	aTimes, bTimes := a.minutesOfDay(), b.minutesOfDay()
	// nearB[k] is the first minute of a's day within w of a firing of b
	// on the day before (k=0), the same day (k=1) or the day after (k=2).
	// It does not depend on the date, so it is worked out once.
	var nearB [3]int
	var near [3]bool
	for k := range 3 {
		offset := (k - 1) * 24 * 60
	search:
		for _, ta := range aTimes {
			for _, tb := range bTimes {
				if d := ta - (tb + offset); -w <= d && d <= w {
					nearB[k], near[k] = ta, true
					break search
				}
			}
		}
	}
	for d := range scanDays {
		day := scanFrom.AddDate(0, 0, d)
		if !a.firesOn(day) {
			continue
		}
		for k := range 3 {
			if near[k] && b.firesOn(day.AddDate(0, 0, k-1)) {
				return day.Add(time.Duration(nearB[k]) * time.Minute), true
			}
		}
	}
	return time.Time{}, false
}

// scheduledSizeProperties are the group's properties that scheduled
// actions change at run time, and that `pulumi up` must therefore leave as
// it finds them once a schedule exists; nil without a schedule.
//
// Without this, a `pulumi up` at night would set the group back to one
// instance and start it, and the next stop action would fight it. With it,
// the group is still created at size 1 (ignoreChanges applies to updates
// only), so a stack created outside office hours runs until the next stop
// action; and an update never changes these sizes, so it never waits for
// capacity either.
func scheduledSizeProperties(s *ScheduleArgs) []string {
	if s == nil {
		return nil
	}
	return []string{"minSize", "maxSize", "desiredCapacity"}
}

// groupScheduleOptions are the resource options the group needs for s.
func groupScheduleOptions(s *ScheduleArgs) []pulumi.ResourceOption {
	if props := scheduledSizeProperties(s); props != nil {
		return []pulumi.ResourceOption{pulumi.IgnoreChanges(props)}
	}
	return nil
}

// schedule creates the stop and start actions on group when the plan has a
// schedule.
func (b *builder) schedule(group *autoscaling.Group) error {
	ctx, name, s, parent := b.ctx, b.p.name, b.p.args.Schedule, b.parent
	if s == nil {
		return nil
	}
	for _, action := range []struct {
		suffix, cron string
		size         int
	}{{"stop", s.Stop, 0}, {"start", s.Start, 1}} {
		_, err := autoscaling.NewSchedule(ctx, name+"-"+action.suffix, &autoscaling.ScheduleArgs{
			AutoscalingGroupName: group.Name,
			ScheduledActionName:  pulumi.String("office-hours-" + action.suffix),
			Recurrence:           pulumi.String(canonicalCron(action.cron)),
			TimeZone:             pulumi.String(s.TimeZone),
			MinSize:              pulumi.Int(action.size),
			MaxSize:              pulumi.Int(action.size),
			DesiredCapacity:      pulumi.Int(action.size),
		}, parent)
		if err != nil {
			return fmt.Errorf("creating the %s action of the schedule: %w", action.suffix, err)
		}
	}
	return nil
}
