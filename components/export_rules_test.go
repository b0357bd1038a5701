package components

import "github.com/selfhealing-dev/selfhealing/userdata"

// ValidateArgs runs the component's own checks of a, defaults applied, as
// NewSelfHealingInstance does before it creates anything.
func ValidateArgs(a SelfHealingInstanceArgs) error {
	return a.WithDefaults().validate()
}

// RenderedParams are the boot script's parameters for a, defaults applied,
// with the optional sections, as the launch template's user data is
// rendered from them in project "proj", stack "test", component "web".
func RenderedParams(a SelfHealingInstanceArgs, allocationID, volumeID string) userdata.Params {
	d := a.WithDefaults()
	const project, stack, name = "proj", "test", "web"
	p := bootParams(d, AutoScalingGroupName(project, stack, name), d.knownBootInputs(allocationID, volumeID))
	return withSections(p, project, stack, name, d)
}
