package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A rollout: new launch settings, and the group's instance refresh that
// replaces the instance with one launched from them. moto 5.2.1 does not
// execute an instance refresh, so RefreshInstances does, as AWS does, for a
// group of one. And a new version of the group's launch template cannot
// stand in for the new settings: moto's CreateLaunchTemplateVersion keeps
// the user data in a form its own launch rejects (an AssertionError in the
// group's replacement, inside TerminateInstances), and ignores
// SourceVersion. CopyLaunchTemplate makes a new template instead, which
// moto launches from as AWS would from a new version.

// CopyLaunchTemplate creates a launch template called name with every
// setting of version of template templateID, as CreateLaunchTemplateVersion
// with SourceVersion would make a version, and returns its id.
func CopyLaunchTemplate(ctx context.Context, cfg aws.Config, templateID, version, name string) (string, error) {
	client := ec2.NewFromConfig(cfg)
	out, err := client.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(templateID), Versions: []string{version},
	})
	if err != nil {
		return "", fmt.Errorf("describing launch template %s version %s: %w", templateID, version, err)
	}
	if len(out.LaunchTemplateVersions) != 1 || out.LaunchTemplateVersions[0].LaunchTemplateData == nil {
		return "", fmt.Errorf("launch template %s version %s: found %d versions", templateID, version, len(out.LaunchTemplateVersions))
	}
	// The response and request shapes of a version's data share their
	// field names, so a JSON round trip copies every setting.
	raw, err := json.Marshal(out.LaunchTemplateVersions[0].LaunchTemplateData)
	if err != nil {
		return "", fmt.Errorf("copying launch template %s version %s: %w", templateID, version, err)
	}
	var data ec2types.RequestLaunchTemplateData
	if err := json.Unmarshal(raw, &data); err != nil {
		return "", fmt.Errorf("copying launch template %s version %s: %w", templateID, version, err)
	}
	created, err := client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(name), LaunchTemplateData: &data,
	})
	if err != nil {
		return "", fmt.Errorf("creating launch template %s from %s version %s: %w", name, templateID, version, err)
	}
	return aws.ToString(created.LaunchTemplate.LaunchTemplateId), nil
}

// RefreshPreferences are an instance refresh's preferences, or an instance
// maintenance policy's, which take the same two numbers. The model
// executes two: terminate first (TerminateFirst, 0/100) and launch first
// (LaunchFirst, 100/200), for a group of one.
type RefreshPreferences struct {
	MinHealthyPercentage, MaxHealthyPercentage int
}

// The two replacements the model executes.
var (
	// TerminateFirst: the old instance goes, then the new one launches.
	TerminateFirst = RefreshPreferences{MinHealthyPercentage: 0, MaxHealthyPercentage: 100}
	// LaunchFirst: the new instance launches and goes in service, then
	// the old one goes. For a group of one, 100 % must stay in service and
	// 200 % may be, so one more instance.
	LaunchFirst = RefreshPreferences{MinHealthyPercentage: 100, MaxHealthyPercentage: 200}
)

// String is the preferences as "min/max".
func (p RefreshPreferences) String() string {
	return fmt.Sprintf("%d/%d", p.MinHealthyPercentage, p.MaxHealthyPercentage)
}

// Check refuses preferences the model does not execute, naming them.
func (p RefreshPreferences) Check() error {
	if p != TerminateFirst && p != LaunchFirst {
		return fmt.Errorf("MinHealthyPercentage %d, MaxHealthyPercentage %d: the model executes only 0 and 100 (terminate first) and 100 and 200 (launch first), for a group of one",
			p.MinHealthyPercentage, p.MaxHealthyPercentage)
	}
	return nil
}

// RefreshHooks are the caller's parts of a replacement, which EC2 and the
// instance play on AWS.
type RefreshHooks struct {
	// Terminate ends an instance as AWS does (its address, its volumes).
	Terminate func(ctx context.Context, instanceID string) error
	// InService, for launch first only, boots the new instance and returns
	// once it is InService: with a launch lifecycle hook, once its boot
	// completed the hook with CONTINUE (AutoScalingModel.AwaitContinue
	// waits for that). It may leave the boot running in the background,
	// whose end is then the caller's to wait for: AWS terminates the old
	// instance at InService, whatever the new one still does.
	InService func(ctx context.Context, instanceID string) error
}

// RefreshStep is one instance the refresh replaced.
type RefreshStep struct {
	// Old is the instance it terminated, New the one the group launched
	// in its place.
	Old, New string
	// Terminated is when the old instance's termination returned.
	Terminated time.Time
}

// refreshWait bounds the wait for the group to launch a replacement.
const refreshWait = 2 * time.Minute

