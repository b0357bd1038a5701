// Package fake is a small, self-consistent stand-in for one AWS account,
// for Pulumi's mock monitor (pulumi.WithMocks). It answers the invokes the
// component makes, gives each resource plausible computed attributes, and
// records every registration so tests and the synth command can inspect
// what a deployment would create.
//
// Its answers are placeholders (account 123456789012, documentation IP
// ranges); nothing here talks to AWS.
package fake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/record"
)

// Subnet is a subnet of the fake account.
type Subnet struct {
	ID, VpcID, AvailabilityZone string
	// DefaultForAZ marks the default VPC's default subnets.
	DefaultForAZ bool
}

// Image is an AMI of the fake account.
type Image struct {
	Architecture   string
	RootDeviceName string
	SizeGiB        int
}

// Address is an Elastic IP that exists before the deployment.
// Volume is an EBS volume that already exists in the account.
type Volume struct {
	AvailabilityZone   string
	Encrypted          bool
	MultiAttachEnabled bool
	SizeGiB            int
}

type Address struct {
	PublicIP, PublicDNS string
}

// Zone is a Route 53 hosted zone of the fake account.
type Zone struct {
	// Name is the zone's domain, as the provider reports it: without a
	// trailing dot.
	Name    string
	Private bool
}

// StandInZoneID is the public hosted zone for example.com that NewAccount
// holds; the full example stack publishes its DNS record there.
const StandInZoneID = "Z0123456789EXAMPLEZONE"

// Account is what the fake AWS account holds. Tests change its fields to
// shape the world the component sees; the zero value has nothing in it.
type Account struct {
	Partition string
	Region    string
	AccountID string
	// DefaultVpcID is empty when the region has no default VPC.
	DefaultVpcID string
	Subnets      []Subnet
	// InstanceTypes maps an instance type to its supported architectures.
	// Types not listed get an answer from ArchitectureFor.
	InstanceTypes map[string][]string
	// ArchitectureFor answers for instance types not in InstanceTypes; nil
	// means such types do not exist.
	ArchitectureFor func(instanceType string) []string
	Images          map[string]Image
	SSMParameters   map[string]string
	Addresses       map[string]Address
	// Volumes are the EBS volumes that exist before the deployment.
	Volumes map[string]Volume
	// Zones maps hosted zone ids to zones.
	Zones map[string]Zone
	// LaunchTemplateVersion is every launch template's latestVersion; 0
	// means 1, a new template's.
	LaunchTemplateVersion int
}

// NewAccount returns an account in region with a default VPC of three
// subnets, the latest Amazon Linux 2023 images, one spare Elastic IP,
// eipalloc-0123456789abcdef0, and the public hosted zone StandInZoneID for
// example.com.
func NewAccount(region string) *Account {
	const vpc = "vpc-0de1a0000000000f1"
	return &Account{
		Partition:    "aws",
		Region:       region,
		AccountID:    "123456789012",
		DefaultVpcID: vpc,
		Subnets: []Subnet{
			{ID: "subnet-0de1a0000000000a1", VpcID: vpc, AvailabilityZone: region + "a", DefaultForAZ: true},
			{ID: "subnet-0de1a0000000000b1", VpcID: vpc, AvailabilityZone: region + "b", DefaultForAZ: true},
			{ID: "subnet-0de1a0000000000c1", VpcID: vpc, AvailabilityZone: region + "c", DefaultForAZ: true},
		},
		InstanceTypes:   map[string][]string{},
		ArchitectureFor: GuessArchitecture,
		Images: map[string]Image{
			"ami-0a120230000000861": {Architecture: "x86_64", RootDeviceName: "/dev/xvda", SizeGiB: 8},
			"ami-0a120230000000a64": {Architecture: "arm64", RootDeviceName: "/dev/xvda", SizeGiB: 8},
		},
		SSMParameters: map[string]string{
			"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": "ami-0a120230000000861",
			"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64":  "ami-0a120230000000a64",
		},
		Addresses: map[string]Address{
			"eipalloc-0123456789abcdef0": {PublicIP: "198.51.100.10", PublicDNS: "ec2-198-51-100-10.compute-1.amazonaws.com"},
		},
		Volumes: map[string]Volume{
			"vol-0da7a000000000001": {AvailabilityZone: region + "b", Encrypted: true, SizeGiB: 20},
		},
		Zones: map[string]Zone{StandInZoneID: {Name: "example.com"}},
	}
}

