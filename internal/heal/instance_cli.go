package heal

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

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
