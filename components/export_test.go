package components

import "github.com/selfhealing-dev/selfhealing/userdata"

// BootParams exposes bootParams, with defaults applied, to the tests.
func BootParams(a SelfHealingInstanceArgs, allocationID, volumeID string) userdata.Params {
	return BootParamsInGroup(a, "selfhealing-test-instance", allocationID, volumeID)
}

// BootParamsInGroup is BootParams for a group called groupName.
func BootParamsInGroup(a SelfHealingInstanceArgs, groupName, allocationID, volumeID string) userdata.Params {
	d := a.WithDefaults()
	return bootParams(d, groupName, d.knownBootInputs(allocationID, volumeID))
}
