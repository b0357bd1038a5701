package components_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/testtool"
)

const scheduleType = "aws:autoscaling/schedule:Schedule"

func officeHours() *components.ScheduleArgs {
	return &components.ScheduleArgs{Stop: "0 19 * * MON-FRI", Start: "0 8 * * MON-FRI", TimeZone: "Europe/Berlin"}
}

func withSchedule(s *components.ScheduleArgs) *components.SelfHealingInstanceArgs {
	return &components.SelfHealingInstanceArgs{Schedule: s}
}

func TestScheduleStopsAndStartsTheGroup(t *testing.T) {
	d := mustDeploy(t, withSchedule(officeHours()))
	actions := d.Monitor.ByType(scheduleType)
	if len(actions) != 2 {
		t.Fatalf("want 2 scheduled actions, got %d", len(actions))
	}
	group := d.Group()
	want := map[string]map[string]any{
		"bastion-stop":  {"scheduledActionName": "office-hours-stop", "recurrence": "0 19 * * MON-FRI", "minSize": 0.0, "maxSize": 0.0, "desiredCapacity": 0.0},
		"bastion-start": {"scheduledActionName": "office-hours-start", "recurrence": "0 8 * * MON-FRI", "minSize": 1.0, "maxSize": 1.0, "desiredCapacity": 1.0},
	}
	for _, r := range actions {
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected scheduled action %s", r.Name)
			continue
		}
		delete(want, r.Name)
		in := inputs(r)
		w["autoscalingGroupName"] = group["name"]
		w["timeZone"] = "Europe/Berlin"
		for field, value := range w {
			if in[field] != value {
				t.Errorf("%s %s = %#v, want %#v", r.Name, field, in[field], value)
			}
		}
		for field := range in {
			if _, ok := w[field]; !ok {
				t.Errorf("%s sets unexpected input %s = %v (startTime/endTime would bound the schedule)", r.Name, field, in[field])
			}
		}
		if r.ParentType != components.TypeToken {
			t.Errorf("%s parent = %q, want the component", r.Name, r.ParentType)
		}
	}
	if len(want) != 0 {
		t.Errorf("missing scheduled actions %v", want)
	}
}

func TestScheduleExpressionsAreSentInOneSpelling(t *testing.T) {
	d := mustDeploy(t, withSchedule(&components.ScheduleArgs{Stop: "  30  18 *   * mon-fri ", Start: "0 7 1-31/2 jan,jul *", TimeZone: "America/New_York"}))
	got := map[string]any{}
	for _, r := range d.Monitor.ByType(scheduleType) {
		got[r.Name] = inputs(r)["recurrence"]
	}
	if got["bastion-stop"] != "30 18 * * MON-FRI" || got["bastion-start"] != "0 7 1-31/2 JAN,JUL *" {
		t.Errorf("recurrences = %v, want single spaces and upper-case names", got)
	}
}

// A `pulumi up` at night must neither start the instance nor undo the stop
// action: with a schedule, Pulumi leaves the group's sizes as it finds them.
func TestAScheduleMakesPulumiLeaveTheGroupSizesAlone(t *testing.T) {
	sizes := []string{"minSize", "maxSize", "desiredCapacity"}

	d := mustDeploy(t, withSchedule(officeHours()))
	group := d.One("aws:autoscaling/group:Group")
	if !slices.Equal(slices.Sorted(slices.Values(group.IgnoreChanges)), slices.Sorted(slices.Values(sizes))) {
		t.Errorf("group ignoreChanges = %v, want exactly %v", group.IgnoreChanges, sizes)
	}
	// ignoreChanges does not apply at creation: the group is still created
	// with one instance, so `pulumi up` proves the stack works.
	for _, field := range sizes {
		if got := inputs(group)[field]; got != 1.0 {
			t.Errorf("group %s = %v, want 1 at creation", field, got)
		}
	}
	// The schedule leaves the capacity wait as it is without one.
	if got, want := inputs(group)["waitForCapacityTimeout"], mustDeploy(t, nil).Group()["waitForCapacityTimeout"]; got != want {
		t.Errorf("group waitForCapacityTimeout = %v, want %v, as without a schedule", got, want)
	}

	// Without a schedule nobody else changes the sizes, and Pulumi must
	// put them back if someone does.
	plain := mustDeploy(t, nil).One("aws:autoscaling/group:Group")
	if len(plain.IgnoreChanges) != 0 {
		t.Errorf("group without a schedule ignores changes to %v", plain.IgnoreChanges)
	}
	if n := len(mustDeploy(t, nil).Monitor.ByType(scheduleType)); n != 0 {
		t.Errorf("%d scheduled actions without a schedule", n)
	}
}

