package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// InstanceDirs are the directories a boot script writes on an instance. A
// first boot sees each one fresh: [RunFirstBoot] binds a directory of the
// simulated instance's own over each, in a private mount namespace. /srv is
// among them so that a test can mount data volumes under it, on a mount
// point of the instance's own.
var InstanceDirs = []string{"/var/log", "/var/lib", "/run", "/srv"}

// InstanceOverlays are the host directories a simulated instance sees with
// its own changes over them: an overlay whose upper layer is the
// instance's own copy (InstanceRoot/etc, InstanceRoot/usr/local), so that
// the host's files stay visible (the AWS CLI may live in /usr/local) and
// untouched. /etc holds the instance's fstab and systemd units,
// /usr/local the programs a boot script installs for later boots.
var InstanceOverlays = []string{"/etc", "/usr/local"}

// DefaultFstab is the /etc/fstab an instance starts with, unless its
// InstanceRoot already holds one: the root line Amazon Linux 2023 has, which
// a script that edits the file must keep.
const DefaultFstab = "UUID=00000000-0000-4000-8000-000000000000     /           xfs    defaults,noatime  1   1\n"

// InstanceRoot is a directory that stands in for one instance's writable
// file system: InstanceRoot/var/log is the instance's /var/log, and so on.
// InstanceRoot/etc holds what the instance changed in /etc, its /etc/fstab
// first of all.
type InstanceRoot string

// Path returns where an absolute instance path, such as
// "/var/log/selfhealing-boot.log", lies on the host.
func (r InstanceRoot) Path(instancePath string) string {
	return filepath.Join(string(r), instancePath)
}

// ReadFile returns the contents of an absolute instance path, or "" if the
// file does not exist.
func (r InstanceRoot) ReadFile(instancePath string) string {
	b, err := os.ReadFile(r.Path(instancePath))
	if err != nil {
		return ""
	}
	return string(b)
}

// RunFirstBoot runs userData as cloud-init runs user data at an instance's
// first boot: as root, under bash, with exactly env. It runs in a private
// mount namespace (unshare, so it needs root) in which each of
// [InstanceDirs] is root's own copy, and /etc and /usr/local are the host's
// with root's changes over them ([InstanceOverlays]; root/etc holds the
// instance's own /etc/fstab, [DefaultFstab] at first), so that the script
// cannot touch the host's files and the caller can read what it left.
// Whatever the script mounts is gone with the namespace when it exits.
//
// It returns an error only if the script could not be run or ctx ended; a
// failing script is a result with a non-zero ExitCode.
func RunFirstBoot(ctx context.Context, root InstanceRoot, userData []byte, env []string) (CommandResult, error) {
	results, err := RunBoots(ctx, root, userData, env, 1)
	if len(results) == 0 {
		return CommandResult{}, err
	}
	return results[0], err
}

// RunBoots is [RunFirstBoot], but runs userData runs times, one after the
// other, in the same mount namespace, as someone re-running the user data
// on a live instance would: what one run mounted, the next one finds
// mounted. It returns one result per run that finished; a run killed by
// signal N has ExitCode 128+N, as bash reports it.
func RunBoots(ctx context.Context, root InstanceRoot, userData []byte, env []string, runs int) ([]CommandResult, error) {
	if runs < 1 {
		return nil, fmt.Errorf("RunBoots: runs = %d, want at least 1", runs)
	}
	setup, script, outputs, err := prepareInstance(root, userData)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outputs)
	return runWrapped(ctx, env, setup, script, outputs, runs, false)
}

// RunBootsAtOnce is [RunBoots], but starts the runs all at once, as user
// data and selfhealing-boot.service would run together should an image
// made from an instance carry the unit into a first boot. It returns one
// result per run that finished, in the order they were started.
func RunBootsAtOnce(ctx context.Context, root InstanceRoot, userData []byte, env []string, runs int) ([]CommandResult, error) {
	if runs < 1 {
		return nil, fmt.Errorf("RunBootsAtOnce: runs = %d, want at least 1", runs)
	}
	setup, script, outputs, err := prepareInstance(root, userData)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outputs)
	return runWrapped(ctx, env, setup, script, outputs, runs, true)
}

// runInNamespace runs the bash script at scriptPath (as the namespace sees
// it) runs times, after the mount commands in setup, in one private mount
// namespace, and returns one result per run that finished.
func runInNamespace(ctx context.Context, root InstanceRoot, setup []string, scriptPath string, env []string, runs int) ([]CommandResult, error) {
	outputs, err := os.MkdirTemp(string(root), ".runs-")
	if err != nil {
		return nil, fmt.Errorf("preparing the run outputs: %w", err)
	}
	defer os.RemoveAll(outputs)
	return runWrapped(ctx, env, strings.Join(setup, " && "), scriptPath, outputs, runs, false)
}

// runWrapped runs script runs times in one private mount namespace set up
// by the shell commands setup, one after the other or, if together, all at
// once, each run's output and exit status going to files in outputs, and
// returns one result per run that finished.
func runWrapped(ctx context.Context, env []string, setup, script, outputs string, runs int, together bool) ([]CommandResult, error) {
	background := ""
	if together {
		background = " &"
	}
	wrapper := setup + ` || exit 125
run() {
  local rc=0
  bash "$script" >"$outputs/$1.stdout" 2>"$outputs/$1.stderr" </dev/null || rc=$?
  echo "$rc" >"$outputs/$1.rc"
}
script=$0 outputs=$2
for ((i = 1; i <= $1; i++)); do
  run "$i"` + background + `
done
wait`
	wrapped, err := RunCommand(ctx, env, "unshare", "--mount", "--propagation", "private",
		"bash", "-c", wrapper, script, strconv.Itoa(runs), outputs)
	var results []CommandResult
	for i := 1; i <= runs; i++ {
		res, ok, readErr := readRun(outputs, i)
		if readErr != nil {
			return results, readErr
		}
		if !ok {
			break
		}
		results = append(results, res)
	}
	if err != nil {
		return results, err
	}
	if len(results) < runs {
		return results, fmt.Errorf("setting up the instance's mount namespace failed:\n%s", wrapped)
	}
	return results, nil
}

