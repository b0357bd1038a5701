package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// commandWaitDelay bounds how long RunCommand waits for a killed command's
// output pipes to close, in case something outside its process group still
// holds them.
const commandWaitDelay = 5 * time.Second

// CommandResult is what a command that ran to completion produced.
type CommandResult struct {
	// Stdout and Stderr hold everything the command wrote.
	Stdout, Stderr string
	// ExitCode is the command's exit status; it is -1 if the command was
	// ended by a signal.
	ExitCode int
}

// String summarises the result for test failure messages.
func (r CommandResult) String() string {
	return fmt.Sprintf("exit code %d\n--- stdout:\n%s\n--- stderr:\n%s", r.ExitCode, r.Stdout, r.Stderr)
}

// RunCommand runs name with args in a new process group, with exactly the
// environment env (nothing is inherited; see [CLIEnv]) and no standard input.
//
// It returns an error only if the command could not be started or ctx ended
// before it finished; in that case the whole process group is killed. A
// non-zero exit status is not an error: it is reported in
// [CommandResult.ExitCode]. When the command exits, whatever it left running
// in its process group (background jobs of a script, say) is killed too, so a
// test leaves no orphans behind; if such a leftover keeps the command's
// stdout or stderr open, RunCommand waits for it at most 5s and then returns
// an error (exec.ErrWaitDelay), since a boot script should not do that.
func RunCommand(ctx context.Context, env []string, name string, args ...string) (CommandResult, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append([]string{}, env...) // non-nil even if env is empty: inherit nothing
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return killGroup(cmd.Process.Pid)
	}
	cmd.WaitDelay = commandWaitDelay

	if err := cmd.Start(); err != nil {
		return CommandResult{}, fmt.Errorf("start %s: %w", name, err)
	}
	waitErr := cmd.Wait()
	killErr := killGroup(cmd.Process.Pid)
	res := CommandResult{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: cmd.ProcessState.ExitCode()}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return res, fmt.Errorf("run %s: %w", name, ctxErr)
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return res, fmt.Errorf("run %s: %w", name, waitErr)
	}
	if killErr != nil {
		return res, fmt.Errorf("run %s: clean up its process group: %w", name, killErr)
	}
	return res, nil
}

// killGroup sends SIGKILL to the process group pgid; a group that no longer
// exists is not an error.
func killGroup(pgid int) error {
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", pgid, err)
	}
	return nil
}
