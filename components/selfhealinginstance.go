package components

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "selfhealing:index:SelfHealingInstance"

// SelfHealingInstance is one EC2 instance in an Auto Scaling group of one,
// holding a fixed Elastic IP that each replacement instance takes at boot.
type SelfHealingInstance struct {
	pulumi.ResourceState

	// PublicIP is the Elastic IP address.
	PublicIP pulumi.StringOutput `pulumi:"publicIp"`
	// PublicDNS is the Elastic IP's public DNS name.
	PublicDNS pulumi.StringOutput `pulumi:"publicDns"`
	// AllocationID is the Elastic IP's allocation id.
	AllocationID pulumi.StringOutput `pulumi:"allocationId"`
	// AutoScalingGroupName is the name of the group of one.
	AutoScalingGroupName pulumi.StringOutput `pulumi:"autoScalingGroupName"`
	// LaunchTemplateID is the launch template the group launches from.
	LaunchTemplateID pulumi.StringOutput `pulumi:"launchTemplateId"`
	// InstanceRoleArn is the instance role; attach more policies to it to
	// give the instance more permissions.
	InstanceRoleArn pulumi.StringOutput `pulumi:"instanceRoleArn"`
	// SecurityGroupID is the instance's security group.
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	// DataVolumeID is the persistent data volume's id; empty without one.
	DataVolumeID pulumi.StringOutput `pulumi:"dataVolumeId"`
	// URL reaches the instance: http:// and the DNS record's name, or the
	// Elastic IP when DNS is off.
	URL pulumi.StringOutput `pulumi:"url"`
	// NotificationTopicArn is the SNS topic the group announces launches
	// and terminations on; empty when notifications are off.
	NotificationTopicArn pulumi.StringOutput `pulumi:"notificationTopicArn"`
}

