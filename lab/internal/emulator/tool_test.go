package emulator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRequireToolFound(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "fake-tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		var got string
		f := runFake(t, func(tb testing.TB) { got = RequireTool(tb, "fake-tool", "make one") })
		if fatal, skip := f.outcome(); fatal != "" || skip != "" {
			t.Errorf("CI=%q: RequireTool of an installed tool ended the test: fatal %q, skip %q", ci, fatal, skip)
		}
		if got != tool {
			t.Errorf("CI=%q: RequireTool = %q, want %q", ci, got, tool)
		}
	}
}

func TestRequireToolMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	const hint = "apt-get install no-such-tool"
	for _, tc := range []struct {
		ci        string
		wantFatal bool
	}{
		{ci: "", wantFatal: false},
		{ci: "true", wantFatal: true},
		{ci: "1", wantFatal: true},
	} {
		t.Setenv("CI", tc.ci)
		f := runFake(t, func(tb testing.TB) {
			RequireTool(tb, "no-such-tool", hint)
			t.Errorf("CI=%q: RequireTool returned for a missing tool", tc.ci)
		})
		fatal, skip := f.outcome()
		msg := skip
		if tc.wantFatal {
			msg = fatal
			if skip != "" {
				t.Errorf("CI=%q: RequireTool skipped (%q); it must never skip in CI", tc.ci, skip)
			}
		} else if fatal != "" {
			t.Errorf("CI=%q: RequireTool failed the test (%q), want a skip outside CI", tc.ci, fatal)
		}
		if !strings.Contains(msg, "no-such-tool") || !strings.Contains(msg, hint) {
			t.Errorf("CI=%q: message %q should name the tool and the install hint", tc.ci, msg)
		}
	}
}
