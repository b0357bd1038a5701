package moto

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// EC2 resource type tokens the monitor creates.
const (
	typeEip            = "aws:ec2/eip:Eip"
	typeSecurityGroup  = "aws:ec2/securityGroup:SecurityGroup"
	typeLaunchTemplate = "aws:ec2/launchTemplate:LaunchTemplate"
)

// createEip allocates an Elastic IP. Its id is the allocation id.
func (m *Monitor) createEip(ctx context.Context, name string, in *inputs) (created, error) {
	req := &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc}
	if domain, ok := in.str("domain"); ok && domain != "vpc" {
		in.fail("domain", "want %q, got %q; EC2-Classic addresses no longer exist", "vpc", domain)
	}
	if vpc, ok := in.boolean("vpc"); ok && !vpc {
		in.fail("vpc", "false asks for an EC2-Classic address, which no longer exist")
	}
	if addr, ok := in.str("address"); ok {
		req.Address = &addr
	}
	if pool, ok := in.str("publicIpv4Pool"); ok {
		req.PublicIpv4Pool = &pool
	}
	if group, ok := in.str("networkBorderGroup"); ok {
		req.NetworkBorderGroup = &group
	}
	req.TagSpecifications = tagSpecifications(ec2types.ResourceTypeElasticIp, in.strMap("tags"))
	in.ignore("tagsAll")
	if err := in.done(); err != nil {
		return created{}, err
	}

	out, err := m.ec2.AllocateAddress(ctx, req)
	if err != nil {
		return created{}, fmt.Errorf("AllocateAddress: %w", err)
	}
	id := aws.ToString(out.AllocationId)
	addr, err := m.describeAddress(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{id}})
	if err != nil {
		return created{}, fmt.Errorf("reading back %s: %w", id, err)
	}
	return created{id: id, attrs: m.addressAttributes(addr)}, nil
}

// describeAddress returns the one address req matches.
func (m *Monitor) describeAddress(ctx context.Context, req *ec2.DescribeAddressesInput) (ec2types.Address, error) {
	out, err := m.ec2.DescribeAddresses(ctx, req)
	if err != nil {
		return ec2types.Address{}, fmt.Errorf("DescribeAddresses: %w", err)
	}
	if len(out.Addresses) != 1 {
		return ec2types.Address{}, fmt.Errorf("DescribeAddresses: want exactly one matching EC2 EIP, found %d", len(out.Addresses))
	}
	return out.Addresses[0], nil
}

// addressAttributes are an address's attributes under the names both the
// Eip resource and the getElasticIp invoke use.
func (m *Monitor) addressAttributes(a ec2types.Address) map[string]any {
	id := aws.ToString(a.AllocationId)
	ip := aws.ToString(a.PublicIp)
	return map[string]any{
		"allocationId":            id,
		"publicIp":                ip,
		"publicDns":               m.publicDNS(ip),
		"domain":                  string(a.Domain),
		"arn":                     m.arn("ec2", m.region, "elastic-ip/"+id),
		"associationId":           aws.ToString(a.AssociationId),
		"instance":                aws.ToString(a.InstanceId),
		"networkInterface":        aws.ToString(a.NetworkInterfaceId),
		"privateIp":               aws.ToString(a.PrivateIpAddress),
		"publicIpv4Pool":          aws.ToString(a.PublicIpv4Pool),
		"networkBorderGroup":      aws.ToString(a.NetworkBorderGroup),
		"customerOwnedIp":         aws.ToString(a.CustomerOwnedIp),
		"customerOwnedIpv4Pool":   aws.ToString(a.CustomerOwnedIpv4Pool),
		"carrierIp":               aws.ToString(a.CarrierIp),
		"networkInterfaceOwnerId": aws.ToString(a.NetworkInterfaceOwnerId),
		"tagsAll":                 tagMap(a.Tags),
	}
}

// publicDNS computes an address's public DNS name the way the Pulumi AWS
// provider does (EC2 does not return one for Elastic IPs).
func (m *Monitor) publicDNS(ip string) string {
	if ip == "" {
		return ""
	}
	dashed := strings.ReplaceAll(ip, ".", "-")
	if m.region == "us-east-1" {
		return fmt.Sprintf("ec2-%s.compute-1.%s", dashed, dnsSuffixOf(m.partition))
	}
	return fmt.Sprintf("ec2-%s.%s.compute.%s", dashed, m.region, dnsSuffixOf(m.partition))
}