// RefreshInstances executes an instance refresh of group as AWS does with
// prefs, for a group whose desired capacity is 1, after its launch
// settings changed. moto reports every instance of a group as launched
// from the group's current template, so the caller names the instances
// launched before (before). Each of them still in the group is replaced:
//
//   - terminate first (0/100): terminated with hooks.Terminate, then the
//     group launches its replacement from the current settings; booting
//     it is the caller's part, as EC2's, after RefreshInstances returns;
//   - launch first (100/200): as ReplaceLaunchFirst.
//
// Any other preferences are refused before anything changes.
func RefreshInstances(ctx context.Context, cfg aws.Config, group string, prefs RefreshPreferences, before []string, hooks RefreshHooks) ([]RefreshStep, error) {
	if err := prefs.Check(); err != nil {
		return nil, fmt.Errorf("instance refresh preferences %w", err)
	}
	client := autoscaling.NewFromConfig(cfg)
	g, err := describeGroup(ctx, client, group)
	if err != nil {
		return nil, err
	}
	var steps []RefreshStep
	for _, inst := range g.Instances {
		old := aws.ToString(inst.InstanceId)
		if !slices.Contains(before, old) {
			continue
		}
		if prefs == LaunchFirst {
			step, err := ReplaceLaunchFirst(ctx, cfg, group, old, hooks)
			if err != nil {
				return steps, fmt.Errorf("instance refresh of %s: %w", group, err)
			}
			steps = append(steps, step)
			continue
		}
		if err := hooks.Terminate(ctx, old); err != nil {
			return steps, fmt.Errorf("instance refresh of %s: terminating %s: %w", group, old, err)
		}
		step := RefreshStep{Old: old, Terminated: time.Now()}
		if step.New, err = awaitGroupReplacement(ctx, client, group, old); err != nil {
			return steps, err
		}
		steps = append(steps, step)
	}
	return steps, nil
}

// ReplaceLaunchFirst replaces old, in group, launch first, as AWS does for
// a group of one with an instance maintenance policy of 100/200 (an
// instance refresh, a health-check replacement) and as Capacity
// Rebalancing does: the group launches one instance more, even past its
// maximum, from its current settings; hooks.InService boots it and returns
// once it is InService; then old is detached from the group, its capacity
// back to what it was, and terminated with hooks.Terminate; last, the
// maximum is restored. moto would launch the extra instance only within
// the maximum and would replace old if it were terminated in the group, so
// the model raises the maximum for the while and detaches old first.
func ReplaceLaunchFirst(ctx context.Context, cfg aws.Config, group, old string, hooks RefreshHooks) (RefreshStep, error) {
	if hooks.InService == nil || hooks.Terminate == nil {
		return RefreshStep{}, fmt.Errorf("launch first: the caller must boot the new instance (InService) and terminate the old one (Terminate)")
	}
	client := autoscaling.NewFromConfig(cfg)
	g, err := describeGroup(ctx, client, group)
	if err != nil {
		return RefreshStep{}, err
	}
	desired, maxSize := aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize)
	var ids []string
	for _, i := range g.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	if !slices.Contains(ids, old) {
		return RefreshStep{}, fmt.Errorf("launch first: %s is not in group %s, which holds %v", old, group, ids)
	}
	if _, err := client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(group), MaxSize: aws.Int32(max(maxSize, desired+1)), DesiredCapacity: aws.Int32(desired + 1),
	}); err != nil {
		return RefreshStep{}, fmt.Errorf("launch first: raising group %s to %d instances: %w", group, desired+1, err)
	}
	step := RefreshStep{Old: old}
	if step.New, err = awaitGroupLaunch(ctx, client, group, ids); err != nil {
		return step, err
	}
	if err := hooks.InService(ctx, step.New); err != nil {
		return step, fmt.Errorf("launch first: bringing %s in service: %w", step.New, err)
	}
	if _, err := client.DetachInstances(ctx, &autoscaling.DetachInstancesInput{
		AutoScalingGroupName: aws.String(group), InstanceIds: []string{old}, ShouldDecrementDesiredCapacity: aws.Bool(true),
	}); err != nil {
		return step, fmt.Errorf("launch first: taking %s out of group %s: %w", old, group, err)
	}
	if err := hooks.Terminate(ctx, old); err != nil {
		return step, fmt.Errorf("launch first: terminating %s: %w", old, err)
	}
	step.Terminated = time.Now()
	if _, err := client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(group), MaxSize: aws.Int32(maxSize),
	}); err != nil {
		return step, fmt.Errorf("launch first: restoring group %s's maximum %d: %w", group, maxSize, err)
	}
	return step, nil
}

// awaitGroupLaunch waits, within refreshWait, for group to list an
// instance not in known, and returns it.
func awaitGroupLaunch(ctx context.Context, client *autoscaling.Client, group string, known []string) (string, error) {
	deadline := time.Now().Add(refreshWait)
	for {
		g, err := describeGroup(ctx, client, group)
		if err != nil {
			return "", err
		}
		for _, i := range g.Instances {
			if id := aws.ToString(i.InstanceId); !slices.Contains(known, id) {
				return id, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("group %s launched no instance beside %v within %v", group, known, refreshWait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func describeGroup(ctx context.Context, client *autoscaling.Client, group string) (asgtypes.AutoScalingGroup, error) {
	out, err := client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil {
		return asgtypes.AutoScalingGroup{}, fmt.Errorf("describing group %s: %w", group, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		return asgtypes.AutoScalingGroup{}, fmt.Errorf("group %s: found %d groups", group, len(out.AutoScalingGroups))
	}
	return out.AutoScalingGroups[0], nil
}

// awaitGroupReplacement waits, within refreshWait, for group to list one
// instance other than gone, and returns it.
func awaitGroupReplacement(ctx context.Context, client *autoscaling.Client, group, gone string) (string, error) {
	deadline := time.Now().Add(refreshWait)
	for {
		g, err := describeGroup(ctx, client, group)
		if err != nil {
			return "", err
		}
		ids := make([]string, 0, len(g.Instances))
		for _, i := range g.Instances {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
		if len(ids) == 1 && !slices.Contains(ids, gone) {
			return ids[0], nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("group %s did not replace %s within %v: it holds %v", group, gone, refreshWait, ids)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
