package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The hand-over: with a data volume, a termination lifecycle hook holds
// each instance the group terminates in Terminating:Wait while its boot
// script's watcher stops the application (dataVolume.stopScript), unmounts
// and detaches the volume, and completes the hook. The next instance then
// attaches the volume at once, instead of waiting for EBS to detach it
// from a terminated instance, which AWS says it does "gradually".
const (
	// HandoverHookName is the termination lifecycle hook's name. The boot
	// script completes it with this name, the group's name and its own
	// instance id.
	HandoverHookName = "selfhealing-handover"

	// DefaultStopTimeoutSeconds bounds the stop script when
	// dataVolume.stopTimeoutSeconds is unset: a minute, for an application
	// to stop cleanly, far less than a replacement's wait for the volume
	// (dataVolume.attachTimeoutSeconds, 300 by default).
	DefaultStopTimeoutSeconds = 60

	terminateTransition = "autoscaling:EC2_INSTANCE_TERMINATING"
)

// handoverParams are the boot script's hand-over, with a data volume.
func (p *plan) handoverParams() *userdata.HandoverParams {
	v := p.args.DataVolume
	if v == nil {
		return nil
	}
	return &userdata.HandoverParams{
		HookName: HandoverHookName, StopScript: v.StopScript, StopTimeoutSeconds: *v.StopTimeoutSeconds,
	}
}

// handoverHook creates the termination lifecycle hook, with a data volume.
// It is a resource of its own, not one of the group's
// initialLifecycleHooks, which AWS applies only when it creates the group:
// adding one to an existing stack would replace its group. The group's
// first instance needs no termination hook before it is terminated.
func (b *builder) handoverHook(group *autoscaling.Group) error {
	h := b.p.boot.Handover
	if h == nil {
		return nil
	}
	_, err := autoscaling.NewLifecycleHook(b.ctx, b.p.name+"-handover", &autoscaling.LifecycleHookArgs{
		Name:                 pulumi.String(HandoverHookName),
		AutoscalingGroupName: group.Name,
		LifecycleTransition:  pulumi.String(terminateTransition),
		// CONTINUE: an instance that cannot hand over (impaired, say) is
		// terminated when the timeout runs out, as without the hook; EBS
		// then detaches the volume.
		DefaultResult:    pulumi.String("CONTINUE"),
		HeartbeatTimeout: pulumi.Int(userdata.HandoverHookTimeoutSeconds(h.StopTimeoutSeconds)),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("creating the hand-over's termination lifecycle hook: %w", err)
	}
	return nil
}

// validateHandover checks the hand-over's arguments (after defaults).
func (v DataVolumeArgs) validateHandover() []error {
	var errs []error
	t := *v.StopTimeoutSeconds
	if msg := userdata.StopTimeoutProblem(t); msg != "" {
		errs = append(errs, fmt.Errorf("dataVolume.stopTimeoutSeconds %d: %s", t, msg))
	} else if msg := userdata.VolumeWaitOutlastsHandoverProblem(*v.AttachTimeoutSeconds, t); msg != "" {
		errs = append(errs, fmt.Errorf("dataVolume.attachTimeoutSeconds %d (stopTimeoutSeconds %d): %s; raise attachTimeoutSeconds or lower stopTimeoutSeconds",
			*v.AttachTimeoutSeconds, t, msg))
	}
	if strings.ContainsRune(v.StopScript, 0) {
		errs = append(errs, fmt.Errorf("dataVolume.stopScript: contains a NUL byte, which bash cannot hold in a variable"))
	}
	return errs
}
