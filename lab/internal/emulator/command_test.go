package emulator

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRunCommandCapturesOutputAndExitCode(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	ctx := testContext(t, time.Minute)
	res, err := RunCommand(ctx, nil, sh, "-c", "echo out; echo err >&2; exit 7")
	if err != nil {
		t.Fatalf("RunCommand: %v", err)
	}
	if res.Stdout != "out\n" || res.Stderr != "err\n" || res.ExitCode != 7 {
		t.Errorf("RunCommand = %+v, want stdout \"out\\n\", stderr \"err\\n\", exit code 7", res)
	}
}

func TestRunCommandUsesExactlyTheGivenEnvironment(t *testing.T) {
	envCmd := RequireTool(t, "env", "install coreutils")
	t.Setenv("TESTENV_LEAK", "leaked")
	ctx := testContext(t, time.Minute)
	res, err := RunCommand(ctx, []string{"ONLY=this"}, envCmd)
	if err != nil {
		t.Fatalf("RunCommand: %v", err)
	}
	if res.Stdout != "ONLY=this\n" {
		t.Errorf("the command saw environment %q, want exactly \"ONLY=this\\n\"", res.Stdout)
	}
}

func TestRunCommandMissingProgram(t *testing.T) {
	ctx := testContext(t, time.Minute)
	if _, err := RunCommand(ctx, nil, "/nonexistent/program"); err == nil {
		t.Error("RunCommand of a missing program returned no error")
	}
}

// TestRunCommandContextKillsProcessGroup shows that when ctx ends, the
// command and everything it started are killed and RunCommand reports why.
func TestRunCommandContextKillsProcessGroup(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	// The bound is what is being tested: the script would otherwise run for
	// five minutes.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	res, err := RunCommand(ctx, nil, sh, "-c", "sleep 300 & echo $!; wait")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunCommand error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	pid, convErr := strconv.Atoi(strings.TrimSpace(res.Stdout))
	if convErr != nil {
		t.Fatalf("script printed %q, not a PID", res.Stdout)
	}
	waitGone(t, pid)
}

// TestRunCommandKillsLeftovers shows that a background job a command leaves
// behind does not outlive RunCommand.
func TestRunCommandKillsLeftovers(t *testing.T) {
	sh := RequireTool(t, "sh", "install a POSIX shell")
	ctx := testContext(t, time.Minute)
	res, err := RunCommand(ctx, nil, sh, "-c", "sleep 300 >/dev/null 2>&1 & echo $!")
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("RunCommand = %v, %v", res, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
	if err != nil {
		t.Fatalf("script printed %q, not a PID", res.Stdout)
	}
	waitGone(t, pid)
}