// NewSelfHealingInstance creates a SelfHealingInstance. It checks args, and
// everything it looks up in AWS, before it creates any resource, and returns
// an error that names the offending field.
func NewSelfHealingInstance(ctx *pulumi.Context, name string, args *SelfHealingInstanceArgs, opts ...pulumi.ResourceOption) (*SelfHealingInstance, error) {
	if args == nil {
		args = &SelfHealingInstanceArgs{}
	}
	a := args.withDefaults()
	if err := errors.Join(validateName(name), a.validate()); err != nil {
		return nil, fmt.Errorf("SelfHealingInstance %q: invalid arguments:\n%w", name, err)
	}

	c := &SelfHealingInstance{}
	if err := ctx.RegisterComponentResource(TypeToken, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering SelfHealingInstance %q: %w", name, err)
	}
	if err := c.build(ctx, name, a); err != nil {
		return nil, fmt.Errorf("SelfHealingInstance %q: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"publicIp":             c.PublicIP,
		"publicDns":            c.PublicDNS,
		"allocationId":         c.AllocationID,
		"autoScalingGroupName": c.AutoScalingGroupName,
		"launchTemplateId":     c.LaunchTemplateID,
		"instanceRoleArn":      c.InstanceRoleArn,
		"securityGroupId":      c.SecurityGroupID,
		"dataVolumeId":         c.DataVolumeID,
		"url":                  c.URL,
		"notificationTopicArn": c.NotificationTopicArn,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of SelfHealingInstance %q: %w", name, err)
	}
	return c, nil
}

// build looks up what the component depends on, then creates its children.
func (c *SelfHealingInstance) build(ctx *pulumi.Context, name string, a SelfHealingInstanceArgs) error {
	parent := pulumi.Parent(c)

	env, err := lookupEnvironment(ctx, parent)
	if err != nil {
		return err
	}
	where, err := lookupPlacement(ctx, a.SubnetIDs, parent)
	if err != nil {
		return err
	}
	if err := a.checkSections(ctx, name, env); err != nil {
		return err
	}
	var adopted existingVolume
	var volumeZone string
	if v := a.DataVolume; v != nil {
		if v.VolumeID != "" {
			if adopted, err = lookupExistingVolume(ctx, v.VolumeID, parent); err != nil {
				return err
			}
		}
		if err := checkKMSKeyRegion(v.KMSKeyARN, env); err != nil {
			return err
		}
		volumeZone = dataVolumeZone(*v, adopted, where)
		if where, err = where.inZone(volumeZone); err != nil {
			return err
		}
	}
	image, err := lookupImage(ctx, a.InstanceType, a.AmiID, a.RootVolumeSizeGiB, parent)
	if err != nil {
		return err
	}
	zone, err := lookupDNSZone(ctx, a.DNS, parent)
	if err != nil {
		return err
	}
	if err := a.Notifications.checkPlacement(env); err != nil {
		return err
	}
	if err := lookupSpotInstanceTypes(ctx, a, image, parent); err != nil {
		return err
	}
	groupName := AutoScalingGroupName(ctx.Project(), ctx.Stack(), name)
	tags := resourceTags(groupName, a.Tags)
	if err := c.newAddress(ctx, name, a, tags, parent); err != nil {
		return err
	}
	c.DataVolumeID = pulumi.String("").ToStringOutput()
	var volume *dataVolume
	if a.DataVolume != nil {
		if volume, err = c.newDataVolume(ctx, name, groupName, *a.DataVolume, adopted, volumeZone, env, tags, parent); err != nil {
			return err
		}
	}
	profile, permissions, err := c.newInstanceIdentity(ctx, name, groupName, a, volume, env, tags, parent)
	if err != nil {
		return err
	}
	sectionResources, err := c.newSectionResources(ctx, name, groupName, a, tags, parent)
	if err != nil {
		return err
	}

	securityGroup, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.String("Self-healing instance " + groupName + ": managed by Pulumi"),
		VpcId:       pulumi.String(where.VpcID),
		Ingress:     ingressRules(slices.Concat(a.Ingress, httpsIngressRules(a.HTTPS, a.Ingress))),
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Description:    pulumi.String("AWS APIs, package mirrors and your own traffic"),
			Protocol:       pulumi.String("-1"),
			FromPort:       pulumi.Int(0),
			ToPort:         pulumi.Int(0),
			CidrBlocks:     pulumi.StringArray{pulumi.String("0.0.0.0/0")},
			Ipv6CidrBlocks: pulumi.StringArray{pulumi.String("::/0")},
		}},
		Tags: pulumi.ToStringMap(tags),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating the security group: %w", err)
	}
	c.SecurityGroupID = securityGroup.ID().ToStringOutput()

	bootScript := pulumi.All(c.AllocationID, c.DataVolumeID).ApplyT(func(ids []any) (string, error) {
		return userdata.Encode(withSections(bootParams(a, groupName, ids[0].(string), ids[1].(string)), ctx.Project(), ctx.Stack(), name, a))
	}).(pulumi.StringOutput)
	if a.UserScriptIsSecret {
		bootScript = pulumi.ToSecret(bootScript).(pulumi.StringOutput)
	}

	launchTemplate, err := ec2.NewLaunchTemplate(ctx, name+"-lt", &ec2.LaunchTemplateArgs{
		Description:          pulumi.String("Self-healing instance " + groupName),
		ImageId:              pulumi.String(image.ID),
		InstanceType:         pulumi.String(a.InstanceType),
		UpdateDefaultVersion: pulumi.Bool(true),
		IamInstanceProfile:   &ec2.LaunchTemplateIamInstanceProfileArgs{Arn: profile.Arn},
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(a.MetadataHopLimit),
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
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: pulumi.ToStringMap(tags)},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: pulumi.ToStringMap(tags)},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("network-interface"), Tags: pulumi.ToStringMap(tags)},
		},
		UserData: bootScript,
		Tags:     pulumi.ToStringMap(tags),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating the launch template: %w", err)
	}
	c.LaunchTemplateID = launchTemplate.ID().ToStringOutput()

	launchFrom, spot := groupLaunch(a, launchTemplate)
	group, err := autoscaling.NewGroup(ctx, name+"-asg", &autoscaling.GroupArgs{
		Name:                   pulumi.String(groupName),
		MinSize:                pulumi.Int(1),
		MaxSize:                pulumi.Int(1),
		DesiredCapacity:        pulumi.Int(1),
		LaunchTemplate:         launchFrom,
		MixedInstancesPolicy:   spot,
		CapacityRebalance:      capacityRebalance(a),
		VpcZoneIdentifiers:     pulumi.ToStringArray(where.SubnetIDs),
		HealthCheckType:        pulumi.String("EC2"),
		HealthCheckGracePeriod: pulumi.Int(*a.HealthCheckGracePeriodSeconds),
		InitialLifecycleHooks:  launchGateHooks(a),
		WaitForCapacityTimeout: pulumi.String(CapacityWaitTimeout(!a.DisableLaunchGate, a.launchGateTimeout())),
		InstanceRefresh:        instanceRefresh(a),
		WarmPool:               warmPool(a),
		Tags:                   groupTags(tags),
	}, append([]pulumi.ResourceOption{parent, pulumi.DependsOn(slices.Concat(permissions, sectionResources))}, groupScheduleOptions(a.Schedule)...)...)
	if err != nil {
		return fmt.Errorf("creating the Auto Scaling group: %w", err)
	}
	c.AutoScalingGroupName = group.Name
	if err := c.newDNSRecord(ctx, name, a, zone, parent); err != nil {
		return err
	}
	if err := c.newSchedule(ctx, name, a.Schedule, group, parent); err != nil {
		return err
	}
	if err := c.newNotifications(ctx, name, a.Notifications, group, tags, parent); err != nil {
		return err
	}
	return nil
}

