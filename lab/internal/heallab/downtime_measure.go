package heallab

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Probe is one request of the downtime client to the stack's address.
type Probe struct {
	// Sent is when the client sent it, Done when the answer or refusal
	// came.
	Sent, Done time.Time
	// Write reports a POST, which increments the counter.
	Write bool
	// Routed is the instance the address led to when it was sent, "" if
	// it led to none.
	Routed string
	// From, Counter and Inherited are the answer: the instance id, its
	// counter, and the counter it found on disk when it started; From is
	// "" if the request was refused.
	From               string
	Counter, Inherited int
	// Refused says why no answer came, "" if one did.
	Refused string
	// LookedAt is when the lookup of the address's holder that Routed
	// rests on returned.
	LookedAt time.Time
}

// Answered reports that the probe got an answer.
func (p Probe) Answered() bool { return p.From != "" }

// Phase is a stretch of the lab's time that stands for a modelled time
// (an AWSTime, or a health check's interval): the lab waited End-Start
// for what takes Full.
type Phase struct {
	Name       string
	Start, End time.Time
	Full       time.Duration
}

// Downtime is what the client saw of one event.
type Downtime struct {
	// Event, Volume and Way say what was measured: the event, whether the
	// stack has a data volume, and how the group replaced the instance.
	Event  string
	Volume bool
	Way    string
	// Refused is the time without answers: the sum of the gaps between
	// consecutive answers with at least one refusal between them.
	// LongestGap is the longest gap between consecutive answers. Both in
	// real seconds: measured time as measured, modelled time at its full
	// length; Modelled is the modelled share of Refused.
	Refused, LongestGap, Modelled time.Duration
	// LostWrites counts the writes the instance that answered before the
	// event acknowledged, that a later answer from another instance does
	// not include in the counter it inherited (Probe.Inherited).
	LostWrites int
	// Writes counts the writes the instance that answered before the
	// event acknowledged.
	Writes int
	// Instances are the instances that answered, in order of first answer.
	Instances []string
	// Misrouted counts answers from an instance other than the one the
	// address led to.
	Misrouted int
	// Recovered reports that the last request of the event was
	// answered, after any refusals.
	Recovered bool
	// Spacing is the longest real time between two requests the client
	// sent during the event, and Staleness the oldest lookup a request
	// was routed by.
	Spacing, Staleness time.Duration
	// OldGone is when the old instance's termination returned, and
	// HolderWhenOldGoes the Elastic IP's holder as it began, launch first
	// ("" otherwise); both set by the run, not measured from probes.
	OldGone           time.Time
	HolderWhenOldGoes string
}

// Line is the measurement as one line:
//
//	DOWNTIME event=<event> volume=<yes|no> way=<ours|terminate-first|seed> refused_s=<seconds> longest_gap_s=<seconds> lost_writes=<n> modelled_s=<seconds>
func (d Downtime) Line() string {
	return fmt.Sprintf("DOWNTIME event=%s volume=%s way=%s refused_s=%.1f longest_gap_s=%.1f lost_writes=%d modelled_s=%.1f",
		d.Event, yesNo(d.Volume), d.Way, d.Refused.Seconds(), d.LongestGap.Seconds(), d.LostWrites, d.Modelled.Seconds())
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// span returns the length of [a, b] in real seconds, each phase's overlap
// with it counted at the phase's full length, and the modelled share.
// Phases do not overlap each other.
func span(a, b time.Time, phases []Phase) (total, modelled time.Duration) {
	total = b.Sub(a)
	for _, ph := range phases {
		start, end := maxTime(a, ph.Start), minTime(b, ph.End)
		waited := ph.End.Sub(ph.Start)
		if !end.After(start) || waited <= 0 {
			continue
		}
		overlap := end.Sub(start)
		full := time.Duration(float64(ph.Full) * float64(overlap) / float64(waited))
		total += full - overlap
		modelled += full
	}
	return total, modelled
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// MeasureDowntime computes what probes show of an event that began at
// from and whose measurement ends at to: the gaps from the last answer
// before from on, and the writes acknowledged before from that answers
// within [from, to] lost. phases are the modelled stretches of the lab's
// time. It is a pure function of its arguments.
func MeasureDowntime(event string, volume bool, way string, probes []Probe, phases []Phase, from, to time.Time) Downtime {
	d := Downtime{Event: event, Volume: volume, Way: way}
	probes = slices.Clone(probes)
	slices.SortStableFunc(probes, func(a, b Probe) int { return a.Sent.Compare(b.Sent) })

	var window []Probe
	lastBefore := -1
	for i, p := range probes {
		if p.Sent.Before(from) && p.Answered() {
			lastBefore = i
		}
	}
	if lastBefore >= 0 {
		window = append(window, probes[lastBefore])
	}
	for _, p := range probes {
		if !p.Sent.Before(from) && !p.Sent.After(to) {
			window = append(window, p)
		}
	}

	for i := 1; i < len(window); i++ {
		d.Spacing = max(d.Spacing, window[i].Sent.Sub(window[i-1].Sent))
	}
	for _, p := range window {
		if !p.LookedAt.IsZero() {
			d.Staleness = max(d.Staleness, p.Sent.Sub(p.LookedAt))
		}
	}

	var prev *Probe
	refusedSince := false
	for i := range window {
		p := &window[i]
		if !p.Answered() {
			refusedSince = true
			continue
		}
		if p.From != p.Routed {
			d.Misrouted++
		}
		if !slices.Contains(d.Instances, p.From) {
			d.Instances = append(d.Instances, p.From)
		}
		if prev != nil {
			total, modelled := span(prev.Sent, p.Sent, phases)
			d.LongestGap = max(d.LongestGap, total)
			if refusedSince {
				d.Refused += total
				d.Modelled += modelled
			}
		}
		prev, refusedSince = p, false
	}
	if refusedSince && prev != nil {
		// Never answered again: refused up to the end.
		total, modelled := span(prev.Sent, to, phases)
		d.Refused += total
		d.Modelled += modelled
		d.LongestGap = max(d.LongestGap, total)
	}
	// An event launch first may cost no refusal at all: recovered is
	// answering at the end.
	d.Recovered = prev != nil && !refusedSince

	// The writes the event can lose are those the instance answering
	// before it acknowledged; earlier instances' were judged at earlier
	// events.
	old := ""
	if lastBefore >= 0 {
		old = probes[lastBefore].From
	}
	for _, w := range probes {
		if !w.Write || !w.Answered() || w.Done.After(to) || w.From != old {
			continue
		}
		d.Writes++
		for _, p := range window {
			if p.Answered() && p.From != w.From && p.Sent.After(w.Done) && p.Inherited < w.Counter {
				d.LostWrites++
				break
			}
		}
	}
	return d
}

// DowntimeTable is the downtime section's table, one row per measurement.
func DowntimeTable(ds []Downtime) string {
	var b strings.Builder
	b.WriteString("| event | data volume | way | refused | longest gap | modelled share | lost writes | instances that answered |\n|---|---|---|---:|---:|---:|---:|---:|\n")
	for _, d := range ds {
		lost := fmt.Sprint(d.LostWrites)
		if d.LostWrites > 0 {
			lost = fmt.Sprintf("**%d** of %d", d.LostWrites, d.Writes)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f s | %.1f s | %.1f s | %s | %d |\n",
			d.Event, yesNo(d.Volume), d.Way, d.Refused.Seconds(), d.LongestGap.Seconds(), d.Modelled.Seconds(), lost, len(d.Instances))
	}
	return b.String()
}
