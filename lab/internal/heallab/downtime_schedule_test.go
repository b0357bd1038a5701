package heallab

import (
	"slices"
	"testing"
	"time"
)

// TestOfficeHoursCountsTheMorningOnly: the night between the last answer
// of the evening and the start time is not an outage; the refused time runs
// from the start time to the morning instance's first answer, the
// modelled lateness at its full length.
func TestOfficeHoursCountsTheMorningOnly(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	probes := slices.Concat(probesAt(t0, 0, 1, "i-evening", 0), probesAt(t0, 1, 5, "", 0), probesAt(t0, 5, 6, "i-morning", 0))
	morning := t0.Add(sec(3))
	phases := []Phase{{Name: ScheduleLateness.Name, Start: morning, End: morning.Add(sec(0.1)), Full: ScheduleLateness.Full}}
	d := MeasureDowntime(string(EventOfficeHours), true, WayExpected, probes, phases, t0.Add(sec(1)), t0.Add(sec(6)))
	d, ok := countTheMorning(d, probes, phases, "i-morning", morning)
	if !ok {
		t.Fatal("the morning instance's answer was not found")
	}
	// 2 s from the start time to the first answer, of which 0.1 s stood
	// for the 2 minutes' lateness.
	want := sec(2) - sec(0.1) + ScheduleLateness.Full
	if !near(d.Refused, want) || !near(d.LongestGap, want) || !near(d.Modelled, ScheduleLateness.Full) {
		t.Errorf("refused %v, longest gap %v, modelled %v; want %v, %v, %v", d.Refused, d.LongestGap, d.Modelled, want, want, ScheduleLateness.Full)
	}
	if _, ok := countTheMorning(d, probes, phases, "i-never", morning); ok {
		t.Error("an instance that never answered was found")
	}
}
