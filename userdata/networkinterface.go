package userdata

import (
	"fmt"
	"regexp"
)

// NetworkInterfaceDeviceIndex is the device index the boot script attaches
// the persistent network interface at: the launch template gives every
// instance its own primary interface at index 0.
const NetworkInterfaceDeviceIndex = 1

// NetworkInterfaceParams describe the persistent elastic network interface
// the script attaches at each boot. The stack associates the Elastic IP
// with the interface once, so with it the script does not move the
// address: the address comes with the interface.
type NetworkInterfaceParams struct {
	InterfaceID string // "eni-0123456789abcdef0"
	// WaitSeconds bounds the wait for the interface to come free of its
	// predecessor, MinVolumeWaitSeconds to MaxVolumeWaitSeconds, as the
	// data volume's wait is bounded.
	WaitSeconds int
	// ForceDetach allows force-detaching the interface, at the bound, from
	// a holder that is terminated or shutting down; never from a running
	// one.
	ForceDetach bool
}

// networkInterfaceIDPattern matches elastic network interface ids: 8 hex
// digits for old interfaces, 17 for new ones.
var networkInterfaceIDPattern = regexp.MustCompile(`^eni-([0-9a-f]{8}|[0-9a-f]{17})$`)

// NetworkInterfaceIDProblem says what is wrong with id as an elastic
// network interface id, or "".
func NetworkInterfaceIDProblem(id string) string {
	if !networkInterfaceIDPattern.MatchString(id) {
		return "want an elastic network interface id like eni-0123456789abcdef0 (eni- and 8 or 17 hexadecimal digits)"
	}
	return ""
}

// validate reports every field of n the script cannot use, each named as
// the component's args spell it.
func (n *NetworkInterfaceParams) validate() []error {
	var errs []error
	if msg := NetworkInterfaceIDProblem(n.InterfaceID); msg != "" {
		errs = append(errs, fmt.Errorf("networkInterface.networkInterfaceId %q: %s", n.InterfaceID, msg))
	}
	if msg := VolumeWaitProblem(n.WaitSeconds); msg != "" {
		errs = append(errs, fmt.Errorf("networkInterface.attachTimeoutSeconds %d: %s", n.WaitSeconds, msg))
	}
	return errs
}
