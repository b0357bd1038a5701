package userdata

import "fmt"

// The hand-over: with a data volume, the group's termination lifecycle
// hook holds a terminating instance in Terminating:Wait, and a watcher on
// it (HandoverService, started once the instance is ready) lets go of the
// volume there: it stops the application (the user's stop script, bounded
// by StopTimeoutSeconds), syncs, unmounts and detaches the volume, waits
// until EBS says it is detached, and completes the hook. The instance that
// replaces it, launched first by a planned replacement, then attaches the
// volume at once instead of waiting for EBS to detach it from a
// terminated instance.
const (
	// HandoverService runs the installed boot script (InstalledBootScript)
	// with --handover-watch, which watches the instance's target lifecycle
	// state, from the moment the instance is ready and at every boot after.
	HandoverService = "selfhealing-handover.service"

	// HandoverReserveSeconds is what the hand-over needs beyond the stop
	// script: syncing, unmounting and detaching the volume, waiting for EBS
	// to report it detached (HandoverDetachWaitSeconds), completing the
	// hook, and the watcher's own poll. The termination hook's heartbeat
	// timeout is StopTimeoutSeconds plus this.
	HandoverReserveSeconds = 60
	// HandoverDetachWaitSeconds bounds the wait for EBS to report the
	// volume detached after DetachVolume.
	HandoverDetachWaitSeconds = 40

	// MinStopTimeoutSeconds and MaxStopTimeoutSeconds bound
	// HandoverParams.StopTimeoutSeconds: with HandoverReserveSeconds, the
	// hook's heartbeat timeout stays within AWS's 30 to 7200 seconds
	// (PutLifecycleHook, HeartbeatTimeout).
	MinStopTimeoutSeconds = 10
	MaxStopTimeoutSeconds = 7200 - HandoverReserveSeconds
)

// HandoverParams describe the termination lifecycle hook the script
// completes once it has let go of the data volume.
type HandoverParams struct {
	// HookName is the termination lifecycle hook's name, in the group
	// Params.GroupName.
	HookName string
	// StopScript, if not empty, stops the application before the volume
	// is unmounted: it runs as root, under bash unless it starts with
	// "#!", for at most StopTimeoutSeconds.
	StopScript string
	// StopTimeoutSeconds bounds the stop script, MinStopTimeoutSeconds to
	// MaxStopTimeoutSeconds.
	StopTimeoutSeconds int
}

// HandoverHookTimeoutSeconds is the termination hook's heartbeat timeout
// for a stop timeout: the stop script's bound and the reserve.
func HandoverHookTimeoutSeconds(stopTimeoutSeconds int) int {
	return stopTimeoutSeconds + HandoverReserveSeconds
}

// StopTimeoutProblem says what is wrong with seconds as the stop script's
// bound, or "".
func StopTimeoutProblem(seconds int) string {
	if seconds < MinStopTimeoutSeconds || seconds > MaxStopTimeoutSeconds {
		return fmt.Sprintf("want %d to %d seconds (with the %d s the hand-over needs besides, the termination hook's timeout must stay within AWS's 30 to 7200)",
			MinStopTimeoutSeconds, MaxStopTimeoutSeconds, HandoverReserveSeconds)
	}
	return ""
}

// VolumeWaitOutlastsHandoverProblem says what is wrong with a new
// instance's wait for the volume (dataVolume.attachTimeoutSeconds) that
// would not outlast its predecessor's hand-over, or "": a planned
// replacement's new instance waits while the old one runs its stop script
// and lets go, so it would give up on a volume on its way.
func VolumeWaitOutlastsHandoverProblem(waitSeconds, stopTimeoutSeconds int) string {
	if need := HandoverHookTimeoutSeconds(stopTimeoutSeconds); waitSeconds < need {
		return fmt.Sprintf("must be at least the hand-over's bound, %d s (stopTimeoutSeconds and %d s to unmount and detach): a new instance would give up on the volume while its predecessor still hands it over",
			need, HandoverReserveSeconds)
	}
	return ""
}

// validate reports every field of h the script cannot use, named as the
// component's dataVolume names them.
func (h *HandoverParams) validate(volume *DataVolumeParams) []error {
	var errs []error
	if volume == nil {
		errs = append(errs, fmt.Errorf("dataVolume.stopScript: the hand-over needs a data volume"))
	}
	if !hookNamePattern.MatchString(h.HookName) {
		errs = append(errs, fmt.Errorf("handover.hookName %q: want 1 to 255 of A-Z a-z 0-9 - _ /, as Auto Scaling allows", h.HookName))
	}
	if msg := StopTimeoutProblem(h.StopTimeoutSeconds); msg != "" {
		errs = append(errs, fmt.Errorf("dataVolume.stopTimeoutSeconds %d: %s", h.StopTimeoutSeconds, msg))
	}
	if volume != nil {
		if msg := VolumeWaitOutlastsHandoverProblem(volume.WaitSeconds, h.StopTimeoutSeconds); msg != "" {
			errs = append(errs, fmt.Errorf("dataVolume.attachTimeoutSeconds %d: %s", volume.WaitSeconds, msg))
		}
	}
	return errs
}
