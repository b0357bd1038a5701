package components

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The lookups below are plain invokes, not outputs: they run during
// `pulumi preview`, so a wrong subnet or image fails before anything exists.

// awsEnvironment is where the component is deployed.
type awsEnvironment struct {
	Partition, DNSSuffix, Region, AccountID string
}

func lookupEnvironment(ctx *pulumi.Context, opts ...pulumi.InvokeOption) (awsEnvironment, error) {
	partition, err := aws.GetPartition(ctx, &aws.GetPartitionArgs{}, opts...)
	if err != nil {
		return awsEnvironment{}, fmt.Errorf("looking up the AWS partition: %w", err)
	}
	region, err := aws.GetRegion(ctx, &aws.GetRegionArgs{}, opts...)
	if err != nil {
		return awsEnvironment{}, fmt.Errorf("looking up the AWS region: %w", err)
	}
	caller, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, opts...)
	if err != nil {
		return awsEnvironment{}, fmt.Errorf("looking up the AWS account: %w", err)
	}
	return awsEnvironment{
		Partition: partition.Partition,
		DNSSuffix: partition.DnsSuffix,
		Region:    region.Name,
		AccountID: caller.AccountId,
	}, nil
}

// placement is where the group launches its instance.
type placement struct {
	VpcID     string
	SubnetIDs []string
	// Zones maps each subnet id to its Availability Zone, and CIDRs to its
	// IPv4 CIDR block.
	Zones, CIDRs map[string]string
	// Configured says the subnets came from args, not the default VPC.
	Configured bool
}

// inZone narrows p to its subnets in zone, where a data volume lives.
func (p placement) inZone(zone string) (placement, error) {
	var kept []string
	for _, id := range p.SubnetIDs {
		if p.Zones[id] == zone {
			kept = append(kept, id)
		}
	}
	if len(kept) == 0 {
		var listed []string
		for _, id := range p.SubnetIDs {
			listed = append(listed, id+" ("+p.Zones[id]+")")
		}
		if p.Configured {
			return placement{}, fmt.Errorf("subnetIds: none is in %s, the data volume's Availability Zone; an instance can attach "+
				"a volume only in its own zone. Add a subnet in %s to subnetIds (now %s), or put the volume in one of their zones",
				zone, zone, strings.Join(listed, ", "))
		}
		return placement{}, fmt.Errorf("dataVolume: the default VPC has no default subnet in %s, the volume's Availability Zone "+
			"(it has %s); set dataVolume.availabilityZone to one of those zones, or set subnetIds", zone, strings.Join(listed, ", "))
	}
	p.SubnetIDs = kept
	return p, nil
}

// lookupPlacement resolves subnetIDs, or the default VPC's default subnets
// when subnetIDs is nil, and checks that they share one VPC.
func lookupPlacement(ctx *pulumi.Context, subnetIDs []string, opts ...pulumi.InvokeOption) (placement, error) {
	if subnetIDs == nil {
		return lookupDefaultPlacement(ctx, opts...)
	}
	p := placement{Zones: map[string]string{}, CIDRs: map[string]string{}, Configured: true}
	for i, id := range subnetIDs {
		subnet, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: &id}, opts...)
		if err != nil {
			return placement{}, fmt.Errorf("subnetIds[%d] %q: looking it up: %w", i, id, err)
		}
		if i == 0 {
			p.VpcID = subnet.VpcId
		} else if subnet.VpcId != p.VpcID {
			return placement{}, fmt.Errorf("subnetIds[%d] %q: is in %s, but subnetIds[0] is in %s; all subnets must share one VPC",
				i, id, subnet.VpcId, p.VpcID)
		}
		p.SubnetIDs = append(p.SubnetIDs, id)
		p.Zones[id], p.CIDRs[id] = subnet.AvailabilityZone, subnet.CidrBlock
	}
	return p, nil
}

func lookupDefaultPlacement(ctx *pulumi.Context, opts ...pulumi.InvokeOption) (placement, error) {
	isDefault := true
	vpc, err := ec2.LookupVpc(ctx, &ec2.LookupVpcArgs{Default: &isDefault}, opts...)
	if err != nil {
		return placement{}, fmt.Errorf("subnetIds: unset, so the default VPC is used, but looking it up failed "+
			"(does this region have one?); set subnetIds to public subnets of one VPC: %w", err)
	}
	// AWS answers with a VPC or an error; an empty answer comes from test
	// mocks that do not know the lookup.
	if vpc.Id == "" {
		return placement{}, errors.New("subnetIds: unset, and the lookup of the default VPC (aws:ec2/getVpc:getVpc) answered no VPC; " +
			"set subnetIds, or, under Pulumi's mocks, answer the component's lookups (components/selfhealingtest)")
	}
	subnets, err := ec2.GetSubnets(ctx, &ec2.GetSubnetsArgs{Filters: []ec2.GetSubnetsFilter{
		{Name: "vpc-id", Values: []string{vpc.Id}},
		{Name: "default-for-az", Values: []string{"true"}},
	}}, opts...)
	if err != nil {
		return placement{}, fmt.Errorf("subnetIds: listing the default subnets of %s: %w", vpc.Id, err)
	}
	if len(subnets.Ids) == 0 {
		return placement{}, fmt.Errorf("subnetIds: unset, and the default VPC %s has no default subnets; set subnetIds", vpc.Id)
	}
	// Sorted, so that a preview does not show a change when AWS lists the
	// same subnets in another order.
	p := placement{VpcID: vpc.Id, SubnetIDs: slices.Sorted(slices.Values(subnets.Ids)), Zones: map[string]string{}, CIDRs: map[string]string{}}
	for _, id := range p.SubnetIDs {
		subnet, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: &id}, opts...)
		if err != nil {
			return placement{}, fmt.Errorf("subnetIds: looking up default subnet %s: %w", id, err)
		}
		p.Zones[id], p.CIDRs[id] = subnet.AvailabilityZone, subnet.CidrBlock
	}
	return p, nil
}