// createSecurityGroup creates a security group with exactly the inline
// rules given: like the provider, it revokes the egress rule EC2 adds to
// every new VPC security group, then authorizes ingress and egress.
func (m *Monitor) createSecurityGroup(ctx context.Context, name string, in *inputs) (created, error) {
	groupName, autoNamed := physicalName(in, name)
	description := in.strOr("description", "Managed by Pulumi")
	vpcID, _ := in.str("vpcId")
	tags := in.strMap("tags")
	ingress := ipPermissions(in.objects("ingress"))
	egress := ipPermissions(in.objects("egress"))
	in.ignore("revokeRulesOnDelete", "tagsAll")
	if err := in.done(); err != nil {
		return created{}, err
	}

	out, err := m.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:         &groupName,
		Description:       &description,
		VpcId:             nonEmpty(vpcID),
		TagSpecifications: tagSpecifications(ec2types.ResourceTypeSecurityGroup, tags),
	})
	if err != nil {
		return created{}, fmt.Errorf("CreateSecurityGroup: %w", err)
	}
	id := aws.ToString(out.GroupId)
	if vpcID != "" {
		if _, err := m.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
			GroupId: &id,
			IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("-1"),
				IpRanges:   []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
			}},
		}); err != nil {
			return created{}, fmt.Errorf("revoking the default egress rule of %s: %w", id, err)
		}
	}
	if len(ingress) > 0 {
		if _, err := m.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: &id, IpPermissions: ingress,
		}); err != nil {
			return created{}, fmt.Errorf("AuthorizeSecurityGroupIngress on %s: %w", id, err)
		}
	}
	if len(egress) > 0 {
		if _, err := m.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{
			GroupId: &id, IpPermissions: egress,
		}); err != nil {
			return created{}, fmt.Errorf("AuthorizeSecurityGroupEgress on %s: %w", id, err)
		}
	}

	described, err := m.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		return created{}, fmt.Errorf("reading back %s: %w", id, err)
	}
	if len(described.SecurityGroups) != 1 {
		return created{}, fmt.Errorf("reading back %s: DescribeSecurityGroups found %d groups", id, len(described.SecurityGroups))
	}
	sg := described.SecurityGroups[0]
	attrs := map[string]any{
		"arn":     m.arn("ec2", m.region, "security-group/"+id),
		"ownerId": aws.ToString(sg.OwnerId),
		"vpcId":   aws.ToString(sg.VpcId),
		"tagsAll": tagMap(sg.Tags),
	}
	if autoNamed {
		attrs["name"] = groupName
	}
	return created{id: id, attrs: attrs}, nil
}

// ipPermissions translates the provider's inline security group rules.
func ipPermissions(rules []*inputs) []ec2types.IpPermission {
	var out []ec2types.IpPermission
	for _, r := range rules {
		protocol := strings.ToLower(r.required("protocol"))
		if protocol == "all" {
			protocol = "-1"
		}
		description := nonEmpty(r.strOr("description", ""))
		perm := ec2types.IpPermission{
			IpProtocol: &protocol,
			FromPort:   r.integerPtr("fromPort"),
			ToPort:     r.integerPtr("toPort"),
		}
		for _, cidr := range r.strList("cidrBlocks") {
			perm.IpRanges = append(perm.IpRanges, ec2types.IpRange{CidrIp: aws.String(cidr), Description: description})
		}
		for _, cidr := range r.strList("ipv6CidrBlocks") {
			perm.Ipv6Ranges = append(perm.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: aws.String(cidr), Description: description})
		}
		for _, id := range r.strList("prefixListIds") {
			perm.PrefixListIds = append(perm.PrefixListIds, ec2types.PrefixListId{PrefixListId: aws.String(id), Description: description})
		}
		for _, group := range r.strList("securityGroups") {
			perm.UserIdGroupPairs = append(perm.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: aws.String(group), Description: description})
		}
		if self, ok := r.boolean("self"); ok && self {
			r.fail("self", "rules that refer to their own group are not supported")
		}
		out = append(out, perm)
	}
	return out
}

