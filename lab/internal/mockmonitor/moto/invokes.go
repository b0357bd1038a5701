package moto

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Invoke tokens the monitor answers.
const (
	invokeGetPartition      = "aws:index/getPartition:getPartition"
	invokeGetRegion         = "aws:index/getRegion:getRegion"
	invokeGetCallerIdentity = "aws:index/getCallerIdentity:getCallerIdentity"
	invokeGetInstanceType   = "aws:ec2/getInstanceType:getInstanceType"
	invokeGetParameter      = "aws:ssm/getParameter:getParameter"
	invokeGetAmi            = "aws:ec2/getAmi:getAmi"
	invokeGetVpc            = "aws:ec2/getVpc:getVpc"
	invokeGetSubnets        = "aws:ec2/getSubnets:getSubnets"
	invokeGetSubnet         = "aws:ec2/getSubnet:getSubnet"
	invokeGetElasticIP      = "aws:ec2/getElasticIp:getElasticIp"
	invokeGetSnapshot       = "aws:ebs/getSnapshot:getSnapshot"
)

// invoker answers one invoke from its arguments.
type invoker func(m *Monitor, ctx context.Context, in *inputs) (map[string]any, error)

var invokers = map[string]invoker{
	invokeGetPartition:      (*Monitor).getPartition,
	invokeGetRegion:         (*Monitor).getRegion,
	invokeGetCallerIdentity: (*Monitor).getCallerIdentity,
	invokeGetInstanceType:   (*Monitor).getInstanceType,
	invokeGetParameter:      (*Monitor).getParameter,
	invokeGetAmi:            (*Monitor).getAmi,
	invokeGetVpc:            (*Monitor).getVpc,
	invokeGetSubnets:        (*Monitor).getSubnets,
	invokeGetSubnet:         (*Monitor).getSubnet,
	invokeGetElasticIP:      (*Monitor).getElasticIP,
	invokeGetSnapshot:       (*Monitor).getSnapshot,
}

// SupportedInvokes lists the invoke tokens the monitor answers.
func SupportedInvokes() []string {
	return []string{
		invokeGetPartition, invokeGetRegion, invokeGetCallerIdentity, invokeGetInstanceType, invokeGetParameter,
		invokeGetAmi, invokeGetVpc, invokeGetSubnets, invokeGetSubnet, invokeGetElasticIP, invokeGetSnapshot,
	}
}

// Call answers an invoke by asking moto, with the result fields the Pulumi
// AWS SDK (v6) expects. An invoke or argument the monitor does not know
// fails loudly, as does a lookup that finds nothing, or more than one thing
// where the provider wants exactly one.
func (m *Monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	answer, ok := invokers[args.Token]
	if !ok {
		return nil, fmt.Errorf("moto monitor: invoke %s is not supported (supported: %s); teach internal/mockmonitor/moto to answer it from moto",
			args.Token, strings.Join(SupportedInvokes(), ", "))
	}
	ctx, cancel := context.WithTimeout(m.ctx, CallTimeout)
	defer cancel()
	in := newInputs("", args.Args)
	out, err := answer(m, ctx, in)
	if err == nil {
		err = in.done()
	}
	if err != nil {
		return nil, fmt.Errorf("moto monitor: invoke %s: %w", args.Token, err)
	}
	// The provider echoes the arguments in the result, as the SDK's result
	// types expect.
	result := args.Args.Copy()
	for k, v := range out {
		result[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	return result, nil
}

func (m *Monitor) getPartition(_ context.Context, in *inputs) (map[string]any, error) {
	in.ignore("id")
	suffix := dnsSuffixOf(m.partition)
	parts := strings.Split(suffix, ".")
	slices.Reverse(parts)
	return map[string]any{
		"id":               m.partition,
		"partition":        m.partition,
		"dnsSuffix":        suffix,
		"reverseDnsPrefix": strings.Join(parts, "."),
	}, nil
}

// getRegion answers with the monitor's region (or the one named), as EC2
// DescribeRegions reports it.
func (m *Monitor) getRegion(ctx context.Context, in *inputs) (map[string]any, error) {
	region := m.region
	if name, ok := in.str("name"); ok && name != "" {
		region = name
	}
	if id, ok := in.str("id"); ok && id != "" {
		region = id
	}
	in.ignore("endpoint")
	out, err := m.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{region}})
	if err != nil {
		return nil, fmt.Errorf("DescribeRegions %s: %w", region, err)
	}
	if len(out.Regions) != 1 {
		return nil, fmt.Errorf("DescribeRegions %s: found %d regions", region, len(out.Regions))
	}
	r := out.Regions[0]
	return map[string]any{
		"id":       aws.ToString(r.RegionName),
		"name":     aws.ToString(r.RegionName),
		"endpoint": aws.ToString(r.Endpoint),
		// DescribeRegions has no description; the provider fills it from
		// its own region list, which the monitor does not have.
		"description": "",
	}, nil
}

