package emulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LiveInstance is a simulated instance that stays up after its first boot,
// as an EC2 instance does. Its private mount namespace, and whatever the
// user data mounted in it, lives until [LiveInstance.Stop], as an
// instance's file systems stay mounted until it is terminated; meanwhile
// [LiveInstance.Run] runs further commands on it. Boot one with
// [BootInstanceE].
type LiveInstance struct {
	// Root is the instance's writable file system, as for [RunFirstBoot].
	Root InstanceRoot
	// Boot is what the user data's run produced.
	Boot CommandResult

	env  []string
	proc *process
}

// liveBootPoll is how often BootInstanceE looks for the end of the boot.
const liveBootPoll = 25 * time.Millisecond

// BootInstanceE runs userData as [RunFirstBoot] does (as root, with exactly
// env, in a private mount namespace with the instance's own [InstanceDirs]
// and /etc), but executes the file itself, as cloud-init runs a user-data
// script: the kernel reads its "#!" line, options included ("#!/bin/bash
// -ex" runs it under bash -e -x). It keeps the namespace when the user data
// exits: the instance stays up until Stop. It returns once the user data
// has exited, whatever its exit code. It returns an error if the user data
// could not be run or ctx ended first; the instance is then stopped. The
// caller must Stop the instance. On Linux the instance also stops if the
// caller dies.
func BootInstanceE(ctx context.Context, root InstanceRoot, userData []byte, env []string) (*LiveInstance, error) {
	setup, script, outputs, err := prepareInstance(root, userData)
	if err != nil {
		return nil, err
	}
	return startLive(ctx, root, setup, script, outputs, env)
}

// StartInstanceE starts root again, as EC2 starts a stopped instance: /run
// is empty ([InstanceRoot.Reboot]), its disk is as it was, cloud-init runs
// no user data, and systemd runs what the instance installed: script,
// under bash (what a unit's ExecStart runs, such as "exec
// /usr/local/libexec/selfhealing/boot"). It leaves the user data alone and
// keeps the namespace as [BootInstanceE] does; the caller must Stop the
// instance.
func StartInstanceE(ctx context.Context, root InstanceRoot, script string, env []string) (*LiveInstance, error) {
	if err := root.Reboot(); err != nil {
		return nil, err
	}
	commands, err := namespaceSetup(root)
	if err != nil {
		return nil, err
	}
	outputs, err := os.MkdirTemp(string(root), ".boot-runs-")
	if err != nil {
		return nil, fmt.Errorf("preparing the run outputs: %w", err)
	}
	// Outside the instance's directories, as RunOnInstance keeps its
	// command.
	path := filepath.Join(outputs, "start.sh")
	if err := os.WriteFile(path, []byte("#!/bin/bash\n"+script), 0o700); err != nil {
		return nil, fmt.Errorf("writing the start command: %w", err)
	}
	return startLive(ctx, root, strings.Join(commands, " && "), path, outputs, env)
}

// startLive runs the executable script in a private mount namespace set
// up by setup, its output and exit status going to outputs, and keeps the
// namespace once it exits, for [BootInstanceE] and [StartInstanceE].
func startLive(ctx context.Context, root InstanceRoot, setup, script, outputs string, env []string) (*LiveInstance, error) {
	// The namespace lives as long as its last process: once the user data
	// has exited, the wrapper becomes a sleep that Stop ends. The exit
	// status appears by rename, so it is never read half-written.
	wrapper := setup + ` || exit 125
rc=0
"$0" >"$1/1.stdout" 2>"$1/1.stderr" </dev/null || rc=$?
echo "$rc" >"$1/1.rc.tmp" && mv -f "$1/1.rc.tmp" "$1/1.rc" || exit 126
exec sleep infinity`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "bash", "-c", wrapper, script, outputs)
	cmd.Env = append([]string{}, env...) // inherit nothing
	proc, err := startProcess("instance", cmd, outputs+"/namespace.log")
	if err != nil {
		return nil, err
	}
	inst := &LiveInstance{Root: root, env: cmd.Env, proc: proc}
	for {
		res, done, err := readRun(outputs, 1)
		if err != nil {
			return nil, errors.Join(err, inst.Stop())
		}
		if done {
			inst.Boot = res
			return inst, nil
		}
		select {
		case <-proc.exited:
			// It may have finished just now, and exited at once after.
			if res, done, err := readRun(outputs, 1); err == nil && done {
				return nil, errors.Join(fmt.Errorf("the instance's namespace ended right after its boot (%v):\n%s\nboot: %s", proc.waitErr, proc.logTail(), res), inst.Stop())
			}
			return nil, errors.Join(fmt.Errorf("setting up the instance's mount namespace failed (%v):\n%s", proc.waitErr, proc.logTail()), inst.Stop())
		case <-ctx.Done():
			return nil, errors.Join(fmt.Errorf("booting the instance: %w", ctx.Err()), inst.Stop())
		case <-time.After(liveBootPoll):
		}
	}
}

