package emulator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// MotoAMI is an image ID that moto ships in every region (a 2017 Windows
// Server AMI from its built-in catalogue, moto's own EXAMPLE_AMI_ID). moto
// does not boot anything, so the image's contents do not matter.
const MotoAMI = "ami-12c6146b"

// EIPFixture is an instance and an Elastic IP allocation created in moto by
// [NewEIPFixture]; the address starts out unassociated.
type EIPFixture struct {
	InstanceID   string
	AllocationID string
	PublicIP     string
}

// NewEIPFixture creates, through cfg (usually [Moto.AWSConfig]), a running
// t3.micro instance from [MotoAMI] in the default VPC and a VPC Elastic IP.
// It fails the test on error.
func NewEIPFixture(t testing.TB, cfg aws.Config) EIPFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	instanceID, err := CreateInstance(ctx, cfg, MotoAMI)
	if err != nil {
		t.Fatalf("NewEIPFixture: %v", err)
	}
	allocationID, publicIP, err := AllocateAddress(ctx, cfg)
	if err != nil {
		t.Fatalf("NewEIPFixture: %v", err)
	}
	return EIPFixture{InstanceID: instanceID, AllocationID: allocationID, PublicIP: publicIP}
}

// CreateInstance launches one t3.micro instance from imageID and returns its
// ID.
func CreateInstance(ctx context.Context, cfg aws.Config, imageID string) (string, error) {
	out, err := ec2.NewFromConfig(cfg).RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId:      aws.String(imageID),
		InstanceType: types.InstanceTypeT3Micro,
		MinCount:     aws.Int32(1),
		MaxCount:     aws.Int32(1),
	})
	if err != nil {
		return "", fmt.Errorf("run instance from %s: %w", imageID, err)
	}
	if len(out.Instances) != 1 {
		return "", fmt.Errorf("run instance from %s: got %d instances, want 1", imageID, len(out.Instances))
	}
	return aws.ToString(out.Instances[0].InstanceId), nil
}

// AllocateAddress allocates a VPC Elastic IP and returns its allocation ID
// and public IP.
func AllocateAddress(ctx context.Context, cfg aws.Config) (allocationID, publicIP string, err error) {
	out, err := ec2.NewFromConfig(cfg).AllocateAddress(ctx, &ec2.AllocateAddressInput{
		Domain: types.DomainTypeVpc,
	})
	if err != nil {
		return "", "", fmt.Errorf("allocate Elastic IP: %w", err)
	}
	return aws.ToString(out.AllocationId), aws.ToString(out.PublicIp), nil
}

// AssociateAddress associates the Elastic IP allocationID with instanceID,
// taking it from any instance that holds it, as the boot script does; use it
// to set up a test in which another instance holds the address.
func AssociateAddress(ctx context.Context, cfg aws.Config, allocationID, instanceID string) error {
	_, err := ec2.NewFromConfig(cfg).AssociateAddress(ctx, &ec2.AssociateAddressInput{
		AllocationId:       aws.String(allocationID),
		InstanceId:         aws.String(instanceID),
		AllowReassociation: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("associate %s with %s: %w", allocationID, instanceID, err)
	}
	return nil
}

// AddressInstanceID returns the ID of the instance the Elastic IP
// allocationID is associated with, or "" if it is not associated.
func AddressInstanceID(ctx context.Context, cfg aws.Config, allocationID string) (string, error) {
	out, err := ec2.NewFromConfig(cfg).DescribeAddresses(ctx, &ec2.DescribeAddressesInput{
		AllocationIds: []string{allocationID},
	})
	if err != nil {
		return "", fmt.Errorf("describe Elastic IP %s: %w", allocationID, err)
	}
	if len(out.Addresses) != 1 {
		return "", fmt.Errorf("describe Elastic IP %s: got %d addresses, want 1", allocationID, len(out.Addresses))
	}
	return aws.ToString(out.Addresses[0].InstanceId), nil
}
