package components

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// resolvedPlacement is where the group launches its instance, as the
// resources take it: literals when the subnets were literals, outputs when
// they come from other resources.
type resolvedPlacement struct {
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// VolumeZone is the data volume's Availability Zone, the only one the
	// group then uses; nil without a data volume.
	VolumeZone pulumi.StringInput
	// InterfaceSubnet is the network interface's subnet, the only one the
	// group then uses; nil without a network interface.
	InterfaceSubnet pulumi.StringInput
}

// existingAddress is the Elastic IP args bring.
type existingAddress struct {
	ID, PublicIP, PublicDNS pulumi.StringOutput
	// KnownPublicIP is its address when it was looked up before anything
	// is created (a literal allocation id), else "".
	KnownPublicIP string
}

// lookup runs every lookup, and every check that needs one, and adds what
// it finds to the plan. Lookups of literal values are plain invokes, so
// during `pulumi preview` a wrong subnet, image, zone, volume or key fails
// with nothing created. A value that is another resource's output is looked
// up and checked once it resolves (see inputs.go).
func (b *builder) lookup() error {
	p, a := b.p, b.p.args
	var err error
	if p.env, err = lookupEnvironment(b.ctx, b.parent); err != nil {
		return err
	}
	// The KMS keys and the topic must be in the stack's partition and
	// region; newPlan checked the rest of a literal's rule.
	var errs []error
	check := func(in pulumi.StringInput, rule func(string) error) {
		if value, known := knownString(in); known {
			errs = append(errs, rule(value))
		}
	}
	check(a.ParametersKMSKeyARN, parametersKMSKey.inStackRegion(p.env))
	if a.Logs != nil {
		check(a.Logs.KMSKeyARN, logsKMSKey.inStackRegion(p.env))
	}
	if a.DataVolume != nil {
		check(a.DataVolume.KMSKeyARN, volumeKMSKey.inStackRegion(p.env))
	}
	if a.Notifications != nil {
		check(a.Notifications.TopicArn, topicInStackRegion(p.env))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if v := a.DataVolume; v != nil && v.VolumeID != "" {
		if p.adopted, err = lookupExistingVolume(b.ctx, v.VolumeID, b.parent); err != nil {
			return err
		}
	}
	if err := checkRestoreSnapshot(b.ctx, a.DataVolume, b.parent); err != nil {
		return err
	}
	if n := a.NetworkInterface; n != nil && n.NetworkInterfaceID != "" {
		if p.adoptedInterface, err = lookupExistingInterface(b.ctx, n.NetworkInterfaceID, b.parent); err != nil {
			return err
		}
	}
	if p.where, err = b.resolvePlacement(); err != nil {
		return err
	}
	if p.image, err = lookupImage(b.ctx, a.InstanceType, a.AmiID, a.RootVolumeSizeGiB, b.parent); err != nil {
		return err
	}
	if p.zone, err = resolveDNSZone(b.ctx, a.DNS, b.parent); err != nil {
		return err
	}
	if p.address, err = resolveAddress(b.ctx, a.AllocationID, b.parent); err != nil {
		return err
	}
	if err := lookupSpotInstanceTypes(b.ctx, a, p.image, b.parent); err != nil {
		return err
	}
	// newPlan left the size check of a boot script with an address it
	// brings to here, where the address is known.
	if p.addressLookedUp() {
		if err := p.checkBootScriptSize(p.address.KnownPublicIP); err != nil {
			return err
		}
	}
	p.flows = newFlows(p)
	return nil
}

// resolvePlacement looks up the subnets (or the default VPC's), checks they
// share one VPC, and narrows them to the data volume's zone and the
// network interface's subnet, which must agree. With literal
// subnet ids it does so now; with an output, when the output resolves,
// where an error fails the deployment.
func (b *builder) resolvePlacement() (resolvedPlacement, error) {
	a := b.p.args
	place := func(ids []string) (placement, string, error) {
		p, err := lookupPlacement(b.ctx, ids, b.parent)
		if err != nil {
			return p, "", err
		}
		if n := a.NetworkInterface; n != nil {
			if p, err = b.p.pinToInterface(p); err != nil {
				return p, "", err
			}
		}
		if a.DataVolume == nil {
			return p, "", nil
		}
		zone := dataVolumeZone(*a.DataVolume, b.p.adopted, p)
		p, err = p.inZone(zone)
		return p, zone, err
	}
	optionalZone := func(zone string) pulumi.StringInput {
		if a.DataVolume == nil {
			return nil
		}
		return pulumi.String(zone)
	}
	optionalSubnet := func(p placement) pulumi.StringInput {
		if a.NetworkInterface == nil {
			return nil
		}
		return pulumi.String(p.SubnetIDs[0])
	}
	if ids, known := knownStringArray(a.SubnetIDs); known {
		p, zone, err := place(ids)
		if err != nil {
			return resolvedPlacement{}, err
		}
		return resolvedPlacement{
			VpcID: pulumi.String(p.VpcID), SubnetIDs: pulumi.ToStringArray(p.SubnetIDs),
			VolumeZone: optionalZone(zone), InterfaceSubnet: optionalSubnet(p),
		}, nil
	}
	type resolved struct {
		p    placement
		zone string
	}
	// The lookup's errors name subnets, which may be secret.
	out := applyRedacted(checkedStringArray(a.SubnetIDs, checkSubnetIDs), func(ids []string) []string { return ids }, func(ids []string) (any, error) {
		p, zone, err := place(ids)
		return resolved{p, zone}, err
	}).(pulumi.AnyOutput)
	r := resolvedPlacement{
		VpcID:     out.ApplyT(func(v any) string { return v.(resolved).p.VpcID }).(pulumi.StringOutput),
		SubnetIDs: out.ApplyT(func(v any) []string { return v.(resolved).p.SubnetIDs }).(pulumi.StringArrayOutput),
	}
	if a.DataVolume != nil {
		r.VolumeZone = out.ApplyT(func(v any) string { return v.(resolved).zone }).(pulumi.StringOutput)
	}
	if a.NetworkInterface != nil {
		r.InterfaceSubnet = out.ApplyT(func(v any) string { return v.(resolved).p.SubnetIDs[0] }).(pulumi.StringOutput)
	}
	return r, nil
}

// resolveAddress reads the Elastic IP args bring: now when its allocation id
// is a literal, else when the id resolves. It returns the zero value when
// args bring none.
func resolveAddress(ctx *pulumi.Context, allocationID pulumi.StringInput, parent pulumi.ResourceOrInvokeOption) (existingAddress, error) {
	if !isSet(allocationID) {
		return existingAddress{}, nil
	}
	if id, known := knownString(allocationID); known {
		eip, err := lookupExistingAddress(ctx, id, parent)
		if err != nil {
			return existingAddress{}, err
		}
		return existingAddress{
			ID:            pulumi.String(eip.Id).ToStringOutput(),
			PublicIP:      pulumi.String(eip.PublicIp).ToStringOutput(),
			PublicDNS:     pulumi.String(eip.PublicDns).ToStringOutput(),
			KnownPublicIP: eip.PublicIp,
		}, nil
	}
	checked := setString(allocationID, "allocationId", "an Elastic IP allocation id such as eipalloc-0123456789abcdef0", checkAllocationID)
	eip := applyRedacted(checked, func(id string) []string { return []string{id} }, func(id string) (any, error) {
		return lookupExistingAddress(ctx, id, parent)
	}).(pulumi.AnyOutput)
	field := func(get func(*ec2.GetElasticIpResult) string) pulumi.StringOutput {
		return eip.ApplyT(func(v any) string { return get(v.(*ec2.GetElasticIpResult)) }).(pulumi.StringOutput)
	}
	return existingAddress{
		ID:        field(func(r *ec2.GetElasticIpResult) string { return r.Id }),
		PublicIP:  field(func(r *ec2.GetElasticIpResult) string { return r.PublicIp }),
		PublicDNS: field(func(r *ec2.GetElasticIpResult) string { return r.PublicDns }),
	}, nil
}
