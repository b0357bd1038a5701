package components

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/internal/policy"
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
	// InstanceRoleArn is the instance role's ARN.
	InstanceRoleArn pulumi.StringOutput `pulumi:"instanceRoleArn"`
	// InstanceRoleName is the instance role's name: attach more policies to
	// it (an IAM role policy attachment takes the name) to give the
	// instance more permissions.
	InstanceRoleName pulumi.StringOutput `pulumi:"instanceRoleName"`
	// SecurityGroupID is the instance's security group.
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	// DataVolumeID is the persistent data volume's id; empty without one.
	DataVolumeID pulumi.StringOutput `pulumi:"dataVolumeId"`
	// DataVolumeMountPath is where the instance mounts the data volume,
	// defaults applied; empty without one.
	DataVolumeMountPath pulumi.StringOutput `pulumi:"dataVolumeMountPath"`
	// URL reaches the instance: https:// with the HTTPS option, else
	// http://, then the DNS record's name, or the Elastic IP when DNS is off.
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
	a := args.WithDefaults()
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
		"instanceRoleName":     c.InstanceRoleName,
		"securityGroupId":      c.SecurityGroupID,
		"dataVolumeId":         c.DataVolumeID,
		"dataVolumeMountPath":  c.DataVolumeMountPath,
		"url":                  c.URL,
		"notificationTopicArn": c.NotificationTopicArn,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of SelfHealingInstance %q: %w", name, err)
	}
	return c, nil
}

// build looks up and checks everything the component depends on, then
// creates its children.
func (c *SelfHealingInstance) build(ctx *pulumi.Context, name string, a SelfHealingInstanceArgs) error {
	parent := pulumi.Parent(c)
	found, err := a.preflight(ctx, name, parent)
	if err != nil {
		return err
	}
	groupName := AutoScalingGroupName(ctx.Project(), ctx.Stack(), name)
	f := a.newFlows(groupName, found.env)
	if err := c.newAddress(ctx, name, a, found.address, f.tags, parent); err != nil {
		return err
	}
	c.DataVolumeID = pulumi.String("").ToStringOutput()
	c.DataVolumeMountPath = pulumi.String("").ToStringOutput()
	var volume *dataVolume
	if a.DataVolume != nil {
		if volume, err = c.newDataVolume(ctx, name, groupName, *a.DataVolume, found.adopted, found.where.VolumeZone, f, found.env, parent); err != nil {
			return err
		}
	}
	profile, permissions, err := c.newInstanceIdentity(ctx, name, groupName, a, volume, found.env, f, parent)
	if err != nil {
		return err
	}
	sectionResources, err := c.newSectionResources(ctx, name, groupName, a, f, parent)
	if err != nil {
		return err
	}
	securityGroup, err := c.newSecurityGroup(ctx, name, groupName, a, found.where.VpcID, f.tags, parent)
	if err != nil {
		return err
	}

	bootScript := f.bootInputsOutput(c.AllocationID, c.DataVolumeID).ApplyT(func(in any) (string, error) {
		return userdata.Encode(withSections(bootParams(a, groupName, in.(bootInputs)), ctx.Project(), ctx.Stack(), name, a))
	}).(pulumi.StringOutput)
	launchTemplate, err := c.newLaunchTemplate(ctx, name, groupName, a, found.image, profile, securityGroup, bootScript, f.tags, parent)
	if err != nil {
		return err
	}
	// The first instance boots as soon as the group exists: its permissions
	// and the resources its boot script reads must be in place first.
	group, err := c.newGroup(ctx, name, groupName, a, found.where, launchTemplate, f.tags,
		slices.Concat(permissions, sectionResources), parent)
	if err != nil {
		return err
	}
	if err := c.newDNSRecord(ctx, name, a, found.zone, parent); err != nil {
		return err
	}
	if err := c.newSchedule(ctx, name, a.Schedule, group, parent); err != nil {
		return err
	}
	return c.newNotifications(ctx, name, a.Notifications, found.env, group, f.tags, parent)
}