// machineImage is the AMI the launch template boots.
type machineImage struct {
	ID             string
	Architecture   string
	RootDeviceName string
	// SizeGiB is the size of the image's root snapshot, 0 if unknown.
	SizeGiB int
}

// lookupImage resolves args' AMI, or the latest Amazon Linux 2023 for the
// instance type's architecture, and checks that the two fit together.
func lookupImage(ctx *pulumi.Context, instanceType, amiID string, rootVolumeSizeGiB int, opts ...pulumi.InvokeOption) (machineImage, error) {
	typeInfo, err := ec2.GetInstanceType(ctx, &ec2.GetInstanceTypeArgs{InstanceType: instanceType}, opts...)
	if err != nil {
		return machineImage{}, fmt.Errorf("instanceType %q: looking it up in this region: %w", instanceType, err)
	}
	if amiID == "" {
		arch, err := amazonLinuxArchitecture(typeInfo.SupportedArchitectures)
		if err != nil {
			return machineImage{}, fmt.Errorf("instanceType %q: %w", instanceType, err)
		}
		param, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{Name: AmazonLinux2023Parameter(arch)}, opts...)
		if err != nil {
			return machineImage{}, fmt.Errorf("amiId: unset, and reading the latest Amazon Linux 2023 AMI from SSM parameter %s failed: %w",
				AmazonLinux2023Parameter(arch), err)
		}
		amiID = param.Value
	}

	includeDeprecated := true
	ami, err := ec2.LookupAmi(ctx, &ec2.LookupAmiArgs{
		Filters:           []ec2.GetAmiFilter{{Name: "image-id", Values: []string{amiID}}},
		IncludeDeprecated: &includeDeprecated,
	}, opts...)
	if err != nil {
		return machineImage{}, fmt.Errorf("amiId %q: looking it up: %w", amiID, err)
	}
	if !slices.Contains(typeInfo.SupportedArchitectures, ami.Architecture) {
		return machineImage{}, fmt.Errorf("amiId %q: is built for %s, but instanceType %q runs %v; choose an image and type of one architecture",
			amiID, ami.Architecture, instanceType, typeInfo.SupportedArchitectures)
	}
	image := machineImage{ID: ami.ImageId, Architecture: ami.Architecture, RootDeviceName: ami.RootDeviceName}
	for _, mapping := range ami.BlockDeviceMappings {
		if mapping.DeviceName == ami.RootDeviceName {
			image.SizeGiB, _ = strconv.Atoi(mapping.Ebs["volume_size"])
		}
	}
	if rootVolumeSizeGiB != 0 && rootVolumeSizeGiB < image.SizeGiB {
		return machineImage{}, fmt.Errorf("rootVolumeSizeGiB %d: image %s needs at least %d GiB; set %d or more, or 0 for the image's size",
			rootVolumeSizeGiB, amiID, image.SizeGiB, image.SizeGiB)
	}
	return image, nil
}

// amazonLinuxArchitecture picks the Amazon Linux 2023 build for an instance
// type from the architectures AWS says it supports.
func amazonLinuxArchitecture(supported []string) (string, error) {
	for _, arch := range []string{"x86_64", "arm64"} {
		if slices.Contains(supported, arch) {
			return arch, nil
		}
	}
	// AWS lists at least one architecture for every instance type; none
	// comes from test mocks that do not know the lookup.
	if len(supported) == 0 {
		return "", errors.New("the lookup of the instance type (aws:ec2/getInstanceType:getInstanceType) answered no architecture; " +
			"under Pulumi's mocks, answer the component's lookups (components/selfhealingtest)")
	}
	return "", fmt.Errorf("supports %v, and Amazon Linux 2023 is built only for x86_64 and arm64; set amiId", supported)
}

// AmazonLinux2023Parameter is the SSM public parameter that holds the latest
// Amazon Linux 2023 AMI id for arch ("x86_64" or "arm64").
func AmazonLinux2023Parameter(arch string) string {
	return "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch
}

// lookupExistingAddress reads an Elastic IP the component did not allocate.
func lookupExistingAddress(ctx *pulumi.Context, allocationID string, opts ...pulumi.InvokeOption) (*ec2.GetElasticIpResult, error) {
	eip, err := ec2.GetElasticIp(ctx, &ec2.GetElasticIpArgs{Id: &allocationID}, opts...)
	if err != nil {
		return nil, fmt.Errorf("allocationId %q: looking it up in this region: %w", allocationID, err)
	}
	return eip, nil
}
