package moto

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// typeVolume is the EBS volume resource type token.
const typeVolume = "aws:ebs/volume:Volume"

// createVolume creates an EBS volume. finalSnapshot only matters when the
// provider deletes the volume, which this monitor never does.
func (m *Monitor) createVolume(ctx context.Context, _ string, in *inputs) (created, error) {
	req := &ec2.CreateVolumeInput{
		AvailabilityZone:   aws.String(in.required("availabilityZone")),
		Size:               in.integerPtr("size"),
		Iops:               in.integerPtr("iops"),
		Throughput:         in.integerPtr("throughput"),
		Encrypted:          in.boolPtr("encrypted"),
		MultiAttachEnabled: in.boolPtr("multiAttachEnabled"),
		TagSpecifications:  tagSpecifications(ec2types.ResourceTypeVolume, in.strMap("tags")),
	}
	if volumeType, ok := in.str("type"); ok {
		req.VolumeType = ec2types.VolumeType(volumeType)
	}
	if key, ok := in.str("kmsKeyId"); ok {
		req.KmsKeyId = &key
	}
	if snapshot, ok := in.str("snapshotId"); ok {
		req.SnapshotId = &snapshot
	}
	in.ignore("finalSnapshot", "tagsAll")
	if err := in.done(); err != nil {
		return created{}, err
	}

	out, err := m.ec2.CreateVolume(ctx, req)
	if err != nil {
		return created{}, fmt.Errorf("CreateVolume: %w", err)
	}
	id := aws.ToString(out.VolumeId)
	return created{id: id, attrs: map[string]any{
		"arn":              m.arn("ec2", m.region, "volume/"+id),
		"availabilityZone": aws.ToString(out.AvailabilityZone),
		"size":             float64(aws.ToInt32(out.Size)),
		"type":             string(out.VolumeType),
		"encrypted":        aws.ToBool(out.Encrypted),
	}}, nil
}
