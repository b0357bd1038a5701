package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newLaunchTemplate creates the template every instance of the group is
// launched from: the image, IMDSv2 required, an encrypted root volume, a
// public IPv4 address, and the boot script as user data.
func (c *SelfHealingInstance) newLaunchTemplate(ctx *pulumi.Context, name, groupName string, a SelfHealingInstanceArgs,
	image machineImage, profile *iam.InstanceProfile, securityGroup *ec2.SecurityGroup, bootScript pulumi.StringOutput,
	tags pulumi.StringMapOutput, parent pulumi.ResourceOrInvokeOption,
) (*ec2.LaunchTemplate, error) {
	launchTemplate, err := ec2.NewLaunchTemplate(ctx, name+"-lt", &ec2.LaunchTemplateArgs{
		Description:          pulumi.String("Self-healing instance " + groupName),
		ImageId:              pulumi.String(image.ID),
		InstanceType:         pulumi.String(a.InstanceType),
		UpdateDefaultVersion: pulumi.Bool(true),
		IamInstanceProfile:   &ec2.LaunchTemplateIamInstanceProfileArgs{Arn: profile.Arn},
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(*a.MetadataHopLimit),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String(image.RootDeviceName),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
				VolumeSize:          rootVolumeSize(a.RootVolumeSizeGiB),
			},
		}},
		// The instance must reach the AWS APIs before it holds the Elastic
		// IP, so it gets a public IPv4 address at launch. Security groups go
		// on the interface: EC2 rejects vpcSecurityGroupIds beside
		// networkInterfaces, and the group, not the template, picks subnets.
		NetworkInterfaces: ec2.LaunchTemplateNetworkInterfaceArray{ec2.LaunchTemplateNetworkInterfaceArgs{
			DeviceIndex:              pulumi.Int(0),
			AssociatePublicIpAddress: pulumi.String("true"),
			DeleteOnTermination:      pulumi.String("true"),
			SecurityGroups:           pulumi.StringArray{securityGroup.ID()},
		}},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: tags},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: tags},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("network-interface"), Tags: tags},
		},
		UserData: bootScript,
		Tags:     tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the launch template: %w", err)
	}
	c.LaunchTemplateID = launchTemplate.ID().ToStringOutput()
	return launchTemplate, nil
}

func rootVolumeSize(gib int) pulumi.IntPtrInput {
	if gib == 0 {
		return nil // the image's own size
	}
	return pulumi.Int(gib)
}
