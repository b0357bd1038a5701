package components

import "github.com/selfhealing-dev/selfhealing/userdata"

// The plan of the rules tests: project "proj", stack "test", component
// "web".
const rulesProject, rulesStack, rulesName = "proj", "test", "web"

// ValidateArgs runs the component's own checks of a, defaults applied, as
// NewSelfHealingInstance does before it creates anything.
func ValidateArgs(a SelfHealingInstanceArgs) error {
	p, err := newPlan(a, rulesProject, rulesStack, rulesName, AutoScalingGroupName(rulesProject, rulesStack, rulesName))
	if err != nil {
		return err
	}
	return p.checkBootScriptSize("")
}

// RenderedParams are the boot script's parameters for a, defaults applied,
// with the optional sections, as the launch template's user data is
// rendered from them in project "proj", stack "test", component "web".
func RenderedParams(a SelfHealingInstanceArgs, allocationID, volumeID string) userdata.Params {
	p, _ := newPlan(a, rulesProject, rulesStack, rulesName, AutoScalingGroupName(rulesProject, rulesStack, rulesName))
	return p.bootParams(p.knownInputs(allocationID, standInPublicIP, volumeID, standInInterfaceID))
}
