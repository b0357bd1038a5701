package components

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Instance refresh, Spot and the warm pool: how the group replaces its one
// instance, and with what.
const (
	// SpotAllocationStrategy picks the Spot pool least likely to be
	// interrupted. The API reference (InstancesDistribution) says
	// capacity-optimized "has the lowest risk of interruption", and
	// recommends price-capacity-optimized, which also weighs price. For one
	// instance whose every interruption is an outage, the risk matters more
	// than the small price spread between the few types listed.
	SpotAllocationStrategy = "capacity-optimized"

	// maxSpotInstanceTypes is the group's limit of launch template
	// overrides (LaunchTemplate.Overrides, 40), less the primary type.
	maxSpotInstanceTypes = 39
)

// instanceRefreshArgs is the group's instanceRefresh: unless args turn it off,
// the provider starts a refresh whenever the group's launchTemplate (here:
// its version) or mixedInstancesPolicy changes, and does not wait for it to
// end.
//
// MinHealthyPercentage 0 with MaxHealthyPercentage 100 terminates the old
// instance before it launches the new one: there is one Elastic IP and
// (later) one volume, and two instances must never hold them at once.
func (p *plan) instanceRefreshArgs() autoscaling.GroupInstanceRefreshPtrInput {
	if !p.instanceRefresh {
		return nil
	}
	healthy := refreshPercentages{minHealthy: 0, maxHealthy: 100}
	if p.boot.Handover != nil {
		healthy, _ = volumeReplacementPreferences()
	}
	return &autoscaling.GroupInstanceRefreshArgs{
		Strategy: pulumi.String("Rolling"),
		Preferences: &autoscaling.GroupInstanceRefreshPreferencesArgs{
			MinHealthyPercentage: pulumi.Int(healthy.minHealthy),
			MaxHealthyPercentage: pulumi.Int(healthy.maxHealthy),
			// The warmup only delays moving on to the next instance, and
			// there is none. With the launch gate, InService already
			// means ready.
			InstanceWarmup: pulumi.String("0"),
			// An instance already launched from the desired template
			// (say, a health replacement during the update) is not
			// replaced again for nothing.
			SkipMatching: pulumi.Bool(true),
		},
	}
}

// groupLaunch returns what the group launches from: the launch template at
// its exact version, or, for Spot, a mixed-instances policy over it. The
// group takes one or the other, never both.
//
// The exact version, not "$Latest": the group sees a new template version as
// a change only when the number changes, and only a change starts a refresh.
func (p *plan) groupLaunch(template *ec2.LaunchTemplate) (autoscaling.GroupLaunchTemplatePtrInput, autoscaling.GroupMixedInstancesPolicyPtrInput) {
	a := p.args
	version := template.LatestVersion.ApplyT(strconv.Itoa).(pulumi.StringOutput)
	if !a.Spot {
		return &autoscaling.GroupLaunchTemplateArgs{Id: template.ID(), Version: version}, nil
	}
	var overrides autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArray
	// instanceType first, then the other Spot types.
	for _, instanceType := range append([]string{a.InstanceType}, a.SpotInstanceTypes...) {
		overrides = append(overrides, autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs{
			InstanceType: pulumi.String(instanceType),
		})
	}
	return nil, &autoscaling.GroupMixedInstancesPolicyArgs{
		InstancesDistribution: &autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs{
			// Spot only: no On-Demand base, no On-Demand share above it.
			OnDemandBaseCapacity:                pulumi.Int(0),
			OnDemandPercentageAboveBaseCapacity: pulumi.Int(0),
			SpotAllocationStrategy:              pulumi.String(SpotAllocationStrategy),
		},
		LaunchTemplate: &autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs{
			LaunchTemplateSpecification: &autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs{
				LaunchTemplateId: template.ID(),
				Version:          version,
			},
			Overrides: overrides,
		},
	}
}

// capacityRebalance is the group's capacityRebalance: false, said out loud
// for Spot, where it matters. Capacity Rebalancing launches the replacement
// before it terminates the instance at risk, so two instances would exist
// at once: the new one would take the Elastic IP while the old one still
// serves, and could not attach a volume the old one still holds.
func (p *plan) capacityRebalance() pulumi.BoolPtrInput {
	if !p.args.Spot {
		return nil
	}
	return pulumi.Bool(false)
}

// warmPool is the group's warm pool: one stopped instance, booted once and
// kept ready, so a replacement starts it instead of launching a new one.
// MinSize must be set: the pool's size defaults to max - desired, which is 0
// for a group of one.
func (p *plan) warmPool() autoscaling.GroupWarmPoolPtrInput {
	if !p.args.WarmPool {
		return nil
	}
	return &autoscaling.GroupWarmPoolArgs{
		PoolState: pulumi.String("Stopped"),
		MinSize:   pulumi.Int(1),
	}
}

// validateHealing checks the launch gate, the health check, Spot and the
// warm pool.
func (a SelfHealingInstanceArgs) validateHealing() []error {
	errs := a.validateLaunchGate()
	if a.AppHealthCheck != nil {
		errs = append(errs, a.AppHealthCheck.validate("appHealthCheck")...)
	}
	return append(errs, a.validateRollout()...)
}

// validateRollout checks the Spot and warm pool arguments, alone and
// together.
func (a SelfHealingInstanceArgs) validateRollout() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if len(a.SpotInstanceTypes) > 0 && !a.Spot {
		bad("spotInstanceTypes %v: apply only to Spot; set spot to true, or remove them", a.SpotInstanceTypes)
	}
	if len(a.SpotInstanceTypes) > maxSpotInstanceTypes {
		bad("spotInstanceTypes: %d types; want at most %d (the group takes 40 with instanceType)", len(a.SpotInstanceTypes), maxSpotInstanceTypes)
	}
	seen := map[string]bool{a.InstanceType: true}
	for i, instanceType := range a.SpotInstanceTypes {
		switch {
		case !instanceTypePattern.MatchString(instanceType):
			bad("spotInstanceTypes[%d] %q: want an EC2 instance type such as t3.small or m7g.large", i, instanceType)
		case instanceType == a.InstanceType:
			bad("spotInstanceTypes[%d] %q: is instanceType, which Spot always uses first; list only the other types", i, instanceType)
		case seen[instanceType]:
			bad("spotInstanceTypes[%d] %q: listed twice", i, instanceType)
		}
		seen[instanceType] = true
	}
	if a.WarmPool && a.Spot {
		bad("warmPool and spot: AWS does not allow a warm pool in a group with a mixed-instances policy or Spot instances; turn one of them off")
	}
	return errs
}

// lookupSpotInstanceTypes checks that every Spot instance type exists here
// and runs image, which was chosen for instanceType, the first of them.
func lookupSpotInstanceTypes(ctx *pulumi.Context, a SelfHealingInstanceArgs, image machineImage, opts ...pulumi.InvokeOption) error {
	if !a.Spot {
		return nil
	}
	var errs []error
	for i, instanceType := range a.SpotInstanceTypes {
		info, err := ec2.GetInstanceType(ctx, &ec2.GetInstanceTypeArgs{InstanceType: instanceType}, opts...)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("spotInstanceTypes[%d] %q: looking it up in this region: %w", i, instanceType, err))
		case !slices.Contains(info.SupportedArchitectures, image.Architecture):
			errs = append(errs, fmt.Errorf("spotInstanceTypes[%d] %q: runs %v, but the image %s is %s (chosen for instanceType %q); list types of one architecture",
				i, instanceType, info.SupportedArchitectures, image.ID, image.Architecture, a.InstanceType))
		}
	}
	return errors.Join(errs...)
}