func (m *Monitor) getCallerIdentity(ctx context.Context, in *inputs) (map[string]any, error) {
	in.ignore("id")
	out, err := m.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("GetCallerIdentity: %w", err)
	}
	return map[string]any{
		"id":        aws.ToString(out.Account),
		"accountId": aws.ToString(out.Account),
		"arn":       aws.ToString(out.Arn),
		"userId":    aws.ToString(out.UserId),
	}, nil
}

// getInstanceType answers from EC2 DescribeInstanceTypes.
func (m *Monitor) getInstanceType(ctx context.Context, in *inputs) (map[string]any, error) {
	name := in.required("instanceType")
	if err := in.done(); err != nil {
		return nil, err
	}
	out, err := m.ec2.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{
		InstanceTypes: []ec2types.InstanceType{ec2types.InstanceType(name)},
	})
	if err != nil {
		return nil, fmt.Errorf("reading EC2 Instance Type (%s): DescribeInstanceTypes: %w", name, err)
	}
	if len(out.InstanceTypes) != 1 {
		return nil, fmt.Errorf("reading EC2 Instance Type (%s): found %d", name, len(out.InstanceTypes))
	}
	t := out.InstanceTypes[0]
	r := map[string]any{
		"id":                            string(t.InstanceType),
		"instanceType":                  string(t.InstanceType),
		"autoRecoverySupported":         aws.ToBool(t.AutoRecoverySupported),
		"bareMetal":                     aws.ToBool(t.BareMetal),
		"burstablePerformanceSupported": aws.ToBool(t.BurstablePerformanceSupported),
		"currentGeneration":             aws.ToBool(t.CurrentGeneration),
		"dedicatedHostsSupported":       aws.ToBool(t.DedicatedHostsSupported),
		"freeTierEligible":              aws.ToBool(t.FreeTierEligible),
		"hibernationSupported":          aws.ToBool(t.HibernationSupported),
		"hypervisor":                    string(t.Hypervisor),
		"instanceStorageSupported":      aws.ToBool(t.InstanceStorageSupported),
		"nitroEnclavesSupport":          string(t.NitroEnclavesSupport),
		"nitroTpmSupport":               string(t.NitroTpmSupport),
		"bootModes":                     enumsToAny(t.SupportedBootModes),
		"supportedRootDeviceTypes":      enumsToAny(t.SupportedRootDeviceTypes),
		"supportedUsagesClasses":        enumsToAny(t.SupportedUsageClasses),
		"supportedVirtualizationTypes":  enumsToAny(t.SupportedVirtualizationTypes),
		"supportedArchitectures":        []any{},
	}
	if p := t.ProcessorInfo; p != nil {
		r["supportedArchitectures"] = enumsToAny(p.SupportedArchitectures)
		r["sustainedClockSpeed"] = aws.ToFloat64(p.SustainedClockSpeedInGhz)
	}
	if v := t.VCpuInfo; v != nil {
		r["defaultCores"] = float64(aws.ToInt32(v.DefaultCores))
		r["defaultThreadsPerCore"] = float64(aws.ToInt32(v.DefaultThreadsPerCore))
		r["defaultVcpus"] = float64(aws.ToInt32(v.DefaultVCpus))
	}
	if mem := t.MemoryInfo; mem != nil {
		r["memorySize"] = float64(aws.ToInt64(mem.SizeInMiB))
	}
	if n := t.NetworkInfo; n != nil {
		r["ipv6Supported"] = aws.ToBool(n.Ipv6Supported)
		r["maximumIpv4AddressesPerInterface"] = float64(aws.ToInt32(n.Ipv4AddressesPerInterface))
		r["maximumIpv6AddressesPerInterface"] = float64(aws.ToInt32(n.Ipv6AddressesPerInterface))
		r["maximumNetworkInterfaces"] = float64(aws.ToInt32(n.MaximumNetworkInterfaces))
		r["maximumNetworkCards"] = float64(aws.ToInt32(n.MaximumNetworkCards))
		r["networkPerformance"] = aws.ToString(n.NetworkPerformance)
		r["enaSupport"] = string(n.EnaSupport)
	}
	if e := t.EbsInfo; e != nil {
		r["ebsEncryptionSupport"] = string(e.EncryptionSupport)
		r["ebsNvmeSupport"] = string(e.NvmeSupport)
		r["ebsOptimizedSupport"] = string(e.EbsOptimizedSupport)
	}
	return r, nil
}

