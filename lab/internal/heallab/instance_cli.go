package heallab

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// RunAsInstance runs AWS CLI v2 as a process on an instance would: with
// the instance role's credentials from a metadata service of its own,
// reaching AWS's host names through l.Proxy. home is the CLI's home
// directory.
func (l *Lab) RunAsInstance(ctx context.Context, home string, args ...string) (res emulator.CommandResult, err error) {
	env, aws, closeEnv, err := l.instanceCLI(ctx, home)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, closeEnv()) }()
	return emulator.RunCommand(ctx, env, aws, args...)
}

// instanceCLI returns the environment a process on an instance runs the
// AWS CLI with (the instance role's credentials from a metadata service of
// its own, AWS's host names through l.Proxy, no retry settings: those a
// fresh instance has), the path of CLI v2, and a function that stops the
// metadata service.
func (l *Lab) instanceCLI(ctx context.Context, home string) (env []string, aws string, closeEnv func() error, err error) {
	role, err := l.instanceRole(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	imds, err := emulator.StartIMDSE(emulator.IMDSOptions{Region: l.Region, AvailabilityZone: l.Region + "a", Role: &role})
	if err != nil {
		return nil, "", nil, fmt.Errorf("starting instance metadata: %w", err)
	}
	if env, err = emulator.InstanceCLIEnvE(l.Proxy, imds.URL, home); err == nil {
		aws, _, err = emulator.AWSCLIv2E()
	}
	if err != nil {
		return nil, "", nil, errors.Join(err, imds.Close())
	}
	return env, aws, imds.Close, nil
}

// CLIVersion returns what `aws --version` prints on the running instance
// inst, in the environment its boot script ran with: the AWS CLI that
// script ran.
func (l *Lab) CLIVersion(ctx context.Context, inst Instance) (string, error) {
	live, ok := l.liveInstance(inst.ID)
	if !ok {
		return "", fmt.Errorf("instance %s is not running in this lab", inst.ID)
	}
	res, err := live.Run(ctx, "aws --version")
	if err != nil {
		return "", err
	}
	if res.ExitCode != 0 {
		return "", fmt.Errorf("aws --version on %s: %s", inst.ID, res)
	}
	return strings.TrimSpace(res.Stdout), nil
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
