package components

import "github.com/selfhealing-dev/selfhealing/userdata"

// BootParams exposes the plan's boot script parameters, with defaults
// applied, to the tests.
func BootParams(a SelfHealingInstanceArgs, allocationID, volumeID string) userdata.Params {
	return BootParamsInGroup(a, "selfhealing-test-instance", allocationID, volumeID)
}

// BootParamsInGroup is BootParams for a group called groupName.
func BootParamsInGroup(a SelfHealingInstanceArgs, groupName, allocationID, volumeID string) userdata.Params {
	return BootParamsWithAddress(a, groupName, allocationID, standInPublicIP, volumeID)
}

// BootParamsWithAddress is BootParamsInGroup with the Elastic IP's
// address.
func BootParamsWithAddress(a SelfHealingInstanceArgs, groupName, allocationID, publicIP, volumeID string) userdata.Params {
	p, _ := newPlan(a, "selfhealing", "test", "instance", groupName)
	return p.bootParams(p.knownInputs(allocationID, publicIP, volumeID, standInInterfaceID))
}

// AlarmName exposes the alarms' naming rule to the tests.
func AlarmName(groupName, suffix string) string { return alarmName(groupName, suffix) }