// createLaunchTemplate creates a launch template from the provider's
// inputs. The template's description becomes its first version's
// description, as the provider does.
func (m *Monitor) createLaunchTemplate(ctx context.Context, name string, in *inputs) (created, error) {
	templateName, autoNamed := physicalName(in, name)
	data := &ec2types.RequestLaunchTemplateData{}
	description := nonEmpty(in.strOr("description", ""))
	if v, ok := in.str("imageId"); ok {
		data.ImageId = &v
	}
	if v, ok := in.str("instanceType"); ok {
		data.InstanceType = ec2types.InstanceType(v)
	}
	if v, ok := in.str("userData"); ok {
		data.UserData = &v
	}
	if v, ok := in.str("keyName"); ok {
		data.KeyName = &v
	}
	data.EbsOptimized = in.boolPtr("ebsOptimized")
	data.DisableApiTermination = in.boolPtr("disableApiTermination")
	data.DisableApiStop = in.boolPtr("disableApiStop")
	if v, ok := in.str("instanceInitiatedShutdownBehavior"); ok {
		data.InstanceInitiatedShutdownBehavior = ec2types.ShutdownBehavior(v)
	}
	data.SecurityGroupIds = in.strList("vpcSecurityGroupIds")
	data.SecurityGroups = in.strList("securityGroupNames")
	if p := in.object("iamInstanceProfile"); p != nil {
		data.IamInstanceProfile = &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{
			Arn:  nonEmpty(p.strOr("arn", "")),
			Name: nonEmpty(p.strOr("name", "")),
		}
	}
	if o := in.object("metadataOptions"); o != nil {
		data.MetadataOptions = &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
			HttpEndpoint:            ec2types.LaunchTemplateInstanceMetadataEndpointState(o.strOr("httpEndpoint", "")),
			HttpTokens:              ec2types.LaunchTemplateHttpTokensState(o.strOr("httpTokens", "")),
			HttpPutResponseHopLimit: o.integerPtr("httpPutResponseHopLimit"),
			HttpProtocolIpv6:        ec2types.LaunchTemplateInstanceMetadataProtocolIpv6(o.strOr("httpProtocolIpv6", "")),
			InstanceMetadataTags:    ec2types.LaunchTemplateInstanceMetadataTagsState(o.strOr("instanceMetadataTags", "")),
		}
	}
	for _, b := range in.objects("blockDeviceMappings") {
		mapping := ec2types.LaunchTemplateBlockDeviceMappingRequest{
			DeviceName:  nonEmpty(b.strOr("deviceName", "")),
			NoDevice:    nonEmpty(b.strOr("noDevice", "")),
			VirtualName: nonEmpty(b.strOr("virtualName", "")),
		}
		if e := b.object("ebs"); e != nil {
			mapping.Ebs = &ec2types.LaunchTemplateEbsBlockDeviceRequest{
				DeleteOnTermination: e.boolPtr("deleteOnTermination"),
				Encrypted:           e.boolPtr("encrypted"),
				Iops:                e.integerPtr("iops"),
				KmsKeyId:            nonEmpty(e.strOr("kmsKeyId", "")),
				SnapshotId:          nonEmpty(e.strOr("snapshotId", "")),
				Throughput:          e.integerPtr("throughput"),
				VolumeSize:          e.integerPtr("volumeSize"),
				VolumeType:          ec2types.VolumeType(e.strOr("volumeType", "")),
			}
		}
		data.BlockDeviceMappings = append(data.BlockDeviceMappings, mapping)
	}
	for _, n := range in.objects("networkInterfaces") {
		data.NetworkInterfaces = append(data.NetworkInterfaces, ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{
			AssociatePublicIpAddress: n.boolPtr("associatePublicIpAddress"),
			DeleteOnTermination:      n.boolPtr("deleteOnTermination"),
			Description:              nonEmpty(n.strOr("description", "")),
			DeviceIndex:              n.integerPtr("deviceIndex"),
			Groups:                   n.strList("securityGroups"),
			SubnetId:                 nonEmpty(n.strOr("subnetId", "")),
			NetworkInterfaceId:       nonEmpty(n.strOr("networkInterfaceId", "")),
			PrivateIpAddress:         nonEmpty(n.strOr("privateIpAddress", "")),
		})
	}
	for _, s := range in.objects("tagSpecifications") {
		data.TagSpecifications = append(data.TagSpecifications, ec2types.LaunchTemplateTagSpecificationRequest{
			ResourceType: ec2types.ResourceType(s.required("resourceType")),
			Tags:         ec2Tags(s.strMap("tags")),
		})
	}
	tags := in.strMap("tags")
	// updateDefaultVersion and defaultVersion act on updates only.
	in.ignore("updateDefaultVersion", "defaultVersion", "tagsAll")
	if err := in.done(); err != nil {
		return created{}, err
	}

	adjustments, err := m.sizeRootVolumes(ctx, data)
	if err != nil {
		return created{}, err
	}

	out, err := m.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: &templateName,
		VersionDescription: description,
		LaunchTemplateData: data,
		TagSpecifications:  tagSpecifications(ec2types.ResourceTypeLaunchTemplate, tags),
	})
	if err != nil {
		return created{}, fmt.Errorf("CreateLaunchTemplate: %w", err)
	}
	if out.LaunchTemplate == nil {
		return created{}, errors.New("CreateLaunchTemplate returned no launch template")
	}
	lt := out.LaunchTemplate
	id := aws.ToString(lt.LaunchTemplateId)
	attrs := map[string]any{
		"arn":            m.arn("ec2", m.region, "launch-template/"+id),
		"latestVersion":  float64(aws.ToInt64(lt.LatestVersionNumber)),
		"defaultVersion": float64(aws.ToInt64(lt.DefaultVersionNumber)),
		"tagsAll":        tagMap(lt.Tags),
	}
	if autoNamed {
		attrs["name"] = templateName
	}
	return created{id: id, attrs: attrs, adjustments: adjustments}, nil
}

