package emulator

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TerminateOptions shape how [TerminateInstanceWith] ends an instance.
type TerminateOptions struct {
	// KeepAssociation leaves the instance's Elastic IP association in
	// place, as moto does, instead of removing it as AWS does. It models
	// the window before AWS removes it, or an address another instance
	// still holds, as during a Spot capacity rebalance.
	KeepAssociation bool
}

// TerminateInstance terminates instanceID in moto as AWS does, which moto
// does only in part: the instance goes, and so does its Elastic IP
// association (AWS takes the address off a terminated instance; moto
// leaves it on, so a replacement could benefit from stale state). moto
// detaches the instance's volumes at once, where EBS takes a while; an
// [EBSModel] plays that ([EBSModel.Hold]).
func TerminateInstance(ctx context.Context, cfg aws.Config, instanceID string) error {
	return TerminateInstanceWith(ctx, cfg, instanceID, TerminateOptions{})
}

// TerminateInstanceWith is [TerminateInstance] shaped by opts.
func TerminateInstanceWith(ctx context.Context, cfg aws.Config, instanceID string, opts TerminateOptions) error {
	client := ec2.NewFromConfig(cfg)
	if _, err := client.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{instanceID}}); err != nil {
		return fmt.Errorf("terminate %s: %w", instanceID, err)
	}
	if opts.KeepAssociation {
		return nil
	}
	return disassociateFrom(ctx, client, instanceID)
}

// disassociateFrom does what AWS does when an instance terminates and moto
// does not: it takes the instance's Elastic IP off it.
func disassociateFrom(ctx context.Context, client *ec2.Client, instanceID string) error {
	out, err := client.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{
		Filters: []types.Filter{{Name: aws.String("instance-id"), Values: []string{instanceID}}},
	})
	if err != nil {
		return fmt.Errorf("listing the addresses of terminated %s: %w", instanceID, err)
	}
	for _, addr := range out.Addresses {
		if _, err := client.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: addr.AssociationId}); err != nil {
			return fmt.Errorf("disassociating %s from terminated %s: %w", aws.ToString(addr.AllocationId), instanceID, err)
		}
	}
	return nil
}