// Run runs script under bash, as root, on the instance: in its mount
// namespace, so that it sees what the boot mounted, with the boot's
// environment plus extraEnv ("NAME=value"), as a command sent to a running
// instance (Session Manager, say) would run. Like [RunCommand], it returns
// an error only if the command could not run or ctx ended, and an error if
// the instance is stopped.
func (i *LiveInstance) Run(ctx context.Context, script string, extraEnv ...string) (CommandResult, error) {
	select {
	case <-i.proc.exited:
		return CommandResult{}, errors.New("the instance is stopped")
	default:
	}
	env := append(append([]string{}, i.env...), extraEnv...)
	return RunCommand(ctx, env, "nsenter", "--target", strconv.Itoa(i.proc.cmd.Process.Pid), "--mount", "--", "bash", "-c", script)
}

// Stop ends the instance: the namespace ends with its processes, and with
// it every mount the instance made, as when EC2 terminates an instance.
// Only the first call does anything; later calls return its result.
func (i *LiveInstance) Stop() error {
	return i.proc.stop()
}

// Pid is the process that holds the instance's namespace, while it is up.
func (i *LiveInstance) Pid() int {
	return i.proc.cmd.Process.Pid
}

// Service runs script under bash on the instance as a systemd service's
// ExecStart runs: in the instance's namespace, with the boot's
// environment, and whatever it starts in the background (an application
// its boot script's user script starts) keeps running after it exits,
// until the instance stops, as in the unit's cgroup. It returns at once;
// the channel receives script's result when it exits.
func (i *LiveInstance) Service(script string) (<-chan CommandResult, error) {
	select {
	case <-i.proc.exited:
		return nil, errors.New("the instance is stopped")
	default:
	}
	dir, err := os.MkdirTemp(string(i.Root), ".service-")
	if err != nil {
		return nil, fmt.Errorf("preparing the service's output: %w", err)
	}
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		return nil, err
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		stdout.Close()
		return nil, err
	}
	cmd := exec.Command("nsenter", "--target", strconv.Itoa(i.Pid()), "--mount", "--", "bash", "-c", script)
	cmd.Env = append([]string{}, i.env...)
	// Files, not pipes: what it leaves running holds them, and Wait
	// returns when script exits all the same. In the instance's process
	// group, so that Stop ends it and what it started.
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: i.Pid()}
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return nil, fmt.Errorf("starting the service on the instance: %w", err)
	}
	done := make(chan CommandResult, 1)
	go func() {
		err := cmd.Wait()
		stdout.Close()
		stderr.Close()
		res := CommandResult{ExitCode: cmd.ProcessState.ExitCode()}
		if err != nil && res.ExitCode == -1 {
			res.ExitCode = 128 + int(cmd.ProcessState.Sys().(syscall.WaitStatus).Signal())
		}
		out, _ := os.ReadFile(stdout.Name())
		errOut, _ := os.ReadFile(stderr.Name())
		res.Stdout, res.Stderr = string(out), string(errOut)
		done <- res
	}()
	return done, nil
}