// userDataPath is where cloud-init keeps the user data on an instance.
const userDataPath = "/var/lib/cloud/instance/user-data.txt"

// prepareInstance makes root ready for a boot: the instance's directories,
// its /etc with an fstab, the user data at userDataPath, and a directory
// for the runs' outputs, outside the instance's directories. It returns the
// shell commands that set up the instance's mount namespace, joined by &&,
// the user data's path on the instance, and the outputs directory.
func prepareInstance(root InstanceRoot, userData []byte) (setup, script, outputs string, err error) {
	commands, err := namespaceSetup(root)
	if err != nil {
		return "", "", "", err
	}
	hostScript := root.Path(userDataPath)
	if err := os.MkdirAll(filepath.Dir(hostScript), 0o755); err != nil {
		return "", "", "", fmt.Errorf("writing the user data: %w", err)
	}
	if err := os.WriteFile(hostScript, userData, 0o700); err != nil {
		return "", "", "", fmt.Errorf("writing the user data: %w", err)
	}
	// Each call's runs write their output to files of their own, outside
	// the instance's directories; the wrapper's own output is only the
	// namespace set-up's.
	if outputs, err = os.MkdirTemp(string(root), ".boot-runs-"); err != nil {
		return "", "", "", fmt.Errorf("preparing the run outputs: %w", err)
	}
	return strings.Join(commands, " && "), userDataPath, outputs, nil
}

// namespaceSetup prepares root's directories and returns the mount
// commands that give a private mount namespace the instance's own
// [InstanceDirs] and [InstanceOverlays].
func namespaceSetup(root InstanceRoot) ([]string, error) {
	if strings.ContainsRune(string(root), '\'') {
		return nil, fmt.Errorf("instance root %q: a quote in the path is not supported", root)
	}
	// The overlay's options are comma-separated (a subtest's name with a
	// comma lands in t.TempDir's path).
	if strings.ContainsRune(string(root), ',') {
		return nil, fmt.Errorf("instance root %q: a comma in the path is not supported (overlay mount options)", root)
	}
	var setup []string
	for _, dir := range InstanceDirs {
		if err := os.MkdirAll(root.Path(dir), 0o755); err != nil {
			return nil, fmt.Errorf("preparing the instance's %s: %w", dir, err)
		}
		setup = append(setup, fmt.Sprintf("mount --bind '%s' '%s'", root.Path(dir), dir))
	}
	// A file bound over /etc/fstab could not be replaced by a rename, as
	// careful scripts (ours) replace it; an overlay's files can.
	for _, dir := range InstanceOverlays {
		upper, work := root.Path(dir), root.Path("/.overlay-work"+dir)
		for _, d := range []string{upper, work} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, fmt.Errorf("preparing the instance's %s: %w", dir, err)
			}
		}
		setup = append(setup, fmt.Sprintf("mount -t overlay instance-overlay -o 'lowerdir=%s,upperdir=%s,workdir=%s' '%s'", dir, upper, work, dir))
	}
	if _, err := os.Stat(root.Path("/etc/fstab")); os.IsNotExist(err) {
		if err := os.WriteFile(root.Path("/etc/fstab"), []byte(DefaultFstab), 0o644); err != nil {
			return nil, fmt.Errorf("writing the instance's /etc/fstab: %w", err)
		}
	}
	return setup, nil
}

// readRun reads the result of boot run i from outputs; ok is false if the
// run has not finished.
func readRun(outputs string, i int) (res CommandResult, ok bool, err error) {
	rc, rcErr := os.ReadFile(filepath.Join(outputs, fmt.Sprintf("%d.rc", i)))
	if rcErr != nil {
		return CommandResult{}, false, nil
	}
	stdout, _ := os.ReadFile(filepath.Join(outputs, fmt.Sprintf("%d.stdout", i)))
	stderr, _ := os.ReadFile(filepath.Join(outputs, fmt.Sprintf("%d.stderr", i)))
	code, convErr := strconv.Atoi(strings.TrimSpace(string(rc)))
	if convErr != nil {
		return CommandResult{}, false, fmt.Errorf("run %d: exit status %q: %w", i, rc, convErr)
	}
	return CommandResult{Stdout: string(stdout), Stderr: string(stderr), ExitCode: code}, true, nil
}

// RequireFirstBoot checks for what [RunFirstBoot] and a boot script that
// calls AWS need: root, unshare, bash, curl and AWS CLI v2. Like
// [RequireTool], it fails the test in CI and skips it elsewhere, saying what
// is missing.
func RequireFirstBoot(t testing.TB) {
	t.Helper()
	RequireTool(t, "unshare", "apt-get install util-linux")
	RequireTool(t, "bash", "apt-get install bash")
	RequireTool(t, "curl", "apt-get install curl")
	RequireAWSCLIv2(t)
	if os.Geteuid() == 0 {
		return
	}
	const why = "a simulated first boot needs root, to give the instance its own /var/log, /var/lib, /run, /srv, /etc and /usr/local in a private mount namespace"
	if InCI() {
		t.Fatal(why)
	}
	t.Skip("skipping: " + why + " (run the tests with sudo)")
}
