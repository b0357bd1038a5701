package userdata_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/shellquote"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestFailedLineNamesTheSourceFileAndLine: a command that fails where the
// script expects no failure ends the boot through its error trap, whose
// FAILED line names the file in userdata/sh and the line there that holds
// the command, not a line of the rendered script, whose comments are gone.
// A PATH shim makes the command fail, only on the argument given.
func TestFailedLineNamesTheSourceFileAndLine(t *testing.T) {
	emulator.RequireFirstBoot(t)
	for _, tc := range []struct {
		name, tool, failOn, file, command string
	}{
		{"at the top level of main.sh", "mkdir", "/var/lib/selfhealing", "main.sh", `mkdir -p "$state_dir" "$status_dir"`},
		{"in a function of common.sh", "mv", "/run/selfhealing/status", "common.sh", `mv -f "$tmp" "$status_dir/status"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			line := sourceLineOf(t, tc.file, tc.command)
			bin := t.TempDir()
			real, err := exec.LookPath(tc.tool)
			if err != nil {
				t.Fatal(err)
			}
			shim := "#!/bin/bash\nfor arg; do [[ \"$arg\" != " + shellquote.Quote(tc.failOn) + " ]] || exit 3; done\nexec " + shellquote.Quote(real) + " \"$@\"\n"
			if err := os.WriteFile(filepath.Join(bin, tc.tool), []byte(shim), 0o755); err != nil {
				t.Fatal(err)
			}
			// The script checks that the AWS CLI is installed before it
			// fails here; it never calls it.
			if err := os.WriteFile(filepath.Join(bin, "aws"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			script, err := userdata.Render(userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0"})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), hangBound)
			defer cancel()
			env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "LANG=C.UTF-8"}
			res, err := emulator.RunFirstBoot(ctx, emulator.InstanceRoot(t.TempDir()), []byte(script), env)
			if err != nil {
				t.Fatalf("running the boot script: %v\n%s", err, res)
			}
			want := fmt.Sprintf("command exited 3 at userdata/sh/%s:%d", tc.file, line)
			var failed []string
			for _, l := range strings.Split(res.Stderr, "\n") {
				if strings.Contains(l, "FAILED") {
					failed = append(failed, l)
				}
			}
			if res.ExitCode == 0 || len(failed) != 1 || !strings.HasSuffix(failed[0], want) {
				t.Errorf("FAILED lines %q (exit %d); want one, ending %q, the line of sh/%s that holds %s\n%s",
					failed, res.ExitCode, want, tc.file, tc.command, res.Stderr)
			}
		})
	}
}

// sourceLineOf returns the line number in sh/file of the one line that
// starts with command.
func sourceLineOf(t *testing.T, file, command string) int {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "userdata", "sh", file))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for i, l := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), command) {
			if found != 0 {
				t.Fatalf("sh/%s holds %s on lines %d and %d", file, command, found, i+1)
			}
			found = i + 1
		}
	}
	if found == 0 {
		t.Fatalf("sh/%s holds no line starting %s", file, command)
	}
	return found
}
