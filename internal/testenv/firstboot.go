package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// InstanceDirs are the directories a boot script writes on an instance. A
// first boot sees each one fresh: [RunFirstBoot] binds a directory of the
// simulated instance's own over each, in a private mount namespace.
var InstanceDirs = []string{"/var/log", "/var/lib", "/run"}

// InstanceRoot is a directory that stands in for one instance's writable
// file system: InstanceRoot/var/log is the instance's /var/log, and so on.
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
// [InstanceDirs] is root's own copy, so that the script cannot touch the
// host's and the caller can read what it left. It returns an error only if
// the script could not be run or ctx ended; a failing script is a result
// with a non-zero ExitCode.
func RunFirstBoot(ctx context.Context, root InstanceRoot, userData []byte, env []string) (CommandResult, error) {
	script := root.Path("/var/lib/cloud/instance/user-data.txt")
	var binds []string
	for _, dir := range InstanceDirs {
		if err := os.MkdirAll(root.Path(dir), 0o755); err != nil {
			return CommandResult{}, fmt.Errorf("preparing the instance's %s: %w", dir, err)
		}
		binds = append(binds, fmt.Sprintf("mount --bind '%s' '%s'", root.Path(dir), dir))
	}
	if strings.ContainsRune(string(root), '\'') {
		return CommandResult{}, fmt.Errorf("instance root %q: a quote in the path is not supported", root)
	}
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		return CommandResult{}, fmt.Errorf("writing the user data: %w", err)
	}
	if err := os.WriteFile(script, userData, 0o700); err != nil {
		return CommandResult{}, fmt.Errorf("writing the user data: %w", err)
	}
	return RunCommand(ctx, env, "unshare", "--mount", "--propagation", "private",
		"bash", "-c", strings.Join(binds, " && ")+` && exec bash "$0"`, "/var/lib/cloud/instance/user-data.txt")
}

// RequireFirstBoot checks for what [RunFirstBoot] and a boot script that
// calls AWS need: root, unshare, bash, curl and the AWS CLI. Like
// [RequireTool], it fails the test in CI and skips it elsewhere, saying what
// is missing.
func RequireFirstBoot(t testing.TB) {
	t.Helper()
	RequireTool(t, "unshare", "apt-get install util-linux")
	RequireTool(t, "bash", "apt-get install bash")
	RequireTool(t, "curl", "apt-get install curl")
	RequireTool(t, "aws", "pip install awscli")
	if os.Geteuid() == 0 {
		return
	}
	const why = "a simulated first boot needs root, to give the instance its own /var/log, /var/lib and /run in a private mount namespace"
	if InCI() {
		t.Fatal(why)
	}
	t.Skip("skipping: " + why + " (run the tests with sudo)")
}
