package components

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// Defaults of NetworkInterfaceArgs.AttachTimeoutSeconds. Alone, the
// interface waits as long as a data volume does. With a data volume, the
// boot script attaches the interface after the volume, when the instance
// before has let go of that already, and the default launch gate
// (DefaultLaunchGateTimeoutSeconds) must outlast both waits and the
// address's retries: 300 + 90 + 180 < 600.
const (
	DefaultNetworkInterfaceAttachTimeoutSeconds            = DefaultDataVolumeAttachTimeoutSeconds
	DefaultNetworkInterfaceAttachTimeoutSecondsAfterVolume = 90
)

// NetworkInterfaceArgs give the instance a persistent elastic network
// interface, with a private IPv4 address that outlives instances: each
// replacement attaches it at boot, as its second interface (device index
// 1), and the Elastic IP, which the stack associates with the interface
// once, comes with it. An interface lives in one subnet, so the group
// launches only there: healing survives the loss of an instance, not of
// the zone.
type NetworkInterfaceArgs struct {
	// NetworkInterfaceID adopts an existing interface, such as
	// "eni-0123456789abcdef0", instead of creating one. It must be in one
	// of the group's subnets and not be an instance's primary interface.
	// The component never deletes it; it adds the stack's security group
	// to it, and removes that with the stack.
	NetworkInterfaceID string `pulumi:"networkInterfaceId,optional"`
	// SubnetID is the subnet the component creates the interface in, one
	// of the group's subnets. Empty means the group's first subnet. Not
	// with [NetworkInterfaceArgs.NetworkInterfaceID].
	SubnetID string `pulumi:"subnetId,optional"`
	// PrivateIP fixes the interface's private IPv4 address, such as
	// "10.0.1.10", which must be in the subnet and not one of the five
	// addresses AWS reserves in it. Empty means EC2 picks one. Not with
	// [NetworkInterfaceArgs.NetworkInterfaceID].
	PrivateIP string `pulumi:"privateIp,optional"`
	// AttachTimeoutSeconds bounds how long a booting instance waits for the
	// interface to come free of its predecessor, 30 to 3600. Nil means
	// DefaultNetworkInterfaceAttachTimeoutSeconds (300), or, with a data
	// volume, DefaultNetworkInterfaceAttachTimeoutSecondsAfterVolume (90).
	AttachTimeoutSeconds *int `pulumi:"attachTimeoutSeconds,optional"`
	// ForceDetach lets the boot script force-detach the interface from a
	// predecessor that is terminated or shutting down but still holds it
	// when the wait runs out. Nil means true; false fails such a boot
	// instead. A running holder is never detached either way.
	ForceDetach *bool `pulumi:"forceDetach,optional"`
}

// WithDefaults returns a copy of n with every unset field that has a
// default of its own filled in. AttachTimeoutSeconds's default depends on
// the data volume: SelfHealingInstanceArgs.WithDefaults fills it in.
func (n NetworkInterfaceArgs) WithDefaults() NetworkInterfaceArgs {
	n.ForceDetach = orDefault(n.ForceDetach, true)
	return n
}

// withDefaults is WithDefaults and the attach timeout's default, which
// is shorter after a data volume's wait.
func (n NetworkInterfaceArgs) withDefaults(withVolume bool) NetworkInterfaceArgs {
	n = n.WithDefaults()
	wait := DefaultNetworkInterfaceAttachTimeoutSeconds
	if withVolume {
		wait = DefaultNetworkInterfaceAttachTimeoutSecondsAfterVolume
	}
	n.AttachTimeoutSeconds = orDefault(n.AttachTimeoutSeconds, wait)
	return n
}

// validate checks the interface's fields (after defaults) that need no
// lookup, and returns every problem, each naming its field.
func (n NetworkInterfaceArgs) validate(subnetIDs pulumi.StringArrayInput) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("networkInterface."+format, args...)) }
	if n.NetworkInterfaceID != "" {
		if msg := userdata.NetworkInterfaceIDProblem(n.NetworkInterfaceID); msg != "" {
			bad("networkInterfaceId %q: %s, or leave it unset to create one", n.NetworkInterfaceID, msg)
		}
		if n.SubnetID != "" {
			bad("subnetId: set together with networkInterfaceId %q; an existing interface keeps its own subnet, so leave subnetId unset", n.NetworkInterfaceID)
		}
		if n.PrivateIP != "" {
			bad("privateIp: set together with networkInterfaceId %q; an existing interface keeps its own address, so leave privateIp unset", n.NetworkInterfaceID)
		}
	}
	if n.SubnetID != "" {
		if !subnetIDPattern.MatchString(n.SubnetID) {
			bad("subnetId %q: want a subnet id such as subnet-0123456789abcdef0, or leave it unset for the group's first subnet", n.SubnetID)
		} else if ids, known := knownStringArray(subnetIDs); known && subnetIDs != nil && !slices.Contains(ids, n.SubnetID) {
			bad("subnetId %q: is not one of subnetIds (%s); the instance's own interface and this one must share its subnet; add it to subnetIds, or pick one of those",
				n.SubnetID, strings.Join(ids, ", "))
		}
	}
	if n.PrivateIP != "" {
		if addr, err := netip.ParseAddr(n.PrivateIP); err != nil || !addr.Is4() {
			bad("privateIp %q: want an IPv4 address such as 10.0.1.10, or leave it unset for EC2 to pick one", n.PrivateIP)
		}
	}
	if t := *n.AttachTimeoutSeconds; userdata.VolumeWaitProblem(t) != "" {
		bad("attachTimeoutSeconds %d: %s; AWS detaches a terminated instance's interface in an undocumented time", t, userdata.VolumeWaitProblem(t))
	}
	return errs
}

