package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// launchTemplate creates the template every instance of the group is
// launched from: the image, IMDSv2 required, an encrypted root volume, a
// public IPv4 address, and the boot script as user data.
func (b *builder) launchTemplate(profile *iam.InstanceProfile, securityGroup *ec2.SecurityGroup) (*ec2.LaunchTemplate, error) {
	p := b.p
	tags, image := p.flows.tags, p.image
	launchTemplate, err := ec2.NewLaunchTemplate(b.ctx, p.name+"-lt", &ec2.LaunchTemplateArgs{
		Description:          pulumi.String("Self-healing instance " + p.groupName),
		ImageId:              pulumi.String(image.ID),
		InstanceType:         pulumi.String(p.args.InstanceType),
		UpdateDefaultVersion: pulumi.Bool(true),
		IamInstanceProfile:   &ec2.LaunchTemplateIamInstanceProfileArgs{Arn: profile.Arn},
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(p.metadataHopLimit),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String(image.RootDeviceName),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
				VolumeSize:          optionalInt(p.args.RootVolumeSizeGiB), // unset: the image's own size
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
		UserData: b.bootScript(),
		Tags:     tags,
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("creating the launch template: %w", err)
	}
	b.c.LaunchTemplateID = launchTemplate.ID().ToStringOutput()
	return launchTemplate, nil
}

// bootScript is the launch template's user data: the boot script, encoded
// once every value it carries is known, and checked then with the real
// values (plan.checkBootScriptSize checked it before with those known at
// preview).
func (b *builder) bootScript() pulumi.StringOutput {
	return b.p.flows.bootInputs(b.c.AllocationID, b.c.PublicIP, b.c.DataVolumeID, b.c.NetworkInterfaceID).ApplyT(func(in any) (string, error) {
		return userdata.Encode(b.p.bootParams(in.(bootInputs)))
	}).(pulumi.StringOutput)
}
