package selfhealingtest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ErrNotALookup is what [Account.Call] returns, wrapped, for an invoke the
// component does not make; [Mocks] hands such invokes to your own mocks.
var ErrNotALookup = errors.New("not one of the component's lookups")

// Call answers one of the component's lookups from the account's contents,
// as AWS would: a subnet, image, zone, address or volume the account does
// not hold fails with AWS's "not found" error. Any other invoke fails with
// an error wrapping ErrNotALookup.
func (a *Account) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	in := args.Args
	switch args.Token {
	case "aws:index/getPartition:getPartition":
		return props(map[string]any{"partition": a.Partition, "dnsSuffix": "amazonaws.com", "id": a.Partition}), nil
	case "aws:index/getRegion:getRegion":
		return props(map[string]any{"name": a.Region, "id": a.Region, "endpoint": "ec2." + a.Region + ".amazonaws.com"}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return props(map[string]any{
			"accountId": a.AccountID, "id": a.AccountID,
			"arn": a.ARN("iam", "user/selfhealingtest"), "userId": "AIDASELFHEALINGTEST",
		}), nil
	case "aws:ec2/getInstanceType:getInstanceType":
		name := stringArg(in, "instanceType")
		archs, ok := a.InstanceTypes[name]
		if !ok && a.ArchitectureFor != nil {
			archs, ok = a.ArchitectureFor(name), true
		}
		if !ok || len(archs) == 0 {
			return nil, fmt.Errorf("reading EC2 Instance Type (%s): InvalidInstanceType: The following supplied instance types do not exist: [%s]", name, name)
		}
		return props(map[string]any{"instanceType": name, "id": name, "supportedArchitectures": archs}), nil
	case "aws:ssm/getParameter:getParameter":
		name := stringArg(in, "name")
		value, ok := a.SSMParameters[name]
		if !ok {
			return nil, fmt.Errorf("reading SSM Parameter (%s): ParameterNotFound", name)
		}
		return props(map[string]any{"name": name, "id": name, "type": "String", "value": value}), nil
	case "aws:ec2/getAmi:getAmi":
		id := filterValue(in, "image-id")
		image, ok := a.Images[id]
		if !ok {
			return nil, fmt.Errorf("your query returned no results. Please change your search criteria and try again (image-id %s)", id)
		}
		return props(map[string]any{
			"id": id, "imageId": id, "architecture": image.Architecture, "rootDeviceName": image.RootDeviceName,
			"blockDeviceMappings": []any{map[string]any{
				"deviceName": image.RootDeviceName,
				"ebs":        map[string]any{"volume_size": strconv.Itoa(image.SizeGiB), "volume_type": "gp3"},
			}},
		}), nil
	case "aws:ec2/getVpc:getVpc":
		if a.DefaultVpcID == "" {
			return nil, fmt.Errorf("no matching EC2 VPC found")
		}
		return props(map[string]any{"id": a.DefaultVpcID, "default": true}), nil
	case "aws:ec2/getSubnets:getSubnets":
		vpc, defaultOnly := filterValue(in, "vpc-id"), filterValue(in, "default-for-az") == "true"
		ids := []any{}
		for _, s := range a.Subnets {
			if s.VpcID == vpc && (!defaultOnly || s.DefaultForAZ) {
				ids = append(ids, s.ID)
			}
		}
		return props(map[string]any{"id": a.Region, "ids": ids}), nil
	case "aws:ec2/getSubnet:getSubnet":
		id := stringArg(in, "id")
		i := slices.IndexFunc(a.Subnets, func(s Subnet) bool { return s.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("no matching EC2 Subnet found (%s)", id)
		}
		s := a.Subnets[i]
		return props(map[string]any{"id": s.ID, "vpcId": s.VpcID, "availabilityZone": s.AvailabilityZone, "cidrBlock": s.CidrBlock}), nil
	case "aws:ec2/getNetworkInterface:getNetworkInterface":
		id := stringArg(in, "id")
		n, ok := a.NetworkInterfaces[id]
		if !ok {
			return nil, fmt.Errorf("no matching EC2 Network Interface found (%s)", id)
		}
		zone := ""
		if i := slices.IndexFunc(a.Subnets, func(s Subnet) bool { return s.ID == n.SubnetID }); i >= 0 {
			zone = a.Subnets[i].AvailabilityZone
		}
		attachments := []any{}
		if n.AttachedTo != "" {
			attachments = append(attachments, map[string]any{"instanceId": n.AttachedTo, "deviceIndex": n.DeviceIndex, "attachmentId": "eni-attach-" + id[len("eni-"):]})
		}
		return props(map[string]any{
			"id": id, "arn": a.ARN("ec2", "network-interface/"+id), "subnetId": n.SubnetID, "vpcId": n.VpcID,
			"availabilityZone": zone, "privateIp": n.PrivateIP, "privateIps": []any{n.PrivateIP},
			"interfaceType": n.InterfaceType, "attachments": attachments,
		}), nil
	case "aws:ebs/getVolume:getVolume":
		id := filterValue(in, "volume-id")
		v, ok := a.Volumes[id]
		if !ok {
			return nil, fmt.Errorf("your query returned no results. Please change your search criteria and try again (volume-id %s)", id)
		}
		return props(map[string]any{
			"id": id, "volumeId": id, "arn": a.ARN("ec2", "volume/"+id), "availabilityZone": v.AvailabilityZone,
			"encrypted": v.Encrypted, "multiAttachEnabled": v.MultiAttachEnabled, "size": v.SizeGiB, "volumeType": "gp3",
		}), nil
	case "aws:ebs/getSnapshot:getSnapshot":
		id := ""
		if ids, ok := in["snapshotIds"]; ok && ids.IsArray() && len(ids.ArrayValue()) == 1 && ids.ArrayValue()[0].IsString() {
			id = ids.ArrayValue()[0].StringValue()
		}
		s, ok := a.Snapshots[id]
		if !ok {
			return nil, fmt.Errorf("reading EBS Snapshot: InvalidSnapshot.NotFound: The snapshot '%s' does not exist", id)
		}
		return props(map[string]any{
			"id": id, "snapshotId": id, "arn": fmt.Sprintf("arn:%s:ec2:%s::snapshot/%s", a.Partition, a.Region, id),
			"volumeSize": s.VolumeSizeGiB, "encrypted": s.Encrypted, "kmsKeyId": s.KMSKeyID, "state": "completed",
			"ownerId": a.AccountID, "volumeId": "vol-ffffffff",
		}), nil
	case "aws:ec2/getElasticIp:getElasticIp":
		id := stringArg(in, "id")
		addr, ok := a.Addresses[id]
		if !ok {
			return nil, fmt.Errorf("no matching EC2 EIP found (%s)", id)
		}
		return props(map[string]any{"id": id, "publicIp": addr.PublicIP, "publicDns": addr.PublicDNS, "domain": "vpc"}), nil
	case "aws:route53/getZone:getZone":
		id := stringArg(in, "zoneId")
		zone, ok := a.Zones[id]
		if !ok {
			return nil, fmt.Errorf("reading Route 53 Hosted Zone (%s): NoSuchHostedZone: No hosted zone found with ID: %s", id, id)
		}
		return props(map[string]any{
			"id": id, "zoneId": id, "name": zone.Name, "privateZone": zone.Private,
			"arn":         fmt.Sprintf("arn:%s:route53:::hostedzone/%s", a.Partition, id),
			"nameServers": []any{"ns-1.awsdns-00.com", "ns-2.awsdns-00.net"},
		}), nil
	}
	return nil, fmt.Errorf("invoke %s: %w", args.Token, ErrNotALookup)
}

func props(m map[string]any) resource.PropertyMap {
	return resource.NewPropertyMapFromMap(m)
}

func stringArg(in resource.PropertyMap, key string) string {
	if v, ok := in[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// filterValue returns the first value of the invoke's filter called name.
func filterValue(in resource.PropertyMap, name string) string {
	filters, ok := in["filters"]
	if !ok || !filters.IsArray() {
		return ""
	}
	for _, f := range filters.ArrayValue() {
		if !f.IsObject() || stringArg(f.ObjectValue(), "name") != name {
			continue
		}
		if values := f.ObjectValue()["values"]; values.IsArray() && len(values.ArrayValue()) > 0 {
			return values.ArrayValue()[0].StringValue()
		}
	}
	return ""
}
