// Package selfhealingtest lets the unit tests of your own Pulumi Go program
// run [components.NewSelfHealingInstance] under pulumi.WithMocks.
//
// The component looks up its environment before it creates anything: the
// partition, region and account, the instance type's architecture, the
// latest Amazon Linux 2023 AMI from its SSM parameter and the AMI itself,
// the default VPC and its subnets (or the subnets you pass), and the hosted
// zone of a DNS record; an existing Elastic IP or data volume when you name
// one. A mock monitor that answers every invoke with empty outputs makes
// the component fail on the first answer it cannot use. [Mocks] answers
// those lookups from a small fake [Account] and hands everything else, every
// resource registration and every other invoke, to your own mocks:
//
//	err := pulumi.RunErr(myProgram,
//		pulumi.WithMocks("project", "stack", selfhealingtest.Mocks(myMocks{})))
//
// Nothing here talks to AWS; the ids and addresses are invented, from the
// ranges AWS and the IETF keep for documentation where there are such.
package selfhealingtest

import (
	"fmt"
	"regexp"

	"github.com/selfhealing-dev/selfhealing/components"
)

// The fake account's defaults, for tests to compare against.
const (
	// DefaultRegion is the account's region unless [WithRegion] sets one.
	DefaultRegion = "us-east-1"
	// DefaultAccountID is the account's id unless [WithAccountID] sets one.
	DefaultAccountID = "123456789012"
	// DefaultVpcID is the region's default VPC, which holds one default
	// subnet in each of the zones a, b and c of the region.
	DefaultVpcID = "vpc-0de1a0000000000f1"
	// AmazonLinux2023X86AMI is the latest Amazon Linux 2023 AMI for x86_64,
	// the value of the SSM parameter
	// components.AmazonLinux2023Parameter("x86_64").
	AmazonLinux2023X86AMI = "ami-0a120230000000861"
	// AmazonLinux2023ArmAMI is the latest Amazon Linux 2023 AMI for arm64
	// (Graviton), the value of components.AmazonLinux2023Parameter("arm64").
	AmazonLinux2023ArmAMI = "ami-0a120230000000a64"
	// HostedZoneID is a public hosted zone for HostedZoneName, so that
	// DNSArgs{ZoneID: HostedZoneID, RecordName: "app.example.com"} works.
	HostedZoneID = "Z0123456789EXAMPLEZONE"
	// HostedZoneName is HostedZoneID's domain.
	HostedZoneName = "example.com"
	// SpareAllocationID is an Elastic IP that exists before the
	// deployment, for SelfHealingInstanceArgs.AllocationID.
	SpareAllocationID = "eipalloc-0123456789abcdef0"
	// ExistingVolumeID is an encrypted 20 GiB EBS volume in the region's
	// zone b that exists before the deployment, for a data volume that
	// adopts one.
	ExistingVolumeID = "vol-0da7a000000000001"
	// ExistingSnapshotID is a completed, encrypted snapshot of a 20 GiB EBS
	// volume, for a data volume created from a snapshot.
	ExistingSnapshotID = "snap-0da7a000000000001"
	// ExistingNetworkInterfaceID is a network interface in the default
	// subnet of the region's zone b, attached to no instance, that exists
	// before the deployment, for a network interface that adopts one.
	ExistingNetworkInterfaceID = "eni-0da7a000000000001"
)

// Subnet is a subnet of the account.
type Subnet struct {
	ID, VpcID, AvailabilityZone string
	// CidrBlock is the subnet's IPv4 CIDR block; empty answers none.
	CidrBlock string
	// DefaultForAZ marks the default VPC's default subnets, the ones the
	// component launches into when SubnetIDs is unset.
	DefaultForAZ bool
}

// Image is an AMI of the account.
type Image struct {
	// Architecture is "x86_64" or "arm64".
	Architecture   string
	RootDeviceName string
	// SizeGiB is the size of the image's root snapshot.
	SizeGiB int
}

// Volume is an EBS volume that exists before the deployment.
type Volume struct {
	AvailabilityZone   string
	Encrypted          bool
	MultiAttachEnabled bool
	SizeGiB            int
}

// Snapshot is an EBS snapshot that exists before the deployment.
type Snapshot struct {
	// VolumeSizeGiB is the size of the volume it was taken of, the least a
	// volume created from it may have.
	VolumeSizeGiB int
	Encrypted     bool
	// KMSKeyID is the ARN of the key it is encrypted with; empty if it is
	// not encrypted.
	KMSKeyID string
}

// NetworkInterface is an elastic network interface that exists before the
// deployment.
type NetworkInterface struct {
	SubnetID, VpcID, PrivateIP string
	// InterfaceType is "interface" for an ordinary interface.
	InterfaceType string
	// AttachedTo is the instance it is attached to, at DeviceIndex; ""
	// when it is free.
	AttachedTo  string
	DeviceIndex int
}

// Address is an Elastic IP that exists before the deployment.
type Address struct {
	PublicIP, PublicDNS string
}

// Zone is a Route 53 hosted zone of the account.
type Zone struct {
	// Name is the zone's domain, as the provider reports it: without a
	// trailing dot.
	Name    string
	Private bool
}