// getParameter answers from SSM GetParameter.
func (m *Monitor) getParameter(ctx context.Context, in *inputs) (map[string]any, error) {
	name := in.required("name")
	withDecryption := true // the provider's default
	if v, ok := in.boolean("withDecryption"); ok {
		withDecryption = v
	}
	if err := in.done(); err != nil {
		return nil, err
	}
	out, err := m.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: &withDecryption})
	if err != nil {
		return nil, fmt.Errorf("reading SSM Parameter (%s): %w", name, err)
	}
	p := out.Parameter
	value := aws.ToString(p.Value)
	insecure := value
	if p.Type == ssmtypes.ParameterTypeSecureString {
		insecure = ""
	}
	return map[string]any{
		"id":             name,
		"arn":            aws.ToString(p.ARN),
		"name":           aws.ToString(p.Name),
		"type":           string(p.Type),
		"value":          value,
		"insecureValue":  insecure,
		"version":        float64(p.Version),
		"withDecryption": withDecryption,
	}, nil
}

// getAmi answers from EC2 DescribeImages, with the provider's rules: no
// result is an error, and so is more than one without mostRecent.
func (m *Monitor) getAmi(ctx context.Context, in *inputs) (map[string]any, error) {
	req := &ec2.DescribeImagesInput{
		Filters:           ec2Filters(in.objects("filters")),
		Owners:            in.strList("owners"),
		ExecutableUsers:   in.strList("executableUsers"),
		IncludeDeprecated: in.boolPtr("includeDeprecated"),
	}
	req.Filters = append(req.Filters, tagFilters(in.strMap("tags"))...)
	mostRecent, _ := in.boolean("mostRecent")
	var nameRegex *regexp.Regexp
	if v, ok := in.str("nameRegex"); ok {
		re, err := regexp.Compile(v)
		if err != nil {
			in.fail("nameRegex", "%v", err)
		}
		nameRegex = re
	}
	if err := in.done(); err != nil {
		return nil, err
	}
	out, err := m.ec2.DescribeImages(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading EC2 AMIs: DescribeImages: %w", err)
	}
	images := out.Images
	if nameRegex != nil {
		images = slices.DeleteFunc(images, func(i ec2types.Image) bool { return !nameRegex.MatchString(aws.ToString(i.Name)) })
	}
	switch {
	case len(images) == 0:
		return nil, errors.New("Your query returned no results. Please change your search criteria and try again.")
	case len(images) > 1 && !mostRecent:
		return nil, errors.New("Your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true.")
	}
	slices.SortStableFunc(images, func(a, b ec2types.Image) int {
		return strings.Compare(aws.ToString(b.CreationDate), aws.ToString(a.CreationDate))
	})
	return m.imageAttributes(images[0]), nil
}

