package heallab

import (
	"strings"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

func TestVolumeResultSaysWhetherTheDataIsIntact(t *testing.T) {
	const sum = "4f1c2d0e9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e"
	for _, tc := range []struct {
		name   string
		v      VolumeResult
		intact bool
		state  string
	}{
		{"no data volume", VolumeResult{}, true, "none"},
		{"mounted, nothing written yet", VolumeResult{Present: true, Mounted: true}, true, "intact"},
		{"mounted with the data", VolumeResult{Present: true, Mounted: true, Found: sum, Want: sum}, true, "intact"},
		{"mounted, file gone", VolumeResult{Present: true, Mounted: true, Want: sum}, false, "changed"},
		{"another device mounted", VolumeResult{Present: true, MountedFrom: "/dev/loop9", Want: sum}, false, "not-mounted"},
		{"not mounted", VolumeResult{Present: true}, false, "not-mounted"},
	} {
		if got := tc.v.Intact(); got != tc.intact {
			t.Errorf("%s: Intact() = %v, want %v", tc.name, got, tc.intact)
		}
		if got := tc.v.state(); got != tc.state {
			t.Errorf("%s: state() = %q, want %q", tc.name, got, tc.state)
		}
	}
}

func TestVolumeWaitIsReportedOnlyWhenTheBootFoundItHeld(t *testing.T) {
	kill := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	free := kill.Add(10 * time.Second)
	held := VolumeResult{Present: true, Mounted: true, HeldFor: 10 * time.Second, FreeAt: free,
		FirstAsked: kill.Add(3 * time.Second), MountedAt: free.Add(1500 * time.Millisecond)}
	late := held
	late.FirstAsked = free.Add(time.Second)
	m := func(v VolumeResult) Measurement {
		return Measurement{Scenario: Scenario{Name: "volume-held"}, Result: BootResult{Script: Ours, Healed: true, HoldsAddress: true, Volume: v}}
	}

	if !held.Waited() || !held.HeldWhenAsked(time.Second) || held.HeldWhenAsked(8*time.Second) {
		t.Errorf("asked 7 s before the release: Waited %v, HeldWhenAsked(1s) %v, HeldWhenAsked(8s) %v; want true, true, false",
			held.Waited(), held.HeldWhenAsked(time.Second), held.HeldWhenAsked(8*time.Second))
	}
	if line := m(held).HealLine(); !strings.Contains(line, " volume=intact volume_held_ms=10000 mounted_after_free_ms=1500 ") {
		t.Errorf("HealLine() = %q", line)
	}
	if got := m(held).volumeHow(); got != "mounted; held by the dead instance for 10s, mounted 1500 ms after it came free" {
		t.Errorf("volumeHow() = %q", got)
	}

	if late.Waited() {
		t.Error("a boot that asked after the release waited, says Waited")
	}
	if line := m(late).HealLine(); !strings.Contains(line, " volume_held_ms=10000 mounted_after_free_ms=-1 ") {
		t.Errorf("HealLine() = %q, want no mount-after-free time for a boot that did not wait", line)
	}
	if got := m(late).volumeHow(); got != "mounted; held for 10s, free before the boot asked" {
		t.Errorf("volumeHow() = %q", got)
	}
}

func TestTheSeedScriptsLostVolumeIsASilentFailure(t *testing.T) {
	m := Measurement{
		Scenario: Scenario{Name: "replacement", Description: "d"}, Stack: "dev",
		Result: BootResult{Script: Seed, Silent: true, HoldsAddress: true, Volume: VolumeResult{Present: true},
			CommandResult: emulator.CommandResult{ExitCode: 0}, Associated: 600 * time.Millisecond, Ready: -1},
	}
	var b strings.Builder
	if err := WriteMarkdown(&b, []Measurement{m}, "# r\n"); err != nil {
		t.Fatal(err)
	}
	want := "| replacement | seed | dev | failed **silently** (exit 0): the data volume is not mounted | 600 ms | never | 0 | not attached |"
	if !strings.Contains(b.String(), want) {
		t.Errorf("report:\n%s\nwant the row %q", b.String(), want)
	}
}
