package heallab

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestTheREADMEShowsTheCommittedReport: the heal table in
// docs/seed-comparison.md (moved there from the README) is the committed
// docs/heal-report.md's, from the same run, verbatim. `make heal-report`
// writes both; a hand edit of either, or a report committed without the
// page (or the other way round), fails here.
func TestTheREADMEShowsTheCommittedReport(t *testing.T) {
	readme, err := os.ReadFile("../../../docs/seed-comparison.md")
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile("../../../docs/heal-report.md")
	if err != nil {
		t.Fatal(err)
	}
	inREADME, err := SummaryIn(string(readme))
	if err != nil {
		t.Fatalf("docs/seed-comparison.md: %v", err)
	}
	inReport, err := SummaryIn(string(report))
	if err != nil {
		t.Fatalf("heal-report.md: %v", err)
	}
	if strings.Count(inReport, "\n") < 3 {
		t.Fatalf("heal-report.md's summary is empty:\n%s", inReport)
	}
	if inREADME != inReport {
		t.Errorf("docs/seed-comparison.md's heal table differs from docs/heal-report.md's; run `make heal-report` and commit both.\ndocs/seed-comparison.md:\n%s\ndocs/heal-report.md:\n%s", inREADME, inReport)
	}
}

func TestReplaceSummary(t *testing.T) {
	text := "a\n" + SummaryBegin + "\nold\n" + SummaryEnd + "\nb\n"
	got, err := ReplaceSummary(text, "new\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n" + SummaryBegin + "\nnew\n" + SummaryEnd + "\nb\n"; got != want {
		t.Errorf("ReplaceSummary = %q, want %q", got, want)
	}
	if _, err := ReplaceSummary("no markers", "x"); err == nil {
		t.Error("ReplaceSummary accepted a text without markers")
	}
}

// TestSummaryPutsEachBootInItsColumn: ours and the seed in the dev stack,
// the seed in the seed-shaped stack; a run that did not happen says so.
func TestSummaryPutsEachBootInItsColumn(t *testing.T) {
	sc := Scenario{Name: "replacement"}
	got := Summary([]Measurement{
		{Scenario: sc, Stack: "dev", Gate: "CONTINUE", Result: BootResult{Script: Ours, Healed: true, Ready: 9040 * time.Millisecond, APICalls: 9}},
		{Scenario: sc, Stack: SeedStackShape, Gate: NoGate, Result: BootResult{Script: Seed, Healed: true, Ready: 1200 * time.Millisecond, APICalls: 1}},
	}, "dev")
	want := "| replacement | healed, ready in 9.0 s, 9 API calls, `CONTINUE` | not run | healed, ready in 1.2 s, 1 API call |\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("Summary:\n%s\nwant the row\n%s", got, want)
	}
}

// TestTheCommittedReportHasTheHTTPSFigures: heal-report.md carries the
// HTTPS section `make heal-report` writes from the HTTPS test's run, with
// its figures, not the placeholder of a run without them.
func TestTheCommittedReportHasTheHTTPSFigures(t *testing.T) {
	report, err := os.ReadFile("../../../docs/heal-report.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(report), "\n## HTTPS\n")
	if !ok {
		t.Fatal("heal-report.md has no HTTPS section; run `make heal-report`")
	}
	for _, want := range []string{"| time to first certificate", "| orders made at the CA (first boot and 10 heals) |", "| heal with HTTPS"} {
		if !strings.Contains(section, want) {
			t.Errorf("heal-report.md's HTTPS section lacks %q:\n%s", want, section)
		}
	}
}
