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

// The documentation the replacement rules below rest on.
const (
	maintenancePolicyDoc  = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-maintenance-policy.html"
	maintenanceOptionsDoc = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-maintenance-policy-overview-and-considerations.html"
	capacityRebalanceDoc  = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-capacity-rebalancing.html"
)

// healthyPercentages are a replacement's bounds, as a percentage of the
// group's one instance: Min of it kept in service, Max of it in service
// or pending.
type healthyPercentages struct{ Min, Max int }

// replacementBounds are the bounds of the group's replacements: refresh
// for a planned one (the instance refresh of a rollout), health for one
// after a failed health check (the group's instance maintenance policy,
// which "an instance refresh or the health check process" both follow,
// maintenancePolicyDoc, unless the refresh sets its own).
//
//   - Launch first (p.launchFirst: only the Elastic IP moves) is 100/200
//     for both: the group keeps its one instance in service while it
//     launches the second, and "first launches a new instance and then
//     waits for it to be fully ready before terminating the unhealthy
//     instance" (maintenancePolicyDoc); with the launch gate, ready is
//     after the new instance's boot completes the launch action, by which
//     time it holds the Elastic IP.
//   - With a data volume's hand-over, a planned replacement launches first
//     too: the new instance prepares what needs no volume while the old one
//     serves, completes its launch gate, and the group then terminates the
//     old one, which hands the volume over at its termination hook
//     (handover.go). A replacement after a failed health check terminates
//     first: the failing instance may still be writing, so no new instance
//     waits beside it.
//   - With a network interface, both terminate first: the interface
//     leaves an instance only when it is terminated, and a new instance
//     launched beside the old one would wait for it in vain.
//
// Either way only one instance ever holds the volume or the interface: the
// new one attaches it only once the old one has let go, or is terminated.
func (p *plan) replacementBounds() (refresh, health healthyPercentages) {
	launchFirst := healthyPercentages{Min: 100, Max: 200}
	switch {
	case p.launchFirst:
		return launchFirst, launchFirst
	case p.boot.Handover != nil && p.args.NetworkInterface == nil:
		return launchFirst, terminateFirstBounds()
	default:
		return terminateFirstBounds(), terminateFirstBounds()
	}
}

// terminateFirstBounds are the bounds when the old instance must let go
// before its replacement can have what it holds: 0/100, what the console
// calls "Terminate and launch" (maintenanceOptionsDoc). Set explicitly,
// though a group without a policy also terminates first to replace an
// instance that failed its health checks (maintenanceOptionsDoc): so that
// it says what the volume needs.
func terminateFirstBounds() healthyPercentages {
	return healthyPercentages{Min: 0, Max: 100}
}

// instanceMaintenancePolicy is the group's instanceMaintenancePolicy, which
// governs the replacements of instances that fail their health checks
// (maintenancePolicyDoc): replacementBounds' health.
func (p *plan) instanceMaintenancePolicy() autoscaling.GroupInstanceMaintenancePolicyPtrInput {
	_, b := p.replacementBounds()
	return &autoscaling.GroupInstanceMaintenancePolicyArgs{
		MinHealthyPercentage: pulumi.Int(b.Min),
		MaxHealthyPercentage: pulumi.Int(b.Max),
	}
}

// instanceRefreshArgs is the group's instanceRefresh: unless args turn it off,
// the provider starts a refresh whenever the group's launchTemplate (here:
// its version) or mixedInstancesPolicy changes, and does not wait for it to
// end. Its preferences are replacementBounds' refresh, set on the refresh
// itself so that they override the maintenance policy's where the two
// differ.
func (p *plan) instanceRefreshArgs() autoscaling.GroupInstanceRefreshPtrInput {
	if !p.instanceRefresh {
		return nil
	}
	b, _ := p.replacementBounds()
	return &autoscaling.GroupInstanceRefreshArgs{
		Strategy: pulumi.String("Rolling"),
		Preferences: &autoscaling.GroupInstanceRefreshPreferencesArgs{
			MinHealthyPercentage: pulumi.Int(b.Min),
			MaxHealthyPercentage: pulumi.Int(b.Max),
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

// capacityRebalance is the group's capacityRebalance, for Spot only.
// Capacity Rebalancing launches a replacement when EC2 says a Spot
// instance is at elevated risk of interruption, "waits until the new
// instance passes its health check before it proceeds with terminating the
// old instance", and may exceed the group's maximum to do so
// (capacityRebalanceDoc). That is a planned replacement, launched first, so
// it is on exactly when a rollout launches first (replacementBounds): the
// new instance takes the address last, or, with a data volume, completes
// its launch gate early and the old one hands the volume over at its
// termination hook. With a network interface it is off: the new instance
// could not have the interface while the old one holds it, so the instance
// is replaced only after EC2 interrupts it, with its two-minute notice.
func (p *plan) capacityRebalance() pulumi.BoolPtrInput {
	if !p.args.Spot {
		return nil
	}
	refresh, _ := p.replacementBounds()
	return pulumi.Bool(refresh == healthyPercentages{Min: 100, Max: 200})
}

// The warm pool's states the component offers: AWS's Hibernated needs an
// encrypted root volume large enough for the memory, which the component
// does not size.
const (
	WarmPoolStopped = "Stopped"
	WarmPoolRunning = "Running"
)

// warmPool is the group's warm pool: one instance, booted once and kept
// ready (stopped, or running), so a replacement takes it instead of
// launching a new one.
// MinSize must be set: the pool's size defaults to max - desired, which is 0
// for a group of one.
func (p *plan) warmPool() autoscaling.GroupWarmPoolPtrInput {
	if !p.args.WarmPool {
		return nil
	}
	return &autoscaling.GroupWarmPoolArgs{
		PoolState: pulumi.String(p.args.WarmPoolState),
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
	if s := a.WarmPoolState; s != "" {
		switch {
		case !a.WarmPool:
			bad("warmPoolState %q: applies only with warmPool; set warmPool to true, or remove warmPoolState", s)
		case s != WarmPoolStopped && s != WarmPoolRunning:
			bad("warmPoolState %q: want %s (the default) or %s", s, WarmPoolStopped, WarmPoolRunning)
		}
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
