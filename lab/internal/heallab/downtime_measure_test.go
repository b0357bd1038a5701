package heallab

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// probesAt makes probes every 100 ms in [from, to) seconds after t0, each
// answered by who with counter (refused if who is "").
func probesAt(t0 time.Time, from, to float64, who string, counter int) []Probe {
	var ps []Probe
	for s := from; s < to-1e-9; s += 0.1 {
		at := t0.Add(time.Duration(s * float64(time.Second)))
		p := Probe{Sent: at, Done: at.Add(time.Millisecond), Routed: who, From: who, Counter: counter, Inherited: counter}
		if who == "" {
			p.Refused = "connection refused"
		}
		ps = append(ps, p)
	}
	return ps
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func near(got, want time.Duration) bool {
	d := got - want
	return d > -time.Millisecond && d < time.Millisecond
}

func TestMeasureDowntimeCountsModelledTimeAtFullLength(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	probes := slices.Concat(probesAt(t0, 0, 1, "i-a", 3), probesAt(t0, 1, 3, "", 0), probesAt(t0, 3, 4, "i-b", 3))
	// The lab waited 0.5 s for a 10 s modelled time, in the outage.
	phases := []Phase{{Name: "launch", Start: t0.Add(sec(1.5)), End: t0.Add(sec(2)), Full: sec(10)}}
	d := MeasureDowntime("terminated", true, WayOurs, probes, phases, t0.Add(sec(1)), t0.Add(sec(4)))

	// Last answer at 0.9 s, first after at 3.0 s: 2.1 s measured, of
	// which 0.5 s stand for 10 s.
	if want := sec(2.1 - 0.5 + 10); !near(d.Refused, want) || !near(d.LongestGap, want) {
		t.Errorf("refused %v, longest gap %v, want both %v", d.Refused, d.LongestGap, want)
	}
	if !near(d.Modelled, sec(10)) {
		t.Errorf("modelled %v, want 10s", d.Modelled)
	}
	if !slices.Equal(d.Instances, []string{"i-a", "i-b"}) || !d.Recovered || d.Misrouted != 0 {
		t.Errorf("instances %v, recovered %v, misrouted %d; want i-a then i-b, recovered, none misrouted", d.Instances, d.Recovered, d.Misrouted)
	}
	want := "DOWNTIME event=terminated volume=yes way=ours refused_s=11.6 longest_gap_s=11.6 lost_writes=0 modelled_s=10.0"
	if got := d.Line(); got != want {
		t.Errorf("line\n%s\nwant\n%s", got, want)
	}
}

func TestMeasureDowntimeCountsWritesTheReplacementLacks(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write := func(at float64, who string, n int) Probe {
		s := t0.Add(sec(at))
		return Probe{Sent: s, Done: s.Add(time.Millisecond), Write: true, Routed: who, From: who, Counter: n}
	}
	for _, tc := range []struct {
		name      string
		afterWith int
		wantLost  int
	}{
		{"the replacement has both writes", 2, 0},
		{"it has one", 1, 1},
		{"it has none", 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probes := slices.Concat([]Probe{write(0.1, "i-a", 1), write(0.2, "i-a", 2)}, probesAt(t0, 0.3, 1, "i-a", 2),
				probesAt(t0, 1, 2, "", 0), probesAt(t0, 2, 3, "i-b", tc.afterWith))
			d := MeasureDowntime("terminated", false, WayOurs, probes, nil, t0.Add(sec(1)), t0.Add(sec(3)))
			if d.LostWrites != tc.wantLost || d.Writes != 2 {
				t.Errorf("lost %d of %d writes, want %d of 2", d.LostWrites, d.Writes, tc.wantLost)
			}
		})
	}
}

// A replacement that counts its own writes from scratch can reach the old
// instance's counter; the writes are still lost.
func TestMeasureDowntimeJudgesWritesByWhatTheReplacementInherited(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := t0.Add(sec(0.1))
	probes := slices.Concat([]Probe{{Sent: s, Done: s.Add(time.Millisecond), Write: true, Routed: "i-a", From: "i-a", Counter: 1}},
		probesAt(t0, 0.2, 1, "i-a", 1), probesAt(t0, 1, 2, "", 0), probesAt(t0, 2, 3, "i-b", 1))
	for i := range probes {
		if probes[i].From == "i-b" {
			probes[i].Inherited = 0
		}
	}
	d := MeasureDowntime("app-dies", false, WayOurs, probes, nil, t0.Add(sec(1)), t0.Add(sec(3)))
	if d.LostWrites != 1 {
		t.Errorf("lost %d writes, want 1: the replacement's counter is its own", d.LostWrites)
	}
}

func TestMeasureDowntimeCountsAnswersFromAnInstanceNotHoldingTheAddress(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	probes := slices.Concat(probesAt(t0, 0, 1, "i-a", 0), probesAt(t0, 1, 2, "i-b", 0))
	probes[len(probes)-1].Routed = "i-a"
	d := MeasureDowntime("terminated", false, WayOurs, probes, nil, t0.Add(sec(0.5)), t0.Add(sec(2)))
	if d.Misrouted != 1 {
		t.Errorf("misrouted %d, want 1", d.Misrouted)
	}
}

func TestMeasureDowntimeWithoutRecoveryCountsToTheEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	probes := slices.Concat(probesAt(t0, 0, 1, "i-a", 0), probesAt(t0, 1, 3, "", 0))
	d := MeasureDowntime("impaired", false, WayOurs, probes, nil, t0.Add(sec(1)), t0.Add(sec(3)))
	if d.Recovered || !near(d.Refused, sec(2.1)) {
		t.Errorf("recovered %v, refused %v; want not recovered, 2.1s", d.Recovered, d.Refused)
	}
}

func TestEveryModelledTimeNamesItsSource(t *testing.T) {
	for _, at := range AWSTimes() {
		if at.Name == "" || at.Full < 0 || !strings.HasPrefix(at.Source, "https://") {
			t.Errorf("%+v: want a name, a length and a source URL", at)
		}
	}
}

// Launch first, the address can move from one answering instance to the
// next without a refusal: nothing refused, and recovered all the same.
func TestMeasureDowntimeWithoutARefusalIsRecovered(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	probes := slices.Concat(probesAt(t0, 0, 2, "i-a", 3), probesAt(t0, 2, 3, "i-b", 0))
	d := MeasureDowntime("rollout", false, WayOurs, probes, nil, t0.Add(sec(1)), t0.Add(sec(3)))
	if d.Refused != 0 || !d.Recovered || !slices.Equal(d.Instances, []string{"i-a", "i-b"}) {
		t.Errorf("refused %v, recovered %v, instances %v; want 0, recovered, i-a then i-b", d.Refused, d.Recovered, d.Instances)
	}
}
