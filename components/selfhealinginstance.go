package components

import (
	"fmt"
	"maps"
	"reflect"
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
	// NetworkInterfaceID is the persistent network interface's id; empty
	// without one.
	NetworkInterfaceID pulumi.StringOutput `pulumi:"networkInterfaceId"`
	// PrivateIP is the persistent network interface's private IPv4
	// address, which follows the instance; empty without one.
	PrivateIP pulumi.StringOutput `pulumi:"privateIp"`
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
	p, err := newPlan(*args, ctx.Project(), ctx.Stack(), name, AutoScalingGroupName(ctx.Project(), ctx.Stack(), name))
	if err != nil {
		return nil, fmt.Errorf("SelfHealingInstance %q: invalid arguments:\n%w", name, err)
	}

	c := &SelfHealingInstance{}
	if err := ctx.RegisterComponentResource(TypeToken, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering SelfHealingInstance %q: %w", name, err)
	}
	b := &builder{ctx: ctx, c: c, p: p, parent: pulumi.Parent(c)}
	if err := b.build(); err != nil {
		return nil, fmt.Errorf("SelfHealingInstance %q: %w", name, err)
	}
	outputs := pulumi.Map{}
	for key, value := range c.Outputs() {
		outputs[key] = value
	}
	if err := ctx.RegisterResourceOutputs(c, outputs); err != nil {
		return nil, fmt.Errorf("registering outputs of SelfHealingInstance %q: %w", name, err)
	}
	return c, nil
}

// build looks up and checks everything the component depends on, then
// creates its children.
func (b *builder) build() error {
	if err := b.lookup(); err != nil {
		return err
	}
	if err := b.address(); err != nil {
		return err
	}
	if err := b.dataVolume(); err != nil {
		return err
	}
	securityGroup, err := b.securityGroup()
	if err != nil {
		return err
	}
	// The interface comes before the instance's policy, which names it.
	networkInterface, err := b.networkInterface(securityGroup)
	if err != nil {
		return err
	}
	profile, permissions, err := b.instanceIdentity()
	if err != nil {
		return err
	}
	sectionResources, err := b.sectionResources()
	if err != nil {
		return err
	}
	launchTemplate, err := b.launchTemplate(profile, securityGroup)
	if err != nil {
		return err
	}
	// The first instance boots as soon as the group exists: its permissions
	// and the resources its boot script reads must be in place first.
	group, err := b.group(launchTemplate, slices.Concat(permissions, sectionResources, networkInterface))
	if err != nil {
		return err
	}
	if err := b.handoverHook(group); err != nil {
		return err
	}
	if err := b.dnsRecord(); err != nil {
		return err
	}
	if err := b.schedule(group); err != nil {
		return err
	}
	if err := b.notifications(group); err != nil {
		return err
	}
	return b.alarms(b.c.NotificationTopicArn)
}

// Outputs returns the component's outputs by name: its fields' pulumi
// tags, which the package schema publishes, so that they are listed once.
func (c *SelfHealingInstance) Outputs() map[string]pulumi.Output {
	out := map[string]pulumi.Output{}
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		if tag, ok := v.Type().Field(i).Tag.Lookup("pulumi"); ok {
			out[tag] = v.Field(i).Interface().(pulumi.Output)
		}
	}
	return out
}

// address allocates the Elastic IP, or takes the one args bring, and sets
// the address outputs.
func (b *builder) address() error {
	if isSet(b.p.args.AllocationID) {
		existing := b.p.address
		b.c.AllocationID, b.c.PublicIP, b.c.PublicDNS = existing.ID, existing.PublicIP, existing.PublicDNS
		return nil
	}
	opts := []pulumi.ResourceOption{b.parent}
	if b.p.args.RetainOnDelete {
		opts = append(opts, pulumi.RetainOnDelete(true))
	}
	eip, err := ec2.NewEip(b.ctx, b.p.name+"-eip", &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   b.p.flows.tags,
	}, opts...)
	if err != nil {
		return fmt.Errorf("creating the Elastic IP: %w", err)
	}
	b.c.AllocationID = eip.AllocationId
	b.c.PublicIP = eip.PublicIp
	b.c.PublicDNS = eip.PublicDns
	return nil
}

// instanceIdentity creates the instance role, its policy and its instance
// profile. It returns the profile, and every resource the first instance
// needs in place before it boots.
func (b *builder) instanceIdentity() (*iam.InstanceProfile, []pulumi.Resource, error) {
	p, env := b.p, b.p.env
	trust, err := policy.InstanceTrust(env.DNSSuffix).JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(b.ctx, p.name+"-role", &iam.RoleArgs{
		Description:      pulumi.String(roleDescription(p.groupName, p.args.DataVolume != nil, p.args.NetworkInterface != nil)),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             p.flows.tags,
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance role: %w", err)
	}
	b.c.InstanceRoleArn = role.Arn
	b.c.InstanceRoleName = role.Name

	document := pulumi.All(b.c.AllocationID, b.c.DataVolumeID, p.flows.volumeKey, p.flows.parametersKey, b.c.NetworkInterfaceID).ApplyT(func(ids []any) (string, error) {
		scope := policy.Scope{
			Partition:    env.Partition,
			DNSSuffix:    env.DNSSuffix,
			Region:       env.Region,
			AccountID:    env.AccountID,
			AllocationID: ids[0].(string),

			AutoScalingGroupName: p.groupName,
			SessionManager:       p.sessionManager,
			LaunchGate:           p.launchGate,
		}
		scope.Parameters, scope.Logs = p.sectionScopes(ids[3].(string))
		if p.boot.AgentMetrics != nil {
			scope.MetricsNamespace = userdata.CloudWatchAgentNamespace
		}
		if v := p.boot.DataVolume; v != nil {
			scope.DataVolume = &policy.DataVolumeScope{
				VolumeID:    ids[1].(string),
				ForceDetach: v.ForceDetach,
				Handover:    p.boot.Handover != nil,
				MayFormat:   v.MayFormat,
				KMSKeyARN:   ids[2].(string),
			}
		}
		if n := p.boot.NetworkInterface; n != nil {
			scope.NetworkInterface = &policy.NetworkInterfaceScope{InterfaceID: ids[4].(string), ForceDetach: n.ForceDetach}
		}
		return policy.Instance(scope).JSON()
	}).(pulumi.StringOutput)
	// The policy holds every statement the instance needs; it was named
	// "-eip-policy" when the Elastic IP's were all, and the alias keeps a
	// stack created then from replacing it.
	rolePolicy, err := iam.NewRolePolicy(b.ctx, p.name+"-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: document,
	}, b.parent, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(p.name + "-eip-policy")}}))
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance role's policy: %w", err)
	}

	profile, err := iam.NewInstanceProfile(b.ctx, p.name+"-profile", &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: p.flows.tags,
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance profile: %w", err)
	}
	return profile, []pulumi.Resource{rolePolicy, profile}, nil
}

func roleDescription(groupName string, withVolume, withInterface bool) string {
	if withInterface {
		// The interface carries the address, which the instance never moves.
		volume := ""
		if withVolume {
			volume = " and its own data volume"
		}
		return "Self-healing instance " + groupName + ": may attach only its own network interface, which carries its Elastic IP" + volume
	}
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