// imageAttributes are an image's attributes under getAmi's result names.
func (m *Monitor) imageAttributes(i ec2types.Image) map[string]any {
	id := aws.ToString(i.ImageId)
	var mappings []any
	rootSnapshot := ""
	for _, b := range i.BlockDeviceMappings {
		mapping := map[string]any{
			"deviceName":  aws.ToString(b.DeviceName),
			"noDevice":    aws.ToString(b.NoDevice),
			"virtualName": aws.ToString(b.VirtualName),
			"ebs":         map[string]any{},
		}
		if e := b.Ebs; e != nil {
			// The provider flattens ebs to a map of strings, snake_case.
			mapping["ebs"] = map[string]any{
				"delete_on_termination": strconv.FormatBool(aws.ToBool(e.DeleteOnTermination)),
				"encrypted":             strconv.FormatBool(aws.ToBool(e.Encrypted)),
				"iops":                  strconv.Itoa(int(aws.ToInt32(e.Iops))),
				"throughput":            strconv.Itoa(int(aws.ToInt32(e.Throughput))),
				"volume_size":           strconv.Itoa(int(aws.ToInt32(e.VolumeSize))),
				"snapshot_id":           aws.ToString(e.SnapshotId),
				"volume_type":           string(e.VolumeType),
			}
			if aws.ToString(b.DeviceName) == aws.ToString(i.RootDeviceName) {
				rootSnapshot = aws.ToString(e.SnapshotId)
			}
		}
		mappings = append(mappings, mapping)
	}
	var productCodes []any
	for _, p := range i.ProductCodes {
		productCodes = append(productCodes, map[string]any{
			"productCodeId": aws.ToString(p.ProductCodeId), "productCodeType": string(p.ProductCodeType),
		})
	}
	stateReason := map[string]any{"code": "UNSET", "message": "UNSET"}
	if r := i.StateReason; r != nil {
		stateReason = map[string]any{"code": aws.ToString(r.Code), "message": aws.ToString(r.Message)}
	}
	return map[string]any{
		"id":                  id,
		"imageId":             id,
		"arn":                 fmt.Sprintf("arn:%s:ec2:%s::image/%s", m.partition, m.region, id),
		"architecture":        string(i.Architecture),
		"blockDeviceMappings": mappings,
		"bootMode":            string(i.BootMode),
		"creationDate":        aws.ToString(i.CreationDate),
		"deprecationTime":     aws.ToString(i.DeprecationTime),
		"description":         aws.ToString(i.Description),
		"enaSupport":          aws.ToBool(i.EnaSupport),
		"hypervisor":          string(i.Hypervisor),
		"imageLocation":       aws.ToString(i.ImageLocation),
		"imageOwnerAlias":     aws.ToString(i.ImageOwnerAlias),
		"imageType":           string(i.ImageType),
		"imdsSupport":         string(i.ImdsSupport),
		"kernelId":            aws.ToString(i.KernelId),
		"lastLaunchedTime":    aws.ToString(i.LastLaunchedTime),
		"name":                aws.ToString(i.Name),
		"ownerId":             aws.ToString(i.OwnerId),
		"platform":            string(i.Platform),
		"platformDetails":     aws.ToString(i.PlatformDetails),
		"productCodes":        productCodes,
		"public":              aws.ToBool(i.Public),
		"ramdiskId":           aws.ToString(i.RamdiskId),
		"rootDeviceName":      aws.ToString(i.RootDeviceName),
		"rootDeviceType":      string(i.RootDeviceType),
		"rootSnapshotId":      rootSnapshot,
		"sriovNetSupport":     aws.ToString(i.SriovNetSupport),
		"state":               string(i.State),
		"stateReason":         stateReason,
		"tags":                tagMap(i.Tags),
		"tpmSupport":          string(i.TpmSupport),
		"usageOperation":      aws.ToString(i.UsageOperation),
		"virtualizationType":  string(i.VirtualizationType),
	}
}