// newAddress allocates the Elastic IP, or takes the one args bring, and sets
// the address outputs.
func (c *SelfHealingInstance) newAddress(ctx *pulumi.Context, name string, a SelfHealingInstanceArgs, existing existingAddress,
	tags pulumi.StringMapInput, parent pulumi.ResourceOrInvokeOption,
) error {
	if isSet(a.AllocationID) {
		c.AllocationID, c.PublicIP, c.PublicDNS = existing.ID, existing.PublicIP, existing.PublicDNS
		return nil
	}
	opts := []pulumi.ResourceOption{parent}
	if a.RetainOnDelete {
		opts = append(opts, pulumi.RetainOnDelete(true))
	}
	eip, err := ec2.NewEip(ctx, name+"-eip", &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   tags,
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
	volume *dataVolume, env awsEnvironment, f flows, parent pulumi.ResourceOrInvokeOption,
) (*iam.InstanceProfile, []pulumi.Resource, error) {
	trust, err := policy.InstanceTrust(env.DNSSuffix).JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String(roleDescription(groupName, volume != nil)),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             f.tags,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance role: %w", err)
	}
	c.InstanceRoleArn = role.Arn
	c.InstanceRoleName = role.Name

	policy := pulumi.All(c.AllocationID, c.DataVolumeID, f.volumeKey, f.parametersKey).ApplyT(func(ids []any) (string, error) {
		scope := policy.Scope{
			Partition:    env.Partition,
			DNSSuffix:    env.DNSSuffix,
			Region:       env.Region,
			AccountID:    env.AccountID,
			AllocationID: ids[0].(string),

			AutoScalingGroupName: groupName,
			SessionManager:       a.sessionManager(),
			LaunchGate:           a.launchGate(),
		}
		scope.Parameters, scope.Logs = sectionScopes(ctx.Project(), ctx.Stack(), name, a, ids[3].(string))
		if volume != nil {
			scope.DataVolume = &policy.DataVolumeScope{
				VolumeID:    ids[1].(string),
				ForceDetach: volume.args.forceDetach(),
				MayFormat:   volume.args.mayFormat(),
				KMSKeyARN:   ids[2].(string),
			}
		}
		return policy.Instance(scope).JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-eip-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance role's policy: %w", err)
	}
	needed := []pulumi.Resource{rolePolicy}

	profile, err := iam.NewInstanceProfile(ctx, name+"-profile", &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: f.tags,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance profile: %w", err)
	}
	return profile, append(needed, profile), nil
}

// bootParams are the boot script's parameters, once the values it carries
// are known.
func bootParams(a SelfHealingInstanceArgs, groupName string, in bootInputs) userdata.Params {
	p := userdata.Params{
		AllocationID: in.AllocationID, UserScript: in.UserScript,
		// Whenever no launch action waits to be abandoned (no gate, or a
		// later boot), a failed boot marks its instance Unhealthy instead.
		FailureReport: &userdata.FailureReportParams{GroupName: groupName},
	}
	p.LaunchGate = a.launchGateParams(groupName)
	if h := a.AppHealthCheck; h != nil {
		d := h.WithDefaults()
		p.HealthCheck = &userdata.HealthCheckParams{
			URL: in.HealthURL, ExpectedStatus: *d.ExpectedStatus, Command: in.HealthCommand,
			IntervalSeconds: *d.IntervalSeconds, TimeoutSeconds: *d.TimeoutSeconds, FailureThreshold: *d.FailureThreshold,
		}
	}
	if v := a.DataVolume; v != nil {
		p.DataVolume = &userdata.DataVolumeParams{
			VolumeID:    in.VolumeID,
			DeviceName:  DataVolumeDeviceName,
			MountPath:   v.MountPath,
			FSType:      v.FSType,
			WaitSeconds: v.attachTimeout(),
			ForceDetach: v.forceDetach(),
			MayFormat:   v.mayFormat(),
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