// existingInterface is what the component needs to know about an adopted
// interface.
type existingInterface struct {
	ID, SubnetID, VpcID, PrivateIP string
}

// lookupExistingInterface reads an adopted interface and checks what the
// component relies on: that it is in this region, an ordinary interface,
// and not an instance's primary interface, which cannot be detached.
func lookupExistingInterface(ctx *pulumi.Context, id string, opts ...pulumi.InvokeOption) (existingInterface, error) {
	found, err := ec2.LookupNetworkInterface(ctx, &ec2.LookupNetworkInterfaceArgs{Id: &id}, opts...)
	if err != nil {
		return existingInterface{}, fmt.Errorf("networkInterface.networkInterfaceId %q: looking it up in this region: %w", id, err)
	}
	if found.InterfaceType != "" && found.InterfaceType != "interface" {
		return existingInterface{}, fmt.Errorf("networkInterface.networkInterfaceId %q: is of type %s; only an ordinary interface (type interface) can move between instances",
			id, found.InterfaceType)
	}
	for _, a := range found.Attachments {
		if a.DeviceIndex == 0 && a.InstanceId != "" {
			return existingInterface{}, fmt.Errorf("networkInterface.networkInterfaceId %q: is the primary interface (device index 0) of %s, which cannot be detached; "+
				"create an interface for this stack, or give one that no instance has as its primary", id, a.InstanceId)
		}
	}
	return existingInterface{ID: found.Id, SubnetID: found.SubnetId, VpcID: found.VpcId, PrivateIP: found.PrivateIp}, nil
}

// interfaceSubnet is the subnet the interface lives in: the adopted
// interface's, the configured one, or the group's first.
func interfaceSubnet(n NetworkInterfaceArgs, adopted existingInterface, where placement) string {
	switch {
	case n.NetworkInterfaceID != "":
		return adopted.SubnetID
	case n.SubnetID != "":
		return n.SubnetID
	default:
		return where.SubnetIDs[0]
	}
}

// pinToInterface narrows where to the interface's subnet, the only one
// whose instances can attach it as the brief of a persistent address
// needs, and checks that the data volume, if any, agrees: volumeZone is
// the volume's zone when something fixes it (an adopted volume, or
// dataVolume.availabilityZone), "" when it follows the group.
func pinToInterface(where placement, n NetworkInterfaceArgs, adopted existingInterface, volumeZone, volumeField string) (placement, error) {
	subnet := interfaceSubnet(n, adopted, where)
	field := "networkInterface.subnetId"
	if n.NetworkInterfaceID != "" {
		field = "networkInterface.networkInterfaceId"
		if adopted.VpcID != where.VpcID {
			return placement{}, fmt.Errorf("%s %q: is in %s, but the group's subnets are in %s; an instance attaches only interfaces of its own VPC",
				field, n.NetworkInterfaceID, adopted.VpcID, where.VpcID)
		}
	}
	if !slices.Contains(where.SubnetIDs, subnet) {
		what := "subnetIds"
		if !where.Configured {
			what = "the default VPC's default subnets (subnetIds is unset)"
		}
		return placement{}, fmt.Errorf("%s: the interface's subnet %s is not one of %s (%s); the group launches into the interface's subnet, "+
			"so add it to subnetIds, or choose an interface in one of them", field, subnet, what, strings.Join(where.SubnetIDs, ", "))
	}
	zone := where.Zones[subnet]
	if volumeZone != "" && volumeZone != zone {
		return placement{}, fmt.Errorf("%s and %s: the interface's subnet %s is in %s, the data volume in %s; both pin the group to their "+
			"zone, so they must agree: put both in one Availability Zone", field, volumeField, subnet, zone, volumeZone)
	}
	where.SubnetIDs = []string{subnet}
	return where, nil
}

