package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// RunOnInstance runs script under bash on the simulated instance root, as
// root and with exactly env, in the same kind of private mount namespace as
// [RunBoots]: what the instance's boot left in its /var, /run, /srv, /etc
// and /usr/local is there. It stands in for what systemd runs on a real
// instance, which no test namespace has: a unit's ExecStart at a later boot,
// or a timer's service. It runs script runs times in one namespace and
// returns one result per run that finished.
//
// Unlike RunBoots it leaves the instance's user data alone: the script is
// kept outside the instance's directories.
func RunOnInstance(ctx context.Context, root InstanceRoot, script string, env []string, runs int) ([]CommandResult, error) {
	if runs < 1 {
		return nil, fmt.Errorf("RunOnInstance: runs = %d, want at least 1", runs)
	}
	setup, err := namespaceSetup(root)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(string(root), ".command-")
	if err != nil {
		return nil, fmt.Errorf("writing the command: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "command.sh")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		return nil, fmt.Errorf("writing the command: %w", err)
	}
	return runInNamespace(ctx, root, setup, path, env, runs)
}

// Reboot makes root look like an instance that has restarted: /run, a
// tmpfs on Linux, is empty again. Everything else stays, as on an instance
// whose root volume survives a reboot or a stop and start; mounts already
// end with each run's mount namespace.
func (r InstanceRoot) Reboot() error {
	run := r.Path("/run")
	if err := os.RemoveAll(run); err != nil {
		return fmt.Errorf("rebooting %s: emptying /run: %w", r, err)
	}
	if err := os.MkdirAll(run, 0o755); err != nil {
		return fmt.Errorf("rebooting %s: %w", r, err)
	}
	return nil
}