// getVpc answers from EC2 DescribeVpcs; it wants exactly one VPC.
func (m *Monitor) getVpc(ctx context.Context, in *inputs) (map[string]any, error) {
	req := &ec2.DescribeVpcsInput{Filters: ec2Filters(in.objects("filters"))}
	if id, ok := in.str("id"); ok && id != "" {
		req.VpcIds = []string{id}
	}
	if isDefault, ok := in.boolean("default"); ok {
		req.Filters = append(req.Filters, filter("is-default", strconv.FormatBool(isDefault)))
	}
	for key, name := range map[string]string{"cidrBlock": "cidr", "dhcpOptionsId": "dhcp-options-id", "state": "state"} {
		if v, ok := in.str(key); ok && v != "" {
			req.Filters = append(req.Filters, filter(name, v))
		}
	}
	req.Filters = append(req.Filters, tagFilters(in.strMap("tags"))...)
	if err := in.done(); err != nil {
		return nil, err
	}
	out, err := m.ec2.DescribeVpcs(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading EC2 VPC: DescribeVpcs: %w", err)
	}
	if len(out.Vpcs) != 1 {
		return nil, fmt.Errorf("no matching EC2 VPC found: want exactly one, found %d", len(out.Vpcs))
	}
	v := out.Vpcs[0]
	id := aws.ToString(v.VpcId)
	var associations []any
	for _, a := range v.CidrBlockAssociationSet {
		state := ""
		if a.CidrBlockState != nil {
			state = string(a.CidrBlockState.State)
		}
		associations = append(associations, map[string]any{
			"associationId": aws.ToString(a.AssociationId), "cidrBlock": aws.ToString(a.CidrBlock), "state": state,
		})
	}
	ipv6Association, ipv6CIDR := "", ""
	if len(v.Ipv6CidrBlockAssociationSet) > 0 {
		ipv6Association = aws.ToString(v.Ipv6CidrBlockAssociationSet[0].AssociationId)
		ipv6CIDR = aws.ToString(v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock)
	}
	return map[string]any{
		"id":                    id,
		"arn":                   m.arn("ec2", m.region, "vpc/"+id),
		"cidrBlock":             aws.ToString(v.CidrBlock),
		"cidrBlockAssociations": associations,
		"default":               aws.ToBool(v.IsDefault),
		"dhcpOptionsId":         aws.ToString(v.DhcpOptionsId),
		"instanceTenancy":       string(v.InstanceTenancy),
		"ipv6AssociationId":     ipv6Association,
		"ipv6CidrBlock":         ipv6CIDR,
		"ownerId":               aws.ToString(v.OwnerId),
		"state":                 string(v.State),
		"tags":                  tagMap(v.Tags),
	}, nil
}

// getSubnets answers from EC2 DescribeSubnets; finding none is not an
// error. Its id is the region, as the provider's.
func (m *Monitor) getSubnets(ctx context.Context, in *inputs) (map[string]any, error) {
	req := &ec2.DescribeSubnetsInput{Filters: ec2Filters(in.objects("filters"))}
	req.Filters = append(req.Filters, tagFilters(in.strMap("tags"))...)
	if err := in.done(); err != nil {
		return nil, err
	}
	ids := []any{}
	paginator := ec2.NewDescribeSubnetsPaginator(m.ec2, req)
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading EC2 Subnets: DescribeSubnets: %w", err)
		}
		for _, s := range page.Subnets {
			ids = append(ids, aws.ToString(s.SubnetId))
		}
	}
	return map[string]any{"id": m.region, "ids": ids}, nil
}