var gravitonFamily = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g[a-z]*\.`)

// GuessArchitecture stands in for AWS's instance-type data in the fake: it
// calls Graviton families (t4g, m7g, c7gn, ...) arm64 and others x86_64.
// The component itself never guesses; it asks AWS.
func GuessArchitecture(instanceType string) []string {
	if gravitonFamily.MatchString(instanceType) {
		return []string{"arm64"}
	}
	return []string{"x86_64"}
}

// Resource is one resource registration the monitor saw.
type Resource = record.Resource

// Monitor implements pulumi.MockResourceMonitor on top of an Account.
type Monitor struct {
	record.Recorder
	Account *Account
}

var _ pulumi.MockResourceMonitor = (*Monitor)(nil)

// NewMonitor returns a monitor for account.
func NewMonitor(account *Account) *Monitor {
	return &Monitor{Account: account}
}

// NewResource records a registration and answers with a fake physical id
// and computed attributes.
func (m *Monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id := args.ID
	outputs := args.Inputs.Copy()
	if args.Custom && id == "" {
		var err error
		id, err = m.computeAttributes(args.TypeToken, args.Name, outputs)
		if err != nil {
			return "", nil, err
		}
	}
	r := record.FromArgs(args)
	r.ID, r.Outputs = id, outputs
	m.Record(r)
	return id, outputs, nil
}

// fakeID is a deterministic id: prefix, then 17 hex digits from seed.
func fakeID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + "0" + hex.EncodeToString(sum[:])[:16]
}

func (m *Monitor) arn(service, resourcePath string) string {
	a := m.Account
	region := a.Region
	if service == "iam" {
		region = ""
	}
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", a.Partition, service, region, a.AccountID, resourcePath)
}

// computeAttributes fills in what AWS would compute for a new resource and
// returns its physical id.
func (m *Monitor) computeAttributes(typeToken, name string, out resource.PropertyMap) (string, error) {
	set := func(key, value string) { out[resource.PropertyKey(key)] = resource.NewProperty(value) }
	stringInput := func(key string) string {
		if v, ok := out[resource.PropertyKey(key)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	switch typeToken {
	case "aws:ec2/eip:Eip":
		id := fakeID("eipalloc-", name)
		sum := sha256.Sum256([]byte(name))
		ip := fmt.Sprintf("203.0.113.%d", 1+int(sum[0])%254)
		set("allocationId", id)
		set("publicIp", ip)
		set("publicDns", fmt.Sprintf("ec2-%s.compute-1.amazonaws.com", strings.ReplaceAll(ip, ".", "-")))
		return id, nil
	case "aws:iam/role:Role":
		roleName := stringInput("name")
		if roleName == "" {
			roleName = name + "-" + fakeID("", name)[:7]
			set("name", roleName)
		}
		set("arn", m.arn("iam", "role/"+roleName))
		set("uniqueId", strings.ToUpper(fakeID("AROA", name)))
		return roleName, nil
	case "aws:iam/instanceProfile:InstanceProfile":
		profileName := name + "-" + fakeID("", name)[:7]
		set("name", profileName)
		set("arn", m.arn("iam", "instance-profile/"+profileName))
		return profileName, nil
	case "aws:iam/rolePolicy:RolePolicy":
		return stringInput("role") + ":" + name, nil
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		return name + "-" + fakeID("", name)[:7], nil
	case "aws:ec2/securityGroup:SecurityGroup":
		id := fakeID("sg-", name)
		set("arn", m.arn("ec2", "security-group/"+id))
		return id, nil
	case "aws:ec2/launchTemplate:LaunchTemplate":
		id := fakeID("lt-", name)
		out["latestVersion"] = resource.NewProperty(float64(max(m.Account.LaunchTemplateVersion, 1)))
		out["defaultVersion"] = resource.NewProperty(1.0)
		set("arn", m.arn("ec2", "launch-template/"+id))
		return id, nil
	case "aws:ebs/volume:Volume":
		id := fakeID("vol-", name)
		set("arn", m.arn("ec2", "volume/"+id))
		return id, nil
	case "aws:dlm/lifecyclePolicy:LifecyclePolicy":
		id := "policy-" + fakeID("", name)[1:]
		set("arn", m.arn("dlm", "policy/"+id))
		return id, nil
	case "aws:autoscaling/group:Group":
		groupName := stringInput("name")
		if groupName == "" {
			return "", fmt.Errorf("fake account: %s %q has no name", typeToken, name)
		}
		set("arn", m.arn("autoscaling", "autoScalingGroup:"+fakeID("", name)[:8]+"-0000-0000-0000-000000000000:autoScalingGroupName/"+groupName))
		return groupName, nil
	case "aws:sns/topic:Topic":
		topicName := stringInput("name")
		if topicName == "" {
			topicName = name + "-" + fakeID("", name)[:7]
			set("name", topicName)
		}
		arn := m.arn("sns", topicName)
		set("arn", arn)
		return arn, nil
	case "aws:sns/topicSubscription:TopicSubscription":
		// An email subscription has no ARN until it is confirmed.
		arn := stringInput("topic") + ":" + fakeID("", name)[:8] + "-0000-0000-0000-000000000000"
		set("arn", arn)
		return arn, nil
	case "aws:route53/record:Record":
		set("fqdn", stringInput("name"))
		return stringInput("zoneId") + "_" + stringInput("name") + "_" + stringInput("type"), nil
	case "aws:autoscaling/schedule:Schedule":
		actionName := stringInput("scheduledActionName")
		set("arn", m.arn("autoscaling", "scheduledUpdateGroupAction:"+fakeID("", name)[:8]+"-0000-0000-0000-000000000000:autoScalingGroupName/"+
			stringInput("autoscalingGroupName")+":scheduledActionName/"+actionName))
		return actionName, nil
	default:
		return fakeID(name+"-", typeToken), nil
	}
}
