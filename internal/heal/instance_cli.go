package heal

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/testenv"
)

// RunAsInstance runs the AWS CLI with the instance role's credentials,
// through the API proxy, as a process on an instance would. home is the
// CLI's home directory.
func (l *Lab) RunAsInstance(ctx context.Context, home string, args ...string) (testenv.CommandResult, error) {
	creds, err := l.instanceCredentials(ctx)
	if err != nil {
		return testenv.CommandResult{}, err
	}
	env, err := testenv.CLIEnvE(l.API.URL, creds, home)
	if err != nil {
		return testenv.CommandResult{}, err
	}
	return testenv.RunCommand(ctx, env, "aws", args...)
}

// AllocateOtherAddress allocates an Elastic IP that is not the stack's.
func (l *Lab) AllocateOtherAddress(ctx context.Context) (string, error) {
	out, err := l.ec2().AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		return "", fmt.Errorf("allocating another address: %w", err)
	}
	return *out.AllocationId, nil
}

// LaunchInstanceOfAnotherGroup launches an instance beside near, in its
// subnet and from its image, tagged as an instance of Auto Scaling group
// group, as Auto Scaling tags every instance it launches
// (components.AutoScalingGroupTagKey). The lab does not boot it. Tests use
// it to show that the instance role may not act on instances other than
// its own group's.
func (l *Lab) LaunchInstanceOfAnotherGroup(ctx context.Context, group string, near Instance) (string, error) {
	raw, err := l.rawInstance(ctx, near.ID)
	if err != nil {
		return "", err
	}
	out, err := l.ec2().RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId:      raw.ImageId,
		InstanceType: ec2types.InstanceTypeT3Micro,
		SubnetId:     aws.String(near.SubnetID),
		MinCount:     aws.Int32(1),
		MaxCount:     aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeInstance,
			Tags:         []ec2types.Tag{{Key: aws.String(components.AutoScalingGroupTagKey), Value: aws.String(group)}},
		}},
	})
	if err != nil {
		return "", fmt.Errorf("launching an instance of group %s: %w", group, err)
	}
	if len(out.Instances) != 1 {
		return "", fmt.Errorf("launching an instance of group %s: got %d instances, want 1", group, len(out.Instances))
	}
	return aws.ToString(out.Instances[0].InstanceId), nil
}