// getSubnet answers from EC2 DescribeSubnets; it wants exactly one subnet.
func (m *Monitor) getSubnet(ctx context.Context, in *inputs) (map[string]any, error) {
	req := &ec2.DescribeSubnetsInput{Filters: ec2Filters(in.objects("filters"))}
	if id, ok := in.str("id"); ok && id != "" {
		req.SubnetIds = []string{id}
	}
	for key, name := range map[string]string{
		"availabilityZone": "availability-zone", "availabilityZoneId": "availability-zone-id",
		"cidrBlock": "cidr-block", "ipv6CidrBlock": "ipv6-cidr-block-association.ipv6-cidr-block",
		"state": "state", "vpcId": "vpc-id",
	} {
		if v, ok := in.str(key); ok && v != "" {
			req.Filters = append(req.Filters, filter(name, v))
		}
	}
	if v, ok := in.boolean("defaultForAz"); ok {
		req.Filters = append(req.Filters, filter("default-for-az", strconv.FormatBool(v)))
	}
	req.Filters = append(req.Filters, tagFilters(in.strMap("tags"))...)
	if err := in.done(); err != nil {
		return nil, err
	}
	out, err := m.ec2.DescribeSubnets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading EC2 Subnet: DescribeSubnets: %w", err)
	}
	if len(out.Subnets) != 1 {
		return nil, fmt.Errorf("no matching EC2 Subnet found: want exactly one, found %d", len(out.Subnets))
	}
	s := out.Subnets[0]
	id := aws.ToString(s.SubnetId)
	ipv6CIDR, ipv6Association := "", ""
	if len(s.Ipv6CidrBlockAssociationSet) > 0 {
		ipv6CIDR = aws.ToString(s.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock)
		ipv6Association = aws.ToString(s.Ipv6CidrBlockAssociationSet[0].AssociationId)
	}
	arn := aws.ToString(s.SubnetArn)
	if arn == "" {
		arn = m.arn("ec2", m.region, "subnet/"+id)
	}
	return map[string]any{
		"id":                          id,
		"arn":                         arn,
		"assignIpv6AddressOnCreation": aws.ToBool(s.AssignIpv6AddressOnCreation),
		"availabilityZone":            aws.ToString(s.AvailabilityZone),
		"availabilityZoneId":          aws.ToString(s.AvailabilityZoneId),
		"availableIpAddressCount":     float64(aws.ToInt32(s.AvailableIpAddressCount)),
		"cidrBlock":                   aws.ToString(s.CidrBlock),
		"customerOwnedIpv4Pool":       aws.ToString(s.CustomerOwnedIpv4Pool),
		"defaultForAz":                aws.ToBool(s.DefaultForAz),
		"enableDns64":                 aws.ToBool(s.EnableDns64),
		"ipv6CidrBlock":               ipv6CIDR,
		"ipv6CidrBlockAssociationId":  ipv6Association,
		"ipv6Native":                  aws.ToBool(s.Ipv6Native),
		"mapCustomerOwnedIpOnLaunch":  aws.ToBool(s.MapCustomerOwnedIpOnLaunch),
		"mapPublicIpOnLaunch":         aws.ToBool(s.MapPublicIpOnLaunch),
		"outpostArn":                  aws.ToString(s.OutpostArn),
		"ownerId":                     aws.ToString(s.OwnerId),
		"state":                       string(s.State),
		"tags":                        tagMap(s.Tags),
		"vpcId":                       aws.ToString(s.VpcId),
	}, nil
}

