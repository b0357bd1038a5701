package emulator

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func groupInstanceIDs(t *testing.T, ctx context.Context, cfg aws.Config, group string) []string {
	t.Helper()
	g, err := describeGroup(ctx, autoscaling.NewFromConfig(cfg), group)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, i := range g.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	return ids
}

func TestRefreshInstancesTerminatesFirstThenTheGroupLaunchesFromTheNewTemplate(t *testing.T) {
	RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	cfg := m.AWSConfig()
	lg := NewLaunchGroup(t, cfg, "app", "gate", "")
	ctx := testContext(t, 2*time.Minute)
	g, err := describeGroup(ctx, autoscaling.NewFromConfig(cfg), lg.Name)
	if err != nil {
		t.Fatal(err)
	}
	source := aws.ToString(g.LaunchTemplate.LaunchTemplateId)

	copied, err := CopyLaunchTemplate(ctx, cfg, source, "1", "app-rollout")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := ec2.NewFromConfig(cfg).DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(copied)})
	if err != nil || len(versions.LaunchTemplateVersions) != 1 {
		t.Fatalf("the copy's versions: %v, %v", versions, err)
	}
	if data := versions.LaunchTemplateVersions[0].LaunchTemplateData; aws.ToString(data.ImageId) != MotoAMI || data.InstanceType != "t3.micro" {
		t.Errorf("the copy launches %s on %s, want the source's %s on t3.micro", aws.ToString(data.ImageId), data.InstanceType, MotoAMI)
	}
	if _, err := autoscaling.NewFromConfig(cfg).UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(lg.Name),
		LaunchTemplate:       &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(copied), Version: aws.String("1")},
	}); err != nil {
		t.Fatal(err)
	}

	var terminated []string
	terminate := func(ctx context.Context, id string) error {
		// Terminate first: nothing launched yet.
		if ids := groupInstanceIDs(t, ctx, cfg, lg.Name); len(ids) != 1 || ids[0] != id {
			t.Errorf("when %s is terminated the group holds %v, want only it", id, ids)
		}
		terminated = append(terminated, id)
		return TerminateInstance(ctx, cfg, id)
	}
	if _, err := RefreshInstances(ctx, cfg, lg.Name, RefreshPreferences{MinHealthyPercentage: 50, MaxHealthyPercentage: 100}, []string{lg.InstanceID}, RefreshHooks{Terminate: terminate}); err == nil ||
		!strings.Contains(err.Error(), "MinHealthyPercentage 50") {
		t.Errorf("preferences 50/100: %v, want a refusal naming them", err)
	}
	if len(terminated) != 0 {
		t.Fatalf("refused preferences, yet terminated %v", terminated)
	}

	steps, err := RefreshInstances(ctx, cfg, lg.Name, RefreshPreferences{MinHealthyPercentage: 0, MaxHealthyPercentage: 100}, []string{lg.InstanceID}, RefreshHooks{Terminate: terminate})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].Old != lg.InstanceID || steps[0].New == "" || steps[0].New == lg.InstanceID {
		t.Fatalf("steps %+v, want %s replaced by a new instance", steps, lg.InstanceID)
	}
	if ids := groupInstanceIDs(t, ctx, cfg, lg.Name); len(ids) != 1 || ids[0] != steps[0].New {
		t.Errorf("after the refresh the group holds %v, want only %s", ids, steps[0].New)
	}
	again, err := RefreshInstances(ctx, cfg, lg.Name, RefreshPreferences{MaxHealthyPercentage: 100}, []string{lg.InstanceID}, RefreshHooks{Terminate: terminate})
	if err != nil || len(again) != 0 {
		t.Errorf("a second refresh of the instances from before replaced %v (%v), want none: they are gone", again, err)
	}
}

// Launch first, for a group of one: the group launches a second instance,
// the caller brings it in service while the old one still runs in the
// group, and only then is the old one terminated; the group ends with the
// new one alone, its size and maximum as before.
func TestRefreshInstancesLaunchesFirstThenTerminates(t *testing.T) {
	RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	cfg := m.AWSConfig()
	lg := NewLaunchGroup(t, cfg, "app", "gate", "")
	ctx := testContext(t, 2*time.Minute)
	var order []string
	hooks := RefreshHooks{
		InService: func(ctx context.Context, id string) error {
			if ids := groupInstanceIDs(t, ctx, cfg, lg.Name); len(ids) != 2 || !slices.Contains(ids, lg.InstanceID) || !slices.Contains(ids, id) {
				t.Errorf("while %s goes in service the group holds %v, want it and the old %s", id, ids, lg.InstanceID)
			}
			order = append(order, "in service "+id)
			return nil
		},
		Terminate: func(ctx context.Context, id string) error {
			order = append(order, "terminate "+id)
			return TerminateInstance(ctx, cfg, id)
		},
	}
	for _, prefs := range []RefreshPreferences{{MinHealthyPercentage: 100, MaxHealthyPercentage: 150}, {MinHealthyPercentage: 90, MaxHealthyPercentage: 200}} {
		if _, err := RefreshInstances(ctx, cfg, lg.Name, prefs, []string{lg.InstanceID}, hooks); err == nil || !strings.Contains(err.Error(), "100 and 200") {
			t.Errorf("preferences %v: %v, want a refusal saying what the model executes", prefs, err)
		}
	}
	steps, err := RefreshInstances(ctx, cfg, lg.Name, LaunchFirst, []string{lg.InstanceID}, hooks)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].Old != lg.InstanceID || steps[0].New == "" || steps[0].New == lg.InstanceID {
		t.Fatalf("steps %+v, want %s replaced by a new instance", steps, lg.InstanceID)
	}
	if want := []string{"in service " + steps[0].New, "terminate " + lg.InstanceID}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	g, err := describeGroup(ctx, autoscaling.NewFromConfig(cfg), lg.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Instances) != 1 || aws.ToString(g.Instances[0].InstanceId) != steps[0].New || aws.ToInt32(g.DesiredCapacity) != 1 || aws.ToInt32(g.MaxSize) != 1 {
		t.Errorf("after the refresh the group holds %d instances, desired %d, max %d; want only %s, 1, 1",
			len(g.Instances), aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize), steps[0].New)
	}
}
