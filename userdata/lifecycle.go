package userdata

import (
	"fmt"
	"regexp"
)

// Where the boot script installs itself on the instance, to run again at
// every boot after the first: user data runs only once per instance.
const (
	// InstallDir holds the installed boot script and its helpers.
	InstallDir = "/usr/local/libexec/selfhealing"
	// InstalledBootScript is the boot script, as BootUnit runs it.
	InstalledBootScript = InstallDir + "/boot"
	// UnitDir is where the script writes its systemd units.
	UnitDir = "/etc/systemd/system"
	// BootUnit runs InstalledBootScript at every boot after the first. The
	// script enables it at the first boot without starting it.
	BootUnit = "selfhealing-boot.service"
	// UserScriptDoneFile exists once the user script has succeeded on the
	// instance; the script does not run it again.
	UserScriptDoneFile = "/var/lib/selfhealing/user-script.done"
)

// Bounds of LaunchGateParams.TimeoutSeconds: those of a lifecycle hook's
// heartbeat timeout (PutLifecycleHook, HeartbeatTimeout).
const (
	MinLaunchGateTimeoutSeconds = 30
	MaxLaunchGateTimeoutSeconds = 7200
)

// LaunchGateParams describe the launch lifecycle hook the script completes
// once the instance is ready: CONTINUE then, ABANDON when the boot fails.
type LaunchGateParams struct {
	// HookName is the lifecycle hook's name, in the group Params.GroupName.
	HookName string
	// TimeoutSeconds is the hook's heartbeat timeout: the script sends a
	// heartbeat every third of it during long waits, and gives the first
	// health check what is left of it.
	TimeoutSeconds int
}

// hookNamePattern is LifecycleHookName's pattern in the Auto Scaling API.
var hookNamePattern = regexp.MustCompile(`^[A-Za-z0-9\-_/]{1,255}$`)

// validate reports every field of g the script cannot use.
func (g *LaunchGateParams) validate() []error {
	var errs []error
	if !hookNamePattern.MatchString(g.HookName) {
		errs = append(errs, fmt.Errorf("launchGate.hookName %q: want 1 to 255 of A-Z a-z 0-9 - _ /, as Auto Scaling allows", g.HookName))
	}
	if msg := LaunchGateTimeoutProblem(g.TimeoutSeconds); msg != "" {
		errs = append(errs, fmt.Errorf("launchGate.timeoutSeconds %d: %s", g.TimeoutSeconds, msg))
	}
	return errs
}

// LaunchGateTimeoutProblem says what is wrong with seconds as the launch
// gate's timeout, or "".
func LaunchGateTimeoutProblem(seconds int) string {
	if seconds < MinLaunchGateTimeoutSeconds || seconds > MaxLaunchGateTimeoutSeconds {
		return fmt.Sprintf("want %d to %d seconds (the lifecycle hook's heartbeat timeout)", MinLaunchGateTimeoutSeconds, MaxLaunchGateTimeoutSeconds)
	}
	return ""
}

// GateOutlastsVolumeProblem says why a launch gate of gateSeconds would
// abandon an instance still within its bounds, waiting volumeWaitSeconds
// for its data volume (and its network interface, whose wait the caller
// adds) and then up to RetryWindowSeconds taking the Elastic IP, or "".
func GateOutlastsVolumeProblem(gateSeconds, volumeWaitSeconds int) string {
	if need := volumeWaitSeconds + RetryWindowSeconds; gateSeconds <= need {
		return fmt.Sprintf("must exceed the boot's wait of %d s for its data volume (and network interface) to come free plus the %d s "+
			"the boot script may spend taking the Elastic IP, or the group abandons an instance still waiting; want more than %d, or shorter attach timeouts",
			volumeWaitSeconds, RetryWindowSeconds, need)
	}
	return ""
}
