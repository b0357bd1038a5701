package moto

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The persistent network interface and its Elastic IP association.
const (
	typeNetworkInterface = "aws:ec2/networkInterface:NetworkInterface"
	typeEipAssociation   = "aws:ec2/eipAssociation:EipAssociation"
)

// createNetworkInterface creates an elastic network interface, with at
// most one fixed private address (the component sets no more).
func (m *Monitor) createNetworkInterface(ctx context.Context, _ string, in *inputs) (created, error) {
	req := &ec2.CreateNetworkInterfaceInput{
		SubnetId:          aws.String(in.required("subnetId")),
		Groups:            in.strList("securityGroups"),
		TagSpecifications: tagSpecifications(ec2types.ResourceTypeNetworkInterface, in.strMap("tags")),
	}
	if description, ok := in.str("description"); ok {
		req.Description = &description
	}
	switch ips := in.strList("privateIps"); len(ips) {
	case 0:
	case 1:
		req.PrivateIpAddress = &ips[0]
	default:
		in.fail("privateIps", "want at most one address, got %d", len(ips))
	}
	in.ignore("tagsAll")
	if err := in.done(); err != nil {
		return created{}, err
	}
	out, err := m.ec2.CreateNetworkInterface(ctx, req)
	if err != nil {
		return created{}, fmt.Errorf("CreateNetworkInterface: %w", err)
	}
	n := out.NetworkInterface
	id := aws.ToString(n.NetworkInterfaceId)
	return created{id: id, attrs: map[string]any{
		"arn":        m.arn("ec2", m.region, "network-interface/"+id),
		"privateIp":  aws.ToString(n.PrivateIpAddress),
		"macAddress": aws.ToString(n.MacAddress),
	}}, nil
}

// createEipAssociation associates an Elastic IP with a network interface,
// the one association the component makes itself.
func (m *Monitor) createEipAssociation(ctx context.Context, _ string, in *inputs) (created, error) {
	req := &ec2.AssociateAddressInput{
		AllocationId:       aws.String(in.required("allocationId")),
		NetworkInterfaceId: aws.String(in.required("networkInterfaceId")),
		AllowReassociation: in.boolPtr("allowReassociation"),
	}
	if err := in.done(); err != nil {
		return created{}, err
	}
	out, err := m.ec2.AssociateAddress(ctx, req)
	if err != nil {
		return created{}, fmt.Errorf("AssociateAddress: %w", err)
	}
	id := aws.ToString(out.AssociationId)
	return created{id: id, attrs: map[string]any{"associationId": id}}, nil
}