// getElasticIP answers from EC2 DescribeAddresses; it wants exactly one
// address.
func (m *Monitor) getElasticIP(ctx context.Context, in *inputs) (map[string]any, error) {
	req := &ec2.DescribeAddressesInput{Filters: ec2Filters(in.objects("filters"))}
	if id, ok := in.str("id"); ok && id != "" {
		req.AllocationIds = []string{id}
	}
	if ip, ok := in.str("publicIp"); ok && ip != "" {
		req.PublicIps = []string{ip}
	}
	req.Filters = append(req.Filters, tagFilters(in.strMap("tags"))...)
	if err := in.done(); err != nil {
		return nil, err
	}
	a, err := m.describeAddress(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading EC2 EIP: %w", err)
	}
	ip := aws.ToString(a.PublicIp)
	id := aws.ToString(a.AllocationId)
	if id == "" {
		id = ip
	}
	return map[string]any{
		"id":                      id,
		"arn":                     m.arn("ec2", m.region, "elastic-ip/"+id),
		"associationId":           aws.ToString(a.AssociationId),
		"carrierIp":               aws.ToString(a.CarrierIp),
		"customerOwnedIp":         aws.ToString(a.CustomerOwnedIp),
		"customerOwnedIpv4Pool":   aws.ToString(a.CustomerOwnedIpv4Pool),
		"domain":                  string(a.Domain),
		"instanceId":              aws.ToString(a.InstanceId),
		"networkInterfaceId":      aws.ToString(a.NetworkInterfaceId),
		"networkInterfaceOwnerId": aws.ToString(a.NetworkInterfaceOwnerId),
		"privateIp":               aws.ToString(a.PrivateIpAddress),
		"publicIp":                ip,
		"publicDns":               m.publicDNS(ip),
		"publicIpv4Pool":          aws.ToString(a.PublicIpv4Pool),
		"tags":                    tagMap(a.Tags),
	}, nil
}

// getSnapshot answers from EC2 DescribeSnapshots; it wants exactly one
// snapshot, or the most recent with mostRecent, as the provider does.
func (m *Monitor) getSnapshot(ctx context.Context, in *inputs) (map[string]any, error) {
	req := &ec2.DescribeSnapshotsInput{
		Filters:             ec2Filters(in.objects("filters")),
		SnapshotIds:         in.strList("snapshotIds"),
		OwnerIds:            in.strList("owners"),
		RestorableByUserIds: in.strList("restorableByUserIds"),
	}
	mostRecent, _ := in.boolean("mostRecent")
	if err := in.done(); err != nil {
		return nil, err
	}
	out, err := m.ec2.DescribeSnapshots(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading EBS Snapshot: DescribeSnapshots: %w", err)
	}
	snapshots := out.Snapshots
	switch {
	case len(snapshots) == 0:
		return nil, errors.New("your query returned no results. Please change your search criteria and try again")
	case len(snapshots) > 1 && !mostRecent:
		return nil, errors.New("your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true")
	}
	slices.SortFunc(snapshots, func(a, b ec2types.Snapshot) int { return aws.ToTime(b.StartTime).Compare(aws.ToTime(a.StartTime)) })
	s := snapshots[0]
	id := aws.ToString(s.SnapshotId)
	return map[string]any{
		"id":          id,
		"arn":         m.arn("ec2", m.region, "snapshot/"+id),
		"snapshotId":  id,
		"volumeId":    aws.ToString(s.VolumeId),
		"volumeSize":  float64(aws.ToInt32(s.VolumeSize)),
		"encrypted":   aws.ToBool(s.Encrypted),
		"kmsKeyId":    aws.ToString(s.KmsKeyId),
		"state":       string(s.State),
		"ownerId":     aws.ToString(s.OwnerId),
		"description": aws.ToString(s.Description),
		"tags":        tagMap(s.Tags),
	}, nil
}

// ec2Filters translates the provider's filter blocks ({name, values}).
func ec2Filters(blocks []*inputs) []ec2types.Filter {
	var out []ec2types.Filter
	for _, b := range blocks {
		out = append(out, ec2types.Filter{Name: aws.String(b.required("name")), Values: b.strList("values")})
	}
	return out
}

// tagFilters turns a tags argument into tag:KEY filters.
func tagFilters(tags map[string]string) []ec2types.Filter {
	var out []ec2types.Filter
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, filter("tag:"+k, tags[k]))
	}
	return out
}

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

// enumsToAny converts a list of SDK enum values to plain strings.
func enumsToAny[E ~string](values []E) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
