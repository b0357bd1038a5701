package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// preflight is what the component learns from AWS, and checks, before it
// creates anything. Lookups of literal values are plain invokes, so during
// `pulumi preview` a wrong subnet, image, zone, volume or key fails with
// nothing created. A value that is another resource's output is looked up
// and checked once it resolves (see inputs.go).
type preflight struct {
	env     awsEnvironment
	where   resolvedPlacement
	image   machineImage
	zone    resolvedZone
	address existingAddress
	// adopted is the existing data volume args adopt, if any.
	adopted existingVolume
}

// resolvedPlacement is where the group launches its instance, as the
// resources take it: literals when the subnets were literals, outputs when
// they come from other resources.
type resolvedPlacement struct {
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// VolumeZone is the data volume's Availability Zone, the only one the
	// group then uses; nil without a data volume.
	VolumeZone pulumi.StringInput
}

// existingAddress is the Elastic IP args bring.
type existingAddress struct {
	ID, PublicIP, PublicDNS pulumi.StringOutput
}

// preflight runs every lookup, and every check that needs one.
func (a SelfHealingInstanceArgs) preflight(ctx *pulumi.Context, name string, parent pulumi.ResourceOrInvokeOption) (preflight, error) {
	var found preflight
	var err error
	if found.env, err = lookupEnvironment(ctx, parent); err != nil {
		return found, err
	}
	if err := a.checkSections(ctx, name, found.env); err != nil {
		return found, err
	}
	if v := a.DataVolume; v != nil {
		if v.VolumeID != "" {
			if found.adopted, err = lookupExistingVolume(ctx, v.VolumeID, parent); err != nil {
				return found, err
			}
		}
		if key, known := knownString(v.KMSKeyARN); known {
			if err := volumeKeyRule(found.env)(key); err != nil {
				return found, err
			}
		}
	}
	if found.where, err = a.resolvePlacement(ctx, found.adopted, parent); err != nil {
		return found, err
	}
	if found.image, err = lookupImage(ctx, a.InstanceType, a.AmiID, a.RootVolumeSizeGiB, parent); err != nil {
		return found, err
	}
	if found.zone, err = resolveDNSZone(ctx, a.DNS, parent); err != nil {
		return found, err
	}
	if found.address, err = resolveAddress(ctx, a.AllocationID, parent); err != nil {
		return found, err
	}
	if n := a.Notifications; n != nil {
		if topic, known := knownString(n.TopicArn); known {
			if err := topicRule(found.env)(topic); err != nil {
				return found, err
			}
		}
	}
	if err := lookupSpotInstanceTypes(ctx, a, found.image, parent); err != nil {
		return found, err
	}
	return found, nil
}

// resolvePlacement looks up the subnets (or the default VPC's), checks they
// share one VPC, and narrows them to the data volume's zone. With literal
// subnet ids it does so now; with an output, when the output resolves,
// where an error fails the deployment.
func (a SelfHealingInstanceArgs) resolvePlacement(ctx *pulumi.Context, adopted existingVolume, parent pulumi.ResourceOrInvokeOption) (resolvedPlacement, error) {
	place := func(ids []string) (placement, string, error) {
		p, err := lookupPlacement(ctx, ids, parent)
		if err != nil || a.DataVolume == nil {
			return p, "", err
		}
		zone := dataVolumeZone(*a.DataVolume, adopted, p)
		p, err = p.inZone(zone)
		return p, zone, err
	}
	optionalZone := func(zone string) pulumi.StringInput {
		if a.DataVolume == nil {
			return nil
		}
		return pulumi.String(zone)
	}
	if ids, known := knownStringArray(a.SubnetIDs); known {
		p, zone, err := place(ids)
		if err != nil {
			return resolvedPlacement{}, err
		}
		return resolvedPlacement{VpcID: pulumi.String(p.VpcID), SubnetIDs: pulumi.ToStringArray(p.SubnetIDs), VolumeZone: optionalZone(zone)}, nil
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
			ID:        pulumi.String(eip.Id).ToStringOutput(),
			PublicIP:  pulumi.String(eip.PublicIp).ToStringOutput(),
			PublicDNS: pulumi.String(eip.PublicDns).ToStringOutput(),
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