// newAddress allocates the Elastic IP, or reads the one args bring, and sets
// the address outputs.
func (c *SelfHealingInstance) newAddress(ctx *pulumi.Context, name string, a SelfHealingInstanceArgs,
	tags map[string]string, parent pulumi.ResourceOrInvokeOption,
) error {
	if a.AllocationID != "" {
		existing, err := lookupExistingAddress(ctx, a.AllocationID, parent)
		if err != nil {
			return err
		}
		c.AllocationID = pulumi.String(existing.Id).ToStringOutput()
		c.PublicIP = pulumi.String(existing.PublicIp).ToStringOutput()
		c.PublicDNS = pulumi.String(existing.PublicDns).ToStringOutput()
		return nil
	}
	opts := []pulumi.ResourceOption{parent}
	if a.RetainOnDelete {
		opts = append(opts, pulumi.RetainOnDelete(true))
	}
	eip, err := ec2.NewEip(ctx, name+"-eip", &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   pulumi.ToStringMap(tags),
	}, opts...)
	if err != nil {
		return fmt.Errorf("creating the Elastic IP: %w", err)
	}
	c.AllocationID = eip.AllocationId
	c.PublicIP = eip.PublicIp
	c.PublicDNS = eip.PublicDns
	return nil
}

// newInstanceIdentity creates the instance role, its policies and its
// instance profile. It returns the profile, and every resource the first
// instance needs in place before it boots.
func (c *SelfHealingInstance) newInstanceIdentity(ctx *pulumi.Context, name, groupName string, a SelfHealingInstanceArgs,
	volume *dataVolume, env awsEnvironment, tags map[string]string, parent pulumi.ResourceOrInvokeOption,
) (*iam.InstanceProfile, []pulumi.Resource, error) {
	trust, err := InstanceTrustPolicy(env.DNSSuffix).JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String(roleDescription(groupName, volume != nil)),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             pulumi.ToStringMap(tags),
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance role: %w", err)
	}
	c.InstanceRoleArn = role.Arn

	policy := pulumi.All(c.AllocationID, c.DataVolumeID).ApplyT(func(ids []any) (string, error) {
		scope := PolicyScope{
			Partition:    env.Partition,
			DNSSuffix:    env.DNSSuffix,
			Region:       env.Region,
			AccountID:    env.AccountID,
			AllocationID: ids[0].(string),

			AutoScalingGroupName: groupName,
			LaunchGate:           !a.DisableLaunchGate,
			AppHealthCheck:       a.AppHealthCheck != nil,
		}
		scope.Parameters, scope.Logs = sectionScopes(ctx.Project(), ctx.Stack(), name, a)
		if volume != nil {
			scope.DataVolume = &DataVolumeScope{
				VolumeID:    ids[1].(string),
				ForceDetach: !volume.args.DisableForceDetach,
				KMSKeyARN:   volume.args.KMSKeyARN,
			}
		}
		return InstancePolicy(scope).JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-eip-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance role's policy: %w", err)
	}
	needed := []pulumi.Resource{rolePolicy}

	if !a.DisableSessionManager {
		ssm, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm", &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(SessionManagerPolicyARN(env.Partition)),
		}, parent)
		if err != nil {
			return nil, nil, fmt.Errorf("attaching the Session Manager policy: %w", err)
		}
		needed = append(needed, ssm)
	}

	profile, err := iam.NewInstanceProfile(ctx, name+"-profile", &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: pulumi.ToStringMap(tags),
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance profile: %w", err)
	}
	return profile, append(needed, profile), nil
}

