package heallab

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Measurement is one scenario's result for one script.
type Measurement struct {
	Scenario Scenario
	Result   BootResult
	// Gate is how the boot answered the launch gate: "CONTINUE",
	// "ABANDON", or "none" (on AWS the hook's timeout then abandons the
	// instance), or NoGate for a stack without it.
	Gate string
	// Stack is the shape of the stack the boot ran in (Lab.Shape).
	Stack string
}

// Outcome is what the boot came to.
func (m Measurement) Outcome() Outcome {
	if m.Result.Healed {
		return Healed
	}
	return Failed
}

// HealLine is the measurement as one line:
//
//	HEAL scenario=<name> script=<ours|seed> stack=<shape> result=<healed|failed> associated_ms=<n> ready_ms=<n> api_calls=<n> volume=<intact|changed|not-mounted|none> volume_held_ms=<n> mounted_after_free_ms=<n> gate=<CONTINUE|ABANDON|none|no-hook>
//
// volume_held_ms is how long the kill left the data volume attached to the
// dead instance, and mounted_after_free_ms how long after it came free the
// boot mounted it, if the boot found it still held. A time the script
// never reached, or that does not apply, is -1.
func (m Measurement) HealLine() string {
	v := m.Result.Volume
	held, after := time.Duration(-1), time.Duration(-1)
	if v.HeldFor > 0 {
		held = v.HeldFor
	}
	if v.Waited() {
		after = v.MountAfterFree()
	}
	return fmt.Sprintf("HEAL scenario=%s script=%s stack=%s result=%s associated_ms=%d ready_ms=%d api_calls=%d volume=%s volume_held_ms=%d mounted_after_free_ms=%d gate=%s",
		m.Scenario.Name, m.Result.Script, m.Stack, m.Outcome(), millis(m.Result.Associated), millis(m.Result.Ready), m.Result.APICalls,
		v.state(), millis(held), millis(after), m.Gate)
}

func millis(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Milliseconds()
}

// how says how a boot ended, for people.
func (m Measurement) how() string {
	r := m.Result
	switch {
	case r.Healed:
		return "healed"
	case r.Silent:
		var why []string
		if !r.HoldsAddress {
			why = append(why, "the address is elsewhere")
		}
		switch r.Volume.state() {
		case "not-mounted":
			why = append(why, "the data volume is not mounted")
		case "changed":
			why = append(why, "the data volume does not hold what was written")
		}
		return fmt.Sprintf("failed **silently** (exit 0): %s", strings.Join(why, ", "))
	case r.FailureLine != "":
		_, reason, _ := strings.Cut(r.FailureLine, "FAILED: ")
		return fmt.Sprintf("failed loudly: `%s`", truncate(reason, 90))
	default:
		return fmt.Sprintf("failed, exit %d, no log line", r.ExitCode)
	}
}

// volumeHow says what a boot did with the data volume, for people.
func (m Measurement) volumeHow() string {
	v := m.Result.Volume
	var s string
	switch v.state() {
	case "none":
		return "-"
	case "not-mounted":
		return "not attached"
	case "changed":
		return "mounted, **data differs**"
	case "intact":
		s = "mounted"
		if v.Want != "" {
			s += ", data intact"
		}
	}
	if v.Formatted > 0 {
		s = "formatted, " + s
	}
	switch {
	case v.Waited():
		s += fmt.Sprintf("; held by the dead instance for %s, mounted %d ms after it came free", v.HeldFor, v.MountAfterFree().Milliseconds())
	case v.HeldFor > 0:
		s += fmt.Sprintf("; held for %s, free before the boot asked", v.HeldFor)
	}
	return s
}

