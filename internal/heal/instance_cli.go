package heal

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfhealing-dev/selfhealing/internal/testenv"
)

// RunAsInstance runs AWS CLI v2 as a process on an instance would: with
// the instance role's credentials from a metadata service of its own,
// reaching AWS's host names through l.Proxy. home is the CLI's home
// directory.
func (l *Lab) RunAsInstance(ctx context.Context, home string, args ...string) (res testenv.CommandResult, err error) {
	role, err := l.instanceRole(ctx)
	if err != nil {
		return res, err
	}
	imds, err := testenv.StartIMDSE(testenv.IMDSOptions{Region: l.Region, AvailabilityZone: l.Region + "a", Role: &role})
	if err != nil {
		return res, fmt.Errorf("starting instance metadata: %w", err)
	}
	defer func() { err = errors.Join(err, imds.Close()) }()
	env, err := testenv.InstanceCLIEnvE(l.Proxy, imds.URL, home)
	if err != nil {
		return res, err
	}
	aws, _, err := testenv.AWSCLIv2E()
	if err != nil {
		return res, err
	}
	return testenv.RunCommand(ctx, env, aws, args...)
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