// Account is what the fake AWS account holds; [Account.Call] answers the
// component's lookups from it and [Account.NewResource] gives new resources
// ids and attributes, so an *Account is a whole mock monitor on its own.
// Change its fields to shape the world the component sees; the zero value
// has nothing in it.
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
	// Images maps AMI ids to images.
	Images map[string]Image
	// SSMParameters maps parameter names to their values.
	SSMParameters map[string]string
	// Addresses maps allocation ids to Elastic IPs.
	Addresses map[string]Address
	// Volumes maps volume ids to the EBS volumes that exist before the
	// deployment.
	Volumes map[string]Volume
	// Snapshots maps snapshot ids to the EBS snapshots that exist before
	// the deployment.
	Snapshots map[string]Snapshot

	// NetworkInterfaces maps interface ids to the interfaces that exist
	// before the deployment.
	NetworkInterfaces map[string]NetworkInterface
	// Zones maps hosted zone ids to zones.
	Zones map[string]Zone
	// LaunchTemplateVersion is every new launch template's latestVersion;
	// 0 means 1, a new template's.
	LaunchTemplateVersion int
}

// NewAccount returns account DefaultAccountID in region, in partition
// "aws", holding:
//   - the default VPC DefaultVpcID, with a default subnet in each of the
//     region's zones a, b and c;
//   - every instance type, with the architecture [GuessArchitecture] gives;
//   - the latest Amazon Linux 2023 for each architecture: the SSM
//     parameters components.AmazonLinux2023Parameter("x86_64") and ("arm64")
//     name AmazonLinux2023X86AMI and AmazonLinux2023ArmAMI, 8 GiB images
//     with root device /dev/xvda;
//   - the public hosted zone HostedZoneID for HostedZoneName;
//   - the spare Elastic IP SpareAllocationID, the volume ExistingVolumeID
//     the snapshot ExistingSnapshotID
//     and the free network interface ExistingNetworkInterfaceID.
func NewAccount(region string) *Account {
	return &Account{
		Partition:    "aws",
		Region:       region,
		AccountID:    DefaultAccountID,
		DefaultVpcID: DefaultVpcID,
		Subnets: []Subnet{
			{ID: "subnet-0de1a0000000000a1", VpcID: DefaultVpcID, AvailabilityZone: region + "a", CidrBlock: "172.31.0.0/20", DefaultForAZ: true},
			{ID: "subnet-0de1a0000000000b1", VpcID: DefaultVpcID, AvailabilityZone: region + "b", CidrBlock: "172.31.16.0/20", DefaultForAZ: true},
			{ID: "subnet-0de1a0000000000c1", VpcID: DefaultVpcID, AvailabilityZone: region + "c", CidrBlock: "172.31.32.0/20", DefaultForAZ: true},
		},
		InstanceTypes:   map[string][]string{},
		ArchitectureFor: GuessArchitecture,
		Images: map[string]Image{
			AmazonLinux2023X86AMI: {Architecture: "x86_64", RootDeviceName: "/dev/xvda", SizeGiB: 8},
			AmazonLinux2023ArmAMI: {Architecture: "arm64", RootDeviceName: "/dev/xvda", SizeGiB: 8},
		},
		SSMParameters: map[string]string{
			components.AmazonLinux2023Parameter("x86_64"): AmazonLinux2023X86AMI,
			components.AmazonLinux2023Parameter("arm64"):  AmazonLinux2023ArmAMI,
		},
		Addresses: map[string]Address{
			SpareAllocationID: {PublicIP: "198.51.100.10", PublicDNS: "ec2-198-51-100-10.compute-1.amazonaws.com"},
		},
		Volumes: map[string]Volume{
			ExistingVolumeID: {AvailabilityZone: region + "b", Encrypted: true, SizeGiB: 20},
		},
		Snapshots: map[string]Snapshot{
			ExistingSnapshotID: {VolumeSizeGiB: 20, Encrypted: true, KMSKeyID: "arn:aws:kms:" + region + ":" + DefaultAccountID + ":key/0da7a000-0000-0000-0000-000000000001"},
		},
		NetworkInterfaces: map[string]NetworkInterface{
			ExistingNetworkInterfaceID: {SubnetID: "subnet-0de1a0000000000b1", VpcID: DefaultVpcID, PrivateIP: "172.31.16.20", InterfaceType: "interface"},
		},
		Zones: map[string]Zone{HostedZoneID: {Name: HostedZoneName}},
	}
}

// ARN is the ARN of resourcePath in service, in the account's partition,
// region and account; IAM's ARNs have no region.
func (a *Account) ARN(service, resourcePath string) string {
	region := a.Region
	if service == "iam" {
		region = ""
	}
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", a.Partition, service, region, a.AccountID, resourcePath)
}

// gravitonFamily matches Graviton instance families: a "g" among the
// letters after the generation (t4g, m7g, c7gn, r8gd).
var gravitonFamily = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g[a-z]*\.`)

// GuessArchitecture stands in for AWS's instance-type data: it calls
// Graviton families (t4g, m7g, c7gn, ...) arm64 and every other type
// x86_64. The component itself never guesses; it asks AWS. Use
// [WithInstanceType] for a type the guess gets wrong.
func GuessArchitecture(instanceType string) []string {
	if gravitonFamily.MatchString(instanceType) {
		return []string{"arm64"}
	}
	return []string{"x86_64"}
}
