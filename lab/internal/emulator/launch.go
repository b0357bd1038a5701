package emulator

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// LaunchSettings is what EC2 hands an instance launched from a launch
// template version, in the two respects a simulated instance depends on.
type LaunchSettings struct {
	// UserData is the version's user data, base64-encoded as EC2 serves
	// it; moto's instance holds the same bytes (checked).
	UserData string
	// IMDSv2Required is the version's metadata option httpTokens=required.
	// moto's instances ignore metadata options, so whoever plays the
	// instance's metadata service must serve it as this says.
	IMDSv2Required bool
}

// InstanceLaunchSettings returns the launch settings instanceID boots with
// on EC2: those of version of the launch template templateID, which it
// launched from. moto keeps user data per instance but ignores metadata
// options, so this reads the version, as EC2 would apply it, and fails
// unless the user data moto holds for the instance is the version's, byte
// for byte.
func InstanceLaunchSettings(ctx context.Context, cfg aws.Config, instanceID, templateID, version string) (LaunchSettings, error) {
	if version == "" {
		return LaunchSettings{}, errors.New("no launch template version: the group did not say which one it launched")
	}
	client := ec2.NewFromConfig(cfg)
	out, err := client.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(templateID),
		Versions:         []string{version},
	})
	if err != nil {
		return LaunchSettings{}, fmt.Errorf("describing launch template %s version %s: %w", templateID, version, err)
	}
	if len(out.LaunchTemplateVersions) != 1 {
		return LaunchSettings{}, fmt.Errorf("launch template %s version %s: found %d", templateID, version, len(out.LaunchTemplateVersions))
	}
	data := out.LaunchTemplateVersions[0].LaunchTemplateData
	settings := LaunchSettings{
		UserData:       aws.ToString(data.UserData),
		IMDSv2Required: data.MetadataOptions != nil && data.MetadataOptions.HttpTokens == types.LaunchTemplateHttpTokensStateRequired,
	}
	attr, err := client.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
		InstanceId: aws.String(instanceID), Attribute: types.InstanceAttributeNameUserData,
	})
	if err != nil {
		return LaunchSettings{}, fmt.Errorf("reading the user data of %s: %w", instanceID, err)
	}
	var held string
	if attr.UserData != nil {
		held = aws.ToString(attr.UserData.Value)
	}
	if held != settings.UserData {
		return LaunchSettings{}, fmt.Errorf("instance %s holds user data other than launch template %s version %s's", instanceID, templateID, version)
	}
	return settings, nil
}
