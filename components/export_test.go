package components

import "github.com/selfhealing-dev/selfhealing/userdata"

// BootParams exposes bootParams, with defaults applied, to the tests.
func BootParams(a SelfHealingInstanceArgs, allocationID, volumeID string) userdata.Params {
	return bootParams(a.withDefaults(), allocationID, volumeID)
}
