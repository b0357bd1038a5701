package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The launch gate is a launch lifecycle hook that holds each new instance in
// Pending:Wait until its boot script reports it ready. Without it, the group
// calls an instance healthy as soon as EC2 says it is running: a refresh
// moves on, and `pulumi up` returns, while the Elastic IP may not have moved
// yet and the user's script may have failed; a boot that fails then marks
// its instance Unhealthy, so that the group replaces it at least.
const (
	// LaunchGateHookName is the launch lifecycle hook's name. The boot
	// script completes the hook with this name, the group's name
	// (AutoScalingGroupName) and its own instance id, so it needs no
	// Describe call to find them.
	LaunchGateHookName = "selfhealing-launch-gate"

	// DefaultLaunchGateTimeoutSeconds is how long an instance may take to
	// report ready before the group abandons it: long enough for the boot
	// script's retries (each step at most userdata.RetryWindowSeconds) and a
	// package install, far shorter than AWS's default of an hour.
	DefaultLaunchGateTimeoutSeconds = 600

	// MinLaunchGateTimeoutSeconds and MaxLaunchGateTimeoutSeconds bound a
	// lifecycle hook's heartbeat timeout (PutLifecycleHook, HeartbeatTimeout):
	// the boot script's bounds.
	MinLaunchGateTimeoutSeconds = userdata.MinLaunchGateTimeoutSeconds
	MaxLaunchGateTimeoutSeconds = userdata.MaxLaunchGateTimeoutSeconds

	// capacityWaitMarginSeconds is what `pulumi up` waits beyond the hook's
	// timeout: EC2 has to launch the instance before the hook's clock starts,
	// and the group has to move it InService after the hook completes, and
	// AWS documents no figure for either. Five minutes covers both with room.
	capacityWaitMarginSeconds = 300

	// providerDefaultCapacityWait is the AWS provider's own default
	// waitForCapacityTimeout, stated explicitly when there is no hook.
	providerDefaultCapacityWait = "10m"

	launchTransition = "autoscaling:EC2_INSTANCE_LAUNCHING"
)

// CapacityWaitTimeout is how long `pulumi up` waits, when it creates the
// group, for the group's one instance to be InService and healthy: the
// provider's waitForCapacityTimeout, as a Go duration. With the launch gate,
// InService means the boot script reported ready, which may take the whole
// hook timeout after EC2 has launched the instance, so the wait is the hook
// timeout plus a margin. Without it the provider's default stands.
func CapacityWaitTimeout(launchGate bool, hookTimeoutSeconds int) string {
	if !launchGate {
		return providerDefaultCapacityWait
	}
	return fmt.Sprintf("%ds", hookTimeoutSeconds+capacityWaitMarginSeconds)
}

// launchGateHooks is the group's initialLifecycleHooks: the launch gate, or
// none. Only hooks given at creation catch the group's first instance; the
// provider creates the group empty, puts these hooks, then sets its size.
func (p *plan) launchGateHooks() autoscaling.GroupInitialLifecycleHookArrayInput {
	if !p.launchGate {
		return nil
	}
	return autoscaling.GroupInitialLifecycleHookArray{autoscaling.GroupInitialLifecycleHookArgs{
		Name:                pulumi.String(LaunchGateHookName),
		LifecycleTransition: pulumi.String(launchTransition),
		// ABANDON terminates an instance that never reports ready, so a
		// broken boot is replaced, and never put in service.
		DefaultResult:    pulumi.String("ABANDON"),
		HeartbeatTimeout: pulumi.Int(p.launchGateTimeout),
	}}
}

// validateLaunchGate checks the launch gate's arguments (after defaults).
func (a SelfHealingInstanceArgs) validateLaunchGate() []error {
	var errs []error
	switch t := a.LaunchGateTimeoutSeconds; {
	case t == nil:
	case !*a.LaunchGate:
		errs = append(errs, fmt.Errorf("launchGateTimeoutSeconds %d: applies only to the launch gate, which launchGate false turns off; "+
			"remove one of the two", *t))
	case userdata.LaunchGateTimeoutProblem(*t) != "":
		errs = append(errs, fmt.Errorf("launchGateTimeoutSeconds %d: %s, or leave it unset for %d",
			*t, userdata.LaunchGateTimeoutProblem(*t), DefaultLaunchGateTimeoutSeconds))
	}
	// A new instance may wait the whole attach timeout for its volume to
	// leave its predecessor, then retry the address: the gate must outlast
	// both, or it abandons an instance that would have come up.
	// The network interface's wait comes after the volume's.
	if (a.DataVolume != nil || a.NetworkInterface != nil) && *a.LaunchGate {
		gate, attach, fields := *a.LaunchGateTimeoutSeconds, 0, []string{}
		if v := a.DataVolume; v != nil {
			attach += *v.AttachTimeoutSeconds
			fields = append(fields, fmt.Sprintf("dataVolume.attachTimeoutSeconds %d", *v.AttachTimeoutSeconds))
		}
		if n := a.NetworkInterface; n != nil {
			attach += *n.AttachTimeoutSeconds
			fields = append(fields, fmt.Sprintf("networkInterface.attachTimeoutSeconds %d", *n.AttachTimeoutSeconds))
		}
		if msg := userdata.GateOutlastsVolumeProblem(gate, attach); msg != "" {
			errs = append(errs, fmt.Errorf("launchGateTimeoutSeconds %d (%s): %s",
				gate, strings.Join(fields, ", "), msg))
		}
	}
	return errs
}