// bootParams are the boot script's parameters, once the Elastic IP's and the
// data volume's ids are known.
func bootParams(a SelfHealingInstanceArgs, groupName, allocationID, volumeID string) userdata.Params {
	p := userdata.Params{AllocationID: allocationID, UserScript: a.UserScript}
	if g := a.LaunchGateParams(groupName); g != nil {
		p.LaunchGate = &userdata.LaunchGateParams{HookName: g.HookName, GroupName: g.GroupName, TimeoutSeconds: g.TimeoutSeconds}
	}
	if h := a.HealthCheckParams(groupName); h != nil {
		p.HealthCheck = &userdata.HealthCheckParams{
			URL: h.URL, ExpectedStatus: h.ExpectedStatus, Command: h.Command,
			IntervalSeconds: h.IntervalSeconds, TimeoutSeconds: h.TimeoutSeconds, FailureThreshold: h.FailureThreshold,
		}
	}
	if v := a.DataVolume; v != nil {
		p.DataVolume = &userdata.DataVolumeParams{
			VolumeID:    volumeID,
			DeviceName:  DataVolumeDeviceName,
			MountPath:   v.MountPath,
			FSType:      v.FSType,
			WaitSeconds: v.AttachTimeoutSeconds,
			ForceDetach: !v.DisableForceDetach,
		}
	}
	return p
}

func roleDescription(groupName string, withVolume bool) string {
	if withVolume {
		return "Self-healing instance " + groupName + ": may move only its own Elastic IP and attach only its own data volume"
	}
	return "Self-healing instance " + groupName + ": may move only its own Elastic IP"
}

// resourceTags are the user's tags plus a Name, the group's name unless the
// user set one.
func resourceTags(name string, user map[string]string) map[string]string {
	tags := map[string]string{"Name": name}
	maps.Copy(tags, user)
	return tags
}

func groupTags(tags map[string]string) autoscaling.GroupTagArray {
	var out autoscaling.GroupTagArray
	for _, key := range sortedKeys(tags) {
		out = append(out, autoscaling.GroupTagArgs{
			Key:               pulumi.String(key),
			Value:             pulumi.String(tags[key]),
			PropagateAtLaunch: pulumi.Bool(true),
		})
	}
	return out
}

func ingressRules(rules []IngressRule) ec2.SecurityGroupIngressArray {
	var out ec2.SecurityGroupIngressArray
	for _, rule := range rules {
		var v4, v6 pulumi.StringArray
		for _, cidr := range rule.CidrBlocks {
			if isIPv6(cidr) {
				v6 = append(v6, pulumi.String(cidr))
			} else {
				v4 = append(v4, pulumi.String(cidr))
			}
		}
		out = append(out, ec2.SecurityGroupIngressArgs{
			Description:    pulumi.String(rule.Description),
			Protocol:       pulumi.String(rule.Protocol),
			FromPort:       pulumi.Int(rule.FromPort),
			ToPort:         pulumi.Int(rule.ToPort),
			CidrBlocks:     v4,
			Ipv6CidrBlocks: v6,
		})
	}
	return out
}

func rootVolumeSize(gib int) pulumi.IntPtrInput {
	if gib == 0 {
		return nil // the image's own size
	}
	return pulumi.Int(gib)
}
