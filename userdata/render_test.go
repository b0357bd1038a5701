package userdata_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/testenv"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// hostile values that must come out of their quoting exactly as they went in.
var hostile = []string{
	"",
	"plain",
	"'; rm -rf / #",
	"$(id)",
	"`id`",
	"${HOME}",
	`\'`,
	"'\\''",
	"\"; touch /tmp/pwned; \"",
	"line one\nline two\n",
	"'''",
	"!!",
	"#!/bin/sh\necho \"$@\" > /dev/null\n",
	"EOF\n'EOF'\nSCRIPT\n",
	"\t\r\x01\x7f\u00e9\u2028",
}

// bashEcho runs a bash script and returns what it printed.
func bashEcho(t *testing.T, script string) string {
	t.Helper()
	out, err := exec.Command("bash", "-c", script).Output()
	if err != nil {
		t.Fatalf("bash failed: %v\n%s", err, script)
	}
	return string(out)
}

func TestShellQuoteRoundTrips(t *testing.T) {
	testenv.RequireTool(t, "bash", "apt-get install bash")
	for _, value := range hostile {
		if got := bashEcho(t, "printf '%s' "+userdata.ShellQuote(value)); got != value {
			t.Errorf("ShellQuote(%q) came back from bash as %q", value, got)
		}
	}
}

// templatedValues renders the boot script and runs only its head, up to
// the line after the templated assignments, then prints what bash holds.
func templatedValues(t *testing.T, p userdata.Params) (allocationID, userScript string) {
	t.Helper()
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatalf("Render(%+v): %v", p, err)
	}
	const marker = "# Tests point this at a metadata mock"
	head, _, found := strings.Cut(script, marker)
	if !found {
		t.Fatalf("the rendered script lost its marker %q", marker)
	}
	out := bashEcho(t, head+"\nprintf '%s\\0%s' \"$allocation_id\" \"$user_script\"\n")
	allocationID, userScript, _ = strings.Cut(out, "\x00")
	return allocationID, userScript
}

func TestTemplatedValuesCannotEscapeTheirQuoting(t *testing.T) {
	testenv.RequireTool(t, "bash", "apt-get install bash")
	for _, value := range hostile {
		gotID, gotScript := templatedValues(t, userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", UserScript: value})
		if gotID != "eipalloc-0123456789abcdef0" || gotScript != value {
			t.Errorf("user script %q became %q (allocation %q)", value, gotScript, gotID)
		}
	}
}

func FuzzUserScriptStaysQuoted(f *testing.F) {
	for _, value := range hostile {
		f.Add(value)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if strings.ContainsRune(value, 0) {
			if _, err := userdata.Render(userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", UserScript: value}); err == nil {
				t.Fatal("a NUL byte was accepted; bash would cut the script there")
			}
			return
		}
		if len(value) > 4096 {
			return
		}
		if _, got := templatedValues(t, userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", UserScript: value}); got != value {
			t.Errorf("user script %q became %q", value, got)
		}
	})
}

func TestRenderRefusesBadParams(t *testing.T) {
	for _, tc := range []struct {
		params userdata.Params
		want   string
	}{
		{userdata.Params{AllocationID: "eipalloc-0123456789abcdef0'; id; '"}, "allocationId"},
		{userdata.Params{AllocationID: ""}, "allocationId"},
		{userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", UserScript: "a\x00b"}, "NUL"},
		{userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", UserScript: strings.Repeat("x", userdata.MaxBytes)}, "16384-byte"},
	} {
		if _, err := userdata.Render(tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Render(%.60q): err = %v, want one mentioning %q", tc.params.AllocationID+" "+tc.params.UserScript, err, tc.want)
		}
	}
}

// paramCombinations covers every option the script has: the shortest and
// longest allocation ids, and each kind of user script.
func paramCombinations() []userdata.Params {
	var out []userdata.Params
	for _, id := range []string{"eipalloc-12345678", "eipalloc-0123456789abcdef0"} {
		for _, script := range []string{"", "systemctl start app", "#!/usr/bin/env python3\nprint('hi')\n", hostile[3] + hostile[9]} {
			out = append(out, userdata.Params{AllocationID: id, UserScript: script})
		}
	}
	return append(out, sectionCombinations()...)
}

func TestRenderedScriptPassesBashAndShellcheck(t *testing.T) {
	testenv.RequireTool(t, "bash", "apt-get install bash")
	testenv.RequireTool(t, "shellcheck", "apt-get install shellcheck")
	for _, p := range paramCombinations() {
		script, err := userdata.Render(p)
		if err != nil {
			t.Fatalf("Render(%+v): %v", p, err)
		}
		if out, err := run("bash", script, "-n"); err != nil {
			t.Errorf("bash -n rejects the script for %+v: %v\n%s", p, err, out)
		}
		// Every severity down to style, plus the optional checks that
		// catch a missing default case and unquoted-looking variables.
		if out, err := run("shellcheck", script, "-s", "bash", "-S", "style", "-o", "add-default-case,quote-safe-variables,require-double-brackets", "-"); err != nil {
			t.Errorf("shellcheck for %+v: %v\n%s", p, err, out)
		}
	}
}

func run(name, stdin string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// maxBootScriptBytes keeps room under EC2's 16 KB limit for users' scripts:
// a change that grows the boot script past it fails here, not on EC2.
const maxBootScriptBytes = 12 * 1024

func TestBootScriptLeavesRoomForUserScripts(t *testing.T) {
	script, err := userdata.Render(userdata.Params{AllocationID: "eipalloc-0123456789abcdef0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(script) > maxBootScriptBytes {
		t.Errorf("the boot script alone is %d bytes; keep it under %d so user scripts get at least %d of EC2's %d",
			len(script), maxBootScriptBytes, userdata.MaxBytes-maxBootScriptBytes, userdata.MaxBytes)
	}
	// The largest user script that fits renders to exactly the limit.
	room := userdata.MaxBytes - len(script)
	if full, err := userdata.Render(userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", UserScript: strings.Repeat("#", room)}); err != nil || len(full) != userdata.MaxBytes {
		t.Errorf("a %d-byte user script: len %d, err %v; want exactly %d bytes", room, len(full), err, userdata.MaxBytes)
	}
	if _, err := userdata.Render(userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", UserScript: strings.Repeat("#", room+1)}); err == nil {
		t.Errorf("a %d-byte user script was accepted past the limit", room+1)
	}
}

func TestScriptDefaultsToTheLinkLocalMetadataService(t *testing.T) {
	script, err := userdata.Render(userdata.Params{AllocationID: "eipalloc-0123456789abcdef0"})
	if err != nil {
		t.Fatal(err)
	}
	want := `imds_endpoint="${` + userdata.IMDSEndpointEnv + `:-` + userdata.DefaultIMDSEndpoint + `}"`
	if !strings.Contains(script, want) || userdata.DefaultIMDSEndpoint != "http://169.254.169.254" {
		t.Errorf("the script does not default the metadata endpoint with %s", want)
	}
	if n := strings.Count(script, "SELFHEALING_"); n != 1 {
		t.Errorf("the script reads %d SELFHEALING_ variables, want exactly the one documented test override", n)
	}
}