func TestInvalidSchedulesNameTheFieldAndWhatIsAllowed(t *testing.T) {
	sched := func(stop, start, tz string) components.ScheduleArgs {
		return components.ScheduleArgs{Stop: stop, Start: start, TimeZone: tz}
	}
	const berlin = "Europe/Berlin"
	for _, tc := range []struct {
		name string
		s    components.ScheduleArgs
		want []string
	}{
		{"no stop", sched("", "0 8 * * *", berlin), []string{"schedule.stop", "empty", "needs both stop and start", "0 19 * * MON-FRI"}},
		{"no start", sched("0 19 * * *", " ", berlin), []string{"schedule.start", "empty", "needs both"}},
		{"five fields, too few", sched("0 19 * *", "0 8 * * *", berlin), []string{"schedule.stop", "has 4 fields", "want 5 fields"}},
		{"six fields", sched("0 0 19 * * MON-FRI", "0 8 * * *", berlin), []string{"schedule.stop", "has 6 fields", "no seconds or year"}},
		{"eventbridge", sched("cron(0 19 ? * MON-FRI *)", "0 8 * * *", berlin), []string{"schedule.stop", "not EventBridge's cron(...)"}},
		{"question mark", sched("0 19 ? * MON-FRI", "0 8 * * *", berlin), []string{"schedule.stop", "day-of-month field \"?\"", "EventBridge"}},
		{"hash", sched("0 19 * * MON#2", "0 8 * * *", berlin), []string{"schedule.stop", "day-of-week field", "EventBridge"}},
		{"minute 60", sched("60 19 * * *", "0 8 * * *", berlin), []string{"schedule.stop", `minute field "60"`, "60 is out of range", "want 0-59"}},
		{"hour 24", sched("0 24 * * *", "0 8 * * *", berlin), []string{"schedule.stop", `hour field "24"`, "want 0-23"}},
		{"day 0", sched("0 19 0 * *", "0 8 * * *", berlin), []string{"schedule.stop", `day-of-month field "0"`, "want 1-31"}},
		{"day 32", sched("0 19 32 * *", "0 8 * * *", berlin), []string{"schedule.stop", "32 is out of range"}},
		{"month 13", sched("0 19 * 13 *", "0 8 * * *", berlin), []string{"schedule.stop", `month field "13"`, "1-12 or JAN-DEC"}},
		{"month name", sched("0 19 * JANUARY *", "0 8 * * *", berlin), []string{"schedule.stop", `"JANUARY" is not a value`, "JAN-DEC"}},
		{"weekday 7", sched("0 19 * * 7", "0 8 * * *", berlin), []string{"schedule.stop", `day-of-week field "7"`, "0-6 (0 is Sunday) or SUN-SAT"}},
		{"weekday name", sched("0 19 * * MON-FUN", "0 8 * * *", berlin), []string{"schedule.stop", `"FUN" is not a value`, "SUN-SAT"}},
		{"month name in day field", sched("0 19 * * JAN", "0 8 * * *", berlin), []string{"schedule.stop", `"JAN" is not a value`}},
		{"backwards range", sched("0 19 * * FRI-MON", "0 8 * * *", berlin), []string{"schedule.stop", "range FRI-MON runs backwards"}},
		{"step without range", sched("5/10 19 * * *", "0 8 * * *", berlin), []string{"schedule.stop", `step "5/10" needs * or a range`}},
		{"step zero", sched("*/0 19 * * *", "0 8 * * *", berlin), []string{"schedule.stop", `step "0"`, "1 to 60"}},
		{"step too big", sched("0 */25 * * *", "0 8 * * *", berlin), []string{"schedule.stop", `step "25"`, "1 to 24"}},
		{"empty list item", sched("0,,30 19 * * *", "0 8 * * *", berlin), []string{"schedule.stop", "an empty value"}},
		{"negative", sched("-1 19 * * *", "0 8 * * *", berlin), []string{"schedule.stop", `minute field "-1"`}},
		{"every field wrong", sched("0 8 * * *", "61 25 0 13 8", berlin), []string{"schedule.start", "minute field", "hour field", "day-of-month field", "month field", "day-of-week field"}},
		{"never fires", sched("0 19 30 2 *", "0 8 * * *", berlin), []string{"schedule.stop", "never fires", "30 February"}},
		{"no time zone", sched("0 19 * * *", "0 8 * * *", ""), []string{"schedule.timeZone", "empty", "Europe/Berlin", "UTC"}},
		{"unknown time zone", sched("0 19 * * *", "0 8 * * *", "Europe/Atlantis"), []string{"schedule.timeZone", `"Europe/Atlantis"`, "IANA", "America/New_York"}},
		{"local time zone", sched("0 19 * * *", "0 8 * * *", "Local"), []string{"schedule.timeZone", `"Local"`, "IANA"}},
		{"offset, not a zone", sched("0 19 * * *", "0 8 * * *", "+01:00"), []string{"schedule.timeZone", `"+01:00"`}},
		{"same expression", sched("0 19 * * MON-FRI", "0 19 * * MON-FRI", berlin), []string{"schedule.stop", "schedule.start" /* both named */, "within 2 minutes", "Wed 2025-01-01 19:00", "Europe/Berlin"}},
		{"same times, other spelling", sched("0 19 * * 1-5", "0 19 * * MON-FRI", berlin), []string{"within 2 minutes", "19:00"}},
		{"one minute apart", sched("0 8 * * SAT", "1 8 * * *", berlin), []string{"within 2 minutes", "Sat 2025-01-04 08:00"}},
		{"across midnight", sched("59 23 * * SUN", "0 0 * * MON", berlin), []string{"within 2 minutes", "Sun 2025-01-05 23:59"}},
		{"day-of-month and day-of-week", sched("0 8 13 * *", "0 8 * * 5-5", berlin), []string{"within 2 minutes", "Fri 2025-06-13 08:00"}},
		// Both day fields restricted: the stop fires on the 13th or on
		// Fridays, so on Monday the 13th too.
		{"day-of-month or day-of-week", sched("0 8 13 * FRI", "0 8 * * MON", berlin), []string{"within 2 minutes", "Mon 2025-01-13 08:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, withSchedule(&tc.s))
			if err == nil {
				t.Fatalf("accepted %+v", tc.s)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := len(d.Monitor.Resources()); n != 0 {
				t.Errorf("%d resources were registered before the error", n)
			}
		})
	}
}

func TestValidSchedulesAreAccepted(t *testing.T) {
	for _, s := range []components.ScheduleArgs{
		*officeHours(),
		{Stop: "0 19 * * 1-5", Start: "0 8 * * 1-5", TimeZone: "Etc/UTC"},
		{Stop: "30 17 * * fri", Start: "0 6 * * mon", TimeZone: "Asia/Tokyo"},
		{Stop: "0 20 * * *", Start: "0 7 * * *", TimeZone: "UTC"},
		{Stop: "0,30 22 1-15,20-31/2 JAN-MAR,DEC SUN,SAT", Start: "*/15 6-7 * * MON-FRI", TimeZone: "America/Argentina/Buenos_Aires"},
		// Three minutes apart is enough, even across midnight.
		{Stop: "57 23 * * *", Start: "0 0 * * *", TimeZone: "Europe/Berlin"},
		// Both day fields restricted: the 13th or any Friday, and never
		// at the other's time.
		{Stop: "0 19 13 * FRI", Start: "0 8 13 * FRI", TimeZone: "Europe/Berlin"},
		// 29 February exists, once in four years.
		{Stop: "0 19 29 2 *", Start: "0 8 1 3 *", TimeZone: "Europe/Berlin"},
	} {
		if _, err := deploy(t, withSchedule(&s)); err != nil {
			t.Errorf("%+v refused: %v", s, err)
		}
	}
}

// zoneinfoDirs are where Go's time package looks for a zone database
// before it falls back to an embedded copy: the system's directories, and
// the Go installation's own lib/time/zoneinfo.zip.
func zoneinfoDirs(t *testing.T) []string {
	t.Helper()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return []string{"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo",
		filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time")}
}

// The time zone check must not depend on the machine's zoneinfo files: the
// component embeds Go's copy of the database. The test runs itself again in
// a private mount namespace with every system zone directory hidden.
func TestTimeZonesAreCheckedWithoutTheSystemZoneDatabase(t *testing.T) {
	if os.Getenv("SELFHEALING_NO_ZONEINFO") == "1" {
		for _, dir := range zoneinfoDirs(t) {
			for _, file := range []string{filepath.Join(dir, "Europe", "Berlin"), filepath.Join(dir, "zoneinfo.zip")} {
				if _, err := os.Stat(file); err == nil {
					t.Fatalf("%s is still visible; the test would prove nothing", file)
				}
			}
		}
		if _, err := deploy(t, withSchedule(officeHours())); err != nil {
			t.Fatalf("without the system zone database: %v", err)
		}
		return
	}
	testtool.RequireTool(t, "unshare", "apt-get install util-linux")
	testtool.RequireRoot(t, "hiding the zone database needs root, for a private mount namespace")
	var hide strings.Builder
	for _, dir := range zoneinfoDirs(t) {
		fmt.Fprintf(&hide, "if [ -d %[1]s ]; then mount -t tmpfs none %[1]s || exit 1; fi; ", dir)
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		hide.String()+`exec "$0" -test.run '^TestTimeZonesAreCheckedWithoutTheSystemZoneDatabase$' -test.count=1 -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "SELFHEALING_NO_ZONEINFO=1", "ZONEINFO=", "TZ=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Errorf("the schedule was refused with the system zone database hidden (%v):\n%s", err, out)
	}
}