// privateIPProblem says why ip cannot be the interface's fixed address in
// a subnet of cidr, or "": it must be in the subnet, and not one of the
// first four or the last address, which AWS reserves in every subnet
// (Amazon VPC User Guide, "Subnet CIDR blocks",
// https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
func privateIPProblem(ip, cidr string) string {
	addr, err1 := netip.ParseAddr(ip)
	prefix, err2 := netip.ParsePrefix(cidr)
	if err1 != nil || err2 != nil || !prefix.Addr().Is4() {
		return ""
	}
	if !prefix.Contains(addr) {
		return fmt.Sprintf("is not in the subnet's %s", cidr)
	}
	first := prefix.Masked().Addr().As4()
	base := uint32(first[0])<<24 | uint32(first[1])<<16 | uint32(first[2])<<8 | uint32(first[3])
	a := addr.As4()
	offset := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) - base
	last := uint32(1)<<(32-prefix.Bits()) - 1
	if offset < 4 || offset == last {
		return fmt.Sprintf("is one of the five addresses AWS reserves in %s (the first four and the last)", cidr)
	}
	return ""
}

// networkInterface creates the persistent interface, or adopts the
// existing one, with the stack's security group on it, and associates the
// Elastic IP with it, once. It returns the resources the first instance
// needs in place before it boots, and sets NetworkInterfaceID and
// PrivateIP, to "" without an interface.
func (b *builder) networkInterface(securityGroup *ec2.SecurityGroup) ([]pulumi.Resource, error) {
	p := b.p
	b.c.NetworkInterfaceID = pulumi.String("").ToStringOutput()
	b.c.PrivateIP = pulumi.String("").ToStringOutput()
	n := p.args.NetworkInterface
	if n == nil {
		return nil, nil
	}
	var needed []pulumi.Resource
	if n.NetworkInterfaceID != "" {
		b.c.NetworkInterfaceID = pulumi.String(p.adoptedInterface.ID).ToStringOutput()
		b.c.PrivateIP = pulumi.String(p.adoptedInterface.PrivateIP).ToStringOutput()
		// The component does not own an adopted interface's groups, so it
		// adds its own, which the instance's rules are in, and removes it
		// with the stack.
		attachment, err := ec2.NewNetworkInterfaceSecurityGroupAttachment(b.ctx, p.name+"-eni-sg", &ec2.NetworkInterfaceSecurityGroupAttachmentArgs{
			NetworkInterfaceId: b.c.NetworkInterfaceID,
			SecurityGroupId:    securityGroup.ID(),
		}, b.parent)
		if err != nil {
			return nil, fmt.Errorf("adding the security group to the network interface: %w", err)
		}
		needed = append(needed, attachment)
	} else {
		eni, err := ec2.NewNetworkInterface(b.ctx, p.name+"-eni", &ec2.NetworkInterfaceArgs{
			Description:    pulumi.String("Self-healing instance " + p.groupName + ": its persistent address"),
			SubnetId:       p.where.InterfaceSubnet,
			PrivateIps:     optionalStringArray(n.PrivateIP),
			SecurityGroups: pulumi.StringArray{securityGroup.ID()},
			Tags:           p.flows.tags,
		}, b.parent, pulumi.IgnoreChanges([]string{"attachments"}))
		if err != nil {
			return nil, fmt.Errorf("creating the network interface: %w", err)
		}
		b.c.NetworkInterfaceID = eni.ID().ToStringOutput()
		b.c.PrivateIP = eni.PrivateIp
		needed = append(needed, eni)
	}
	// Once, here, and not at each boot: the address stays on the interface,
	// and the interface goes to whichever instance holds it.
	association, err := ec2.NewEipAssociation(b.ctx, p.name+"-eip-eni", &ec2.EipAssociationArgs{
		AllocationId:       b.c.AllocationID,
		NetworkInterfaceId: b.c.NetworkInterfaceID,
		// An address an earlier instance holds (a stack that adds the
		// interface) moves to the interface: that is the point.
		AllowReassociation: pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("associating the Elastic IP with the network interface: %w", err)
	}
	return append(needed, association), nil
}

func optionalStringArray(s string) pulumi.StringArrayInput {
	if s == "" {
		return nil
	}
	return pulumi.StringArray{pulumi.String(s)}
}

// pinToInterface narrows where to the interface's subnet and checks the
// rules that need it looked up: the data volume's zone, when something
// fixes it, and a fixed private address, which must fit the subnet.
func (p *plan) pinToInterface(where placement) (placement, error) {
	n := *p.args.NetworkInterface
	volumeZone, volumeField := "", ""
	if v := p.args.DataVolume; v != nil {
		switch {
		case v.VolumeID != "":
			volumeZone, volumeField = p.adopted.AvailabilityZone, "dataVolume.volumeId"
		case v.AvailabilityZone != "":
			volumeZone, volumeField = v.AvailabilityZone, "dataVolume.availabilityZone"
		}
	}
	pinned, err := pinToInterface(where, n, p.adoptedInterface, volumeZone, volumeField)
	if err != nil {
		return pinned, err
	}
	if subnet := pinned.SubnetIDs[0]; n.PrivateIP != "" {
		if msg := privateIPProblem(n.PrivateIP, where.CIDRs[subnet]); msg != "" {
			return placement{}, fmt.Errorf("networkInterface.privateIp %q: %s, subnet %s; choose a free address in it, or leave privateIp unset",
				n.PrivateIP, msg, subnet)
		}
	}
	return pinned, nil
}