// sizeRootVolumes fills in VolumeSize for each EBS mapping that has neither
// a size nor a snapshot but names a device of the template's image, with
// the size of the image's snapshot for that device. AWS does the same at
// launch; moto cannot, and fails the launch (see the package
// documentation). It returns one adjustment note per filled-in size.
func (m *Monitor) sizeRootVolumes(ctx context.Context, data *ec2types.RequestLaunchTemplateData) ([]string, error) {
	var unsized []int
	for i, b := range data.BlockDeviceMappings {
		if b.Ebs != nil && b.Ebs.VolumeSize == nil && b.Ebs.SnapshotId == nil {
			unsized = append(unsized, i)
		}
	}
	if len(unsized) == 0 || data.ImageId == nil {
		return nil, nil
	}
	images, err := m.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{*data.ImageId}})
	if err != nil {
		return nil, fmt.Errorf("DescribeImages %s, to size the root volume: %w", *data.ImageId, err)
	}
	if len(images.Images) != 1 {
		return nil, fmt.Errorf("DescribeImages %s, to size the root volume: found %d images", *data.ImageId, len(images.Images))
	}
	sizes := map[string]int32{}
	for _, b := range images.Images[0].BlockDeviceMappings {
		if b.Ebs != nil && b.Ebs.VolumeSize != nil {
			sizes[aws.ToString(b.DeviceName)] = *b.Ebs.VolumeSize
		}
	}
	var notes []string
	for _, i := range unsized {
		b := &data.BlockDeviceMappings[i]
		size, ok := sizes[aws.ToString(b.DeviceName)]
		if !ok {
			continue
		}
		b.Ebs.VolumeSize = aws.Int32(size)
		notes = append(notes, fmt.Sprintf(
			"blockDeviceMappings[%d] (%s): sent VolumeSize %d, the size of image %s's snapshot, because moto cannot launch "+
				"an EBS volume with neither size nor snapshot (AWS uses the image's size)",
			i, aws.ToString(b.DeviceName), size, *data.ImageId))
	}
	return notes, nil
}

// tagSpecifications tags one resource at creation; nil for no tags.
func tagSpecifications(resourceType ec2types.ResourceType, tags map[string]string) []ec2types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	return []ec2types.TagSpecification{{ResourceType: resourceType, Tags: ec2Tags(tags)}}
}

// ec2Tags converts a tag map, in key order.
func ec2Tags(tags map[string]string) []ec2types.Tag {
	var out []ec2types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// tagMap converts EC2 tags to a map of plain values.
func tagMap(tags []ec2types.Tag) map[string]any {
	out := map[string]any{}
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// nonEmpty returns a pointer to s, or nil if s is empty.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
