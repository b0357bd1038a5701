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

// RefreshPreferences are the instance refresh preferences the model
// executes: only terminate-first, MinHealthyPercentage 0 with
// MaxHealthyPercentage 100, is modelled.
type RefreshPreferences struct {
	MinHealthyPercentage, MaxHealthyPercentage int
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
// settings changed: each of the instances launched before the change
// (before) still in the group is terminated first, with terminate (which
// ends it as AWS does: its address and its volumes), then the group
// launches its replacement from the current settings. moto reports every
// instance of a group as launched from the group's current template, so
// the caller names the instances launched before. It returns each
// replacement once the group lists it; booting it is the caller's part, as
// EC2's. Any preferences other than 0/100 are refused: launching before
// terminating is not modelled.
func RefreshInstances(ctx context.Context, cfg aws.Config, group string, prefs RefreshPreferences, before []string, terminate func(ctx context.Context, instanceID string) error) ([]RefreshStep, error) {
	if prefs.MinHealthyPercentage != 0 || prefs.MaxHealthyPercentage != 100 {
		return nil, fmt.Errorf("instance refresh preferences MinHealthyPercentage %d, MaxHealthyPercentage %d: the model executes only 0 and 100 (terminate first)",
			prefs.MinHealthyPercentage, prefs.MaxHealthyPercentage)
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
		if err := terminate(ctx, old); err != nil {
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