// gate says how the boot answered the launch gate, for people.
func (m Measurement) gate() string {
	switch m.Gate {
	case "none":
		return "none: abandoned at the hook's timeout"
	case NoGate:
		return "no hook in this stack"
	}
	return m.Gate
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// WriteMarkdown writes measurements as the heal report: one table row per
// scenario and script, then the scenarios and notes.
func WriteMarkdown(w io.Writer, measurements []Measurement, header string) error {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("\n| scenario | script | stack | result | associated | ready | API calls | data volume | launch gate |\n|---|---|---|---|---:|---:|---:|---|---|\n")
	for _, m := range measurements {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %d | %s | %s |\n", m.Scenario.Name, m.Result.Script, m.Stack, m.how(),
			humanMillis(m.Result.Associated), humanMillis(m.Result.Ready), m.Result.APICalls, m.volumeHow(), m.gate())
	}
	b.WriteString("\nScenarios:\n\n")
	seen := map[string]bool{}
	for _, m := range measurements {
		if seen[m.Scenario.Name] {
			continue
		}
		seen[m.Scenario.Name] = true
		fmt.Fprintf(&b, "- **%s**: %s.", m.Scenario.Name, m.Scenario.Description)
		if m.Scenario.Note != "" {
			fmt.Fprintf(&b, " %s", m.Scenario.Note)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func humanMillis(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// Summary is the side-by-side table of the heal report, one row per
// scenario: our script in the dev stack, the seed in the dev stack, and the
// seed in the stack shaped for it (SeedStackShape). docs/seed-comparison.md carries it
// verbatim between SummaryBegin and SummaryEnd; `make heal-report` writes
// both files from the same run.
func Summary(measurements []Measurement, devStack string) string {
	type key struct {
		script Script
		stack  string
	}
	columns := []key{{Ours, devStack}, {Seed, devStack}, {Seed, SeedStackShape}}
	var names []string
	cells := map[string]map[key]Measurement{}
	for _, m := range measurements {
		name := m.Scenario.Name
		if !slices.Contains(columns, key{m.Result.Script, m.Stack}) {
			continue // another stack's (a network interface's): not compared with the seed
		}
		if cells[name] == nil {
			cells[name] = map[key]Measurement{}
			names = append(names, name)
		}
		cells[name][key{m.Result.Script, m.Stack}] = m
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| scenario | ours, %s stack | seed, %s stack | seed, %s stack |\n|---|---|---|---|\n", devStack, devStack, SeedStackShape)
	for _, name := range names {
		fmt.Fprintf(&b, "| %s |", name)
		for _, c := range columns {
			m, ok := cells[name][c]
			if !ok {
				b.WriteString(" not run |")
				continue
			}
			fmt.Fprintf(&b, " %s |", m.short())
		}
		b.WriteString("\n")
	}
	return b.String()
}

// short is a summary cell: how the boot ended, how long it took, how many
// API calls it made and how it answered the launch gate.
func (m Measurement) short() string {
	r := m.Result
	var s string
	switch {
	case r.Healed:
		s = fmt.Sprintf("healed, ready in %s", seconds(r.Ready))
	case r.Silent:
		s = m.how()
		if r.HoldsAddress && r.Associated >= 0 {
			s += fmt.Sprintf("; address moved in %s", seconds(r.Associated))
		}
	case r.FailureLine != "":
		_, reason, _ := strings.Cut(r.FailureLine, "FAILED: ")
		s = fmt.Sprintf("failed loudly: `%s`", truncate(reason, 40))
	default:
		s = fmt.Sprintf("failed, exit %d, no log line", r.ExitCode)
	}
	calls := "calls"
	if r.APICalls == 1 {
		calls = "call"
	}
	s += fmt.Sprintf(", %d API %s", r.APICalls, calls)
	switch m.Gate {
	case "none":
		s += ", gate never answered"
	case NoGate:
	default:
		s += ", `" + m.Gate + "`"
	}
	return s
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// The comments around the summary, in docs/heal-report.md and docs/seed-comparison.md.
const (
	SummaryBegin = "<!-- heal-summary: begin; written by `make heal-report` from the same run as heal-report.md -->"
	SummaryEnd   = "<!-- heal-summary: end -->"
)

// ReplaceSummary returns text with what lies between SummaryBegin and
// SummaryEnd replaced by summary; an error if the markers are missing.
func ReplaceSummary(text, summary string) (string, error) {
	before, _, after, err := splitSummary(text)
	if err != nil {
		return "", err
	}
	return before + summary + after, nil
}

// SummaryIn returns what lies between SummaryBegin and SummaryEnd in text.
func SummaryIn(text string) (string, error) {
	_, summary, _, err := splitSummary(text)
	return summary, err
}

// splitSummary cuts text into what comes up to and including the line
// SummaryBegin, the summary, and what comes from SummaryEnd on.
func splitSummary(text string) (before, summary, after string, err error) {
	head, rest, ok := strings.Cut(text, SummaryBegin+"\n")
	if !ok {
		return "", "", "", fmt.Errorf("no line %q", SummaryBegin)
	}
	summary, tail, ok := strings.Cut(rest, SummaryEnd)
	if !ok {
		return "", "", "", fmt.Errorf("no %q after %q", SummaryEnd, SummaryBegin)
	}
	return head + SummaryBegin + "\n", summary, SummaryEnd + tail, nil
}
