package heallab

import (
	"context"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The launch gate and the app health check in the lab: moto implements
// neither CompleteLifecycleAction nor RecordLifecycleActionHeartbeat, and
// only records SetInstanceHealth, so an emulator.AutoScalingModel sits
// between the API proxy and moto (the lab's emulator.APIChain) and answers them as AWS does, terminating
// an abandoned or unhealthy instance as AWS would (its address included),
// so that the group replaces it.

// terminateAsAWS is how the Auto Scaling model ends an abandoned or
// unhealthy instance: as Kill does, and as AWS does.
func (l *Lab) terminateAsAWS(ctx context.Context, id string) error {
	l.mu.Lock()
	opts := l.downtimeKill
	l.mu.Unlock()
	return l.terminate(ctx, id, opts)
}

// launchesFirst is the Auto Scaling model's LaunchFirst: whether a
// downtime run plays the group's replacements launch first.
func (l *Lab) launchesFirst(string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.launchFirst
}

// MaintenancePolicy is the instance maintenance policy the program gave
// the group, which moto does not keep; TerminateFirst if it gave none, as
// a group without one replaces an unhealthy instance.
func (l *Lab) MaintenancePolicy() emulator.RefreshPreferences {
	p, ok := l.monitor.MaintenancePolicy(l.Outputs["autoScalingGroupName"])
	if !ok {
		return emulator.TerminateFirst
	}
	return emulator.RefreshPreferences{MinHealthyPercentage: int(aws.ToInt32(p.MinHealthyPercentage)), MaxHealthyPercentage: int(aws.ToInt32(p.MaxHealthyPercentage))}
}

// NoGate is Gate's answer for a stack without the launch gate.
const NoGate = "no-hook"

// Gate says how an instance's boot answered the launch gate: the results
// of its accepted CompleteLifecycleAction calls, such as "CONTINUE", or
// "none"; NoGate if the stack has no launch gate.
func (l *Lab) Gate(instanceID string) string {
	switch gate, err := l.hasLaunchGate(); {
	case err != nil:
		return "unknown (" + err.Error() + ")"
	case !gate:
		return NoGate
	}
	var results []string
	for _, c := range l.Lifecycle.Completions(instanceID) {
		results = append(results, c.Result)
	}
	if len(results) == 0 {
		return "none"
	}
	return strings.Join(results, ",")
}

// AppMarker is the file the stand-in application of
// [AppHealthOverrides] keeps while it runs, on the instance's /run; the
// health check looks for it.
const AppMarker = "/run/stand-in-app.up"

// AppHealthCheckInterval is the interval of [AppHealthOverrides]' check.
const (
	AppHealthCheckInterval  = 5
	AppHealthCheckThreshold = 2
)

// AppHealthOverrides are [StandInOverrides] plus an application: the user
// script "starts" it by creating AppMarker, and an appHealthCheck command
// checks for it.
func AppHealthOverrides() map[string]string {
	o := StandInOverrides()
	o["selfhealing:userScript"] = StandInUserScript + "touch " + AppMarker + "\n"
	o["selfhealing:appHealthCheck"] = fmt.Sprintf(`{"command": "test -e %s", "intervalSeconds": %d, "timeoutSeconds": 2, "failureThreshold": %d}`,
		AppMarker, AppHealthCheckInterval, AppHealthCheckThreshold)
	return o
}

// instanceRoot returns the file system the lab booted inst with last.
func (l *Lab) instanceRoot(inst Instance) (emulator.InstanceRoot, error) {
	dirs, err := filepath.Glob(filepath.Join(l.workDir, "*-"+inst.ID))
	if err != nil || len(dirs) == 0 {
		return "", fmt.Errorf("instance %s was never booted in this lab", inst.ID)
	}
	sort.Strings(dirs)
	return emulator.InstanceRoot(filepath.Join(dirs[len(dirs)-1], "fs")), nil
}

// CrashApp stops the stand-in application of [AppHealthOverrides] on inst.
func (l *Lab) CrashApp(inst Instance) error {
	root, err := l.instanceRoot(inst)
	if err != nil {
		return err
	}
	if err := os.Remove(root.Path(AppMarker)); err != nil {
		return fmt.Errorf("crashing the application on %s: %w", inst.ID, err)
	}
	return nil
}

// HealthTick runs what selfhealing-health.service runs, once, on inst:
// the installed boot script with --health-check, in the environment inst
// booted with (its metadata service, which serves its role's credentials,
// included). systemd would start it every interval; the lab has none.
// It returns the run and the lines it added to the instance's log.
func (l *Lab) HealthTick(ctx context.Context, inst Instance) (emulator.CommandResult, []string, error) {
	root, err := l.instanceRoot(inst)
	if err != nil {
		return emulator.CommandResult{}, nil, err
	}
	env, err := l.instanceEnv(inst.ID)
	if err != nil {
		return emulator.CommandResult{}, nil, err
	}
	before := len(root.ReadFile(userdata.LogFile))
	results, err := emulator.RunOnInstance(ctx, root, "exec "+userdata.InstalledBootScript+" --health-check\n", env, 1)
	if err != nil {
		return emulator.CommandResult{}, nil, fmt.Errorf("health check on %s: %w", inst.ID, err)
	}
	lines := strings.Split(strings.TrimSpace(root.ReadFile(userdata.LogFile)[before:]), "\n")
	if results[0].ExitCode != 0 {
		return results[0], lines, errors.New("the health check exited " + fmt.Sprint(results[0].ExitCode) + ":\n" + results[0].Stderr)
	}
	return results[0], lines, nil
}

// AwaitReplacement waits, within a bound, for the group to hold one
// instance other than gone, as after the group replaced it.
func (l *Lab) AwaitReplacement(ctx context.Context, gone string) (Instance, error) {
	return l.awaitReplacement(ctx, gone)
}
