package emulator

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/smithy-go"
)

// asgWorld is moto with a launch group, the Auto Scaling model in front of
// it, and a client that talks through the model (SDK retries off).
type asgWorld struct {
	cfg    aws.Config // straight to moto
	model  *AutoScalingModel
	client *autoscaling.Client // through the model
	group  LaunchGroup
}

func newASGWorld(t *testing.T) *asgWorld {
	t.Helper()
	RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	w := &asgWorld{cfg: m.AWSConfig()}
	w.model = StartAutoScalingModel(t, m.URL, w.cfg, AutoScalingModelOptions{})
	through := AWSConfig(w.model.URL, m.Region, TestCredentials)
	through.RetryMaxAttempts = 1
	w.client = autoscaling.NewFromConfig(through)
	w.group = NewLaunchGroup(t, w.cfg, "app", "gate", "")
	return w
}

func (w *asgWorld) complete(t *testing.T, group, hook, instance, result string) error {
	t.Helper()
	_, err := w.client.CompleteLifecycleAction(testContext(t, 30*time.Second), &autoscaling.CompleteLifecycleActionInput{
		AutoScalingGroupName: aws.String(group), LifecycleHookName: aws.String(hook),
		InstanceId: aws.String(instance), LifecycleActionResult: aws.String(result),
	})
	return err
}

func (w *asgWorld) heartbeat(t *testing.T, instance string) error {
	t.Helper()
	_, err := w.client.RecordLifecycleActionHeartbeat(testContext(t, 30*time.Second), &autoscaling.RecordLifecycleActionHeartbeatInput{
		AutoScalingGroupName: aws.String(w.group.Name), LifecycleHookName: aws.String(w.group.Hook), InstanceId: aws.String(instance),
	})
	return err
}

func (w *asgWorld) setHealth(t *testing.T, instance, status string) error {
	t.Helper()
	_, err := w.client.SetInstanceHealth(testContext(t, 30*time.Second), &autoscaling.SetInstanceHealthInput{
		InstanceId: aws.String(instance), HealthStatus: aws.String(status), ShouldRespectGracePeriod: aws.Bool(true),
	})
	return err
}

// wantAPIError fails the test unless err is an API error with code whose
// message contains each of want.
func wantAPIError(t *testing.T, err error, code string, want ...string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Fatalf("err = %v, want an API error %s", err, code)
	}
	for _, w := range want {
		if !strings.Contains(apiErr.ErrorMessage(), w) {
			t.Errorf("message %q lacks %q", apiErr.ErrorMessage(), w)
		}
	}
}

func TestAutoScalingModelCompletesALaunchActionOnce(t *testing.T) {
	w := newASGWorld(t)
	id := w.group.InstanceID
	if err := w.heartbeat(t, id); err != nil {
		t.Fatalf("heartbeat for a launching instance: %v", err)
	}
	if err := w.complete(t, w.group.Name, w.group.Hook, id, LifecycleContinue); err != nil {
		t.Fatalf("CONTINUE: %v", err)
	}
	// A reboot: nothing waits any more, and AWS says so in these words.
	wantAPIError(t, w.complete(t, w.group.Name, w.group.Hook, id, LifecycleContinue), "ValidationError", "No active Lifecycle Action found with instance ID "+id)
	wantAPIError(t, w.heartbeat(t, id), "ValidationError", "No active Lifecycle Action found")
	if got := w.model.Completions(id); len(got) != 1 || got[0].Result != LifecycleContinue || got[0].Group != w.group.Name || got[0].Hook != w.group.Hook {
		t.Errorf("completions %v, want one CONTINUE", got)
	}
	// Leaving a warm pool starts another launch action.
	w.model.BeginLaunch(id)
	if err := w.complete(t, w.group.Name, w.group.Hook, id, LifecycleContinue); err != nil {
		t.Errorf("CONTINUE after BeginLaunch: %v", err)
	}
	if ids, err := GroupInstanceIDs(testContext(t, 30*time.Second), w.cfg, w.group.Name); err != nil || !slices.Equal(ids, []string{id}) {
		t.Errorf("the group holds %v (%v), want the instance still", ids, err)
	}
}

// TestAutoScalingModelServesAnInstanceEnteringTheWarmPool: an instance
// launched into the group's warm pool is not among the group's instances,
// yet its launch action waits (Warmed:Pending:Wait), once.
func TestAutoScalingModelServesAnInstanceEnteringTheWarmPool(t *testing.T) {
	w := newASGWorld(t)
	pooled, err := CreateInstance(testContext(t, 30*time.Second), w.cfg, MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, w.complete(t, w.group.Name, w.group.Hook, pooled, LifecycleContinue), "ValidationError", "No active Lifecycle Action found with instance ID "+pooled)
	w.model.EnterWarmPool(pooled)
	if err := w.heartbeat(t, pooled); err != nil {
		t.Errorf("heartbeat for an instance entering the warm pool: %v", err)
	}
	if err := w.complete(t, w.group.Name, w.group.Hook, pooled, LifecycleContinue); err != nil {
		t.Fatalf("CONTINUE into the warm pool: %v", err)
	}
	wantAPIError(t, w.complete(t, w.group.Name, w.group.Hook, pooled, LifecycleContinue), "ValidationError", "No active Lifecycle Action found with instance ID "+pooled)
}

func TestAutoScalingModelRefusesWhatAWSRefuses(t *testing.T) {
	w := newASGWorld(t)
	id := w.group.InstanceID
	other, err := CreateInstance(testContext(t, 30*time.Second), w.cfg, MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                          string
		group, hook, instance, result string
		want                          string
	}{
		{"no such group", "nope", w.group.Hook, id, LifecycleContinue, "Group nope not found"},
		{"no such hook", w.group.Name, "nope", id, LifecycleContinue, "No Lifecycle Hook named nope"},
		{"instance outside the group", w.group.Name, w.group.Hook, other, LifecycleContinue, "No active Lifecycle Action found with instance ID " + other},
		{"bad result", w.group.Name, w.group.Hook, id, "MAYBE", "must be CONTINUE or ABANDON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, w.complete(t, tc.group, tc.hook, tc.instance, tc.result), "ValidationError", tc.want)
		})
	}
	// None of them used up the instance's action.
	if err := w.complete(t, w.group.Name, w.group.Hook, id, LifecycleContinue); err != nil {
		t.Errorf("CONTINUE after the refusals: %v", err)
	}
	wantAPIError(t, w.setHealth(t, other, HealthUnhealthy), "ValidationError", "No managed instance found for instance ID "+other)
	calls := w.model.Calls()
	refused := 0
	for _, c := range calls {
		if c.Refused != "" {
			refused++
		}
	}
	if refused != 5 || len(calls) != 6 {
		t.Errorf("recorded %d calls, %d refused; want 6 and 5:\n%v", len(calls), refused, calls)
	}
}

func TestAutoScalingModelTerminatesAbandonedAndUnhealthyInstances(t *testing.T) {
	w := newASGWorld(t)
	ctx := testContext(t, time.Minute)
	first := w.group.InstanceID
	if err := w.complete(t, w.group.Name, w.group.Hook, first, LifecycleAbandon); err != nil {
		t.Fatalf("ABANDON: %v", err)
	}
	ids, err := GroupInstanceIDs(ctx, w.cfg, w.group.Name)
	if err != nil || len(ids) != 1 || ids[0] == first {
		t.Fatalf("after ABANDON the group holds %v (%v), want one new instance", ids, err)
	}
	second := ids[0]
	if got := w.model.Completions(first); len(got) != 1 || !got[0].Terminated {
		t.Errorf("completions of %s: %v, want one ABANDON that terminated it", first, got)
	}
	// The replacement waits in the hook too; once in service it reports
	// itself unhealthy, and the group replaces it.
	if err := w.complete(t, w.group.Name, w.group.Hook, second, LifecycleContinue); err != nil {
		t.Fatalf("CONTINUE of the replacement: %v", err)
	}
	if err := w.setHealth(t, second, HealthUnhealthy); err != nil {
		t.Fatalf("SetInstanceHealth: %v", err)
	}
	ids, err = GroupInstanceIDs(ctx, w.cfg, w.group.Name)
	if err != nil || len(ids) != 1 || ids[0] == second || ids[0] == first {
		t.Fatalf("after Unhealthy the group holds %v (%v), want a third instance", ids, err)
	}
	if got := w.model.HealthReports(second); len(got) != 1 || got[0].Result != HealthUnhealthy || !got[0].RespectGracePeriod || got[0].Group != w.group.Name || !got[0].Terminated {
		t.Errorf("health reports %v, want one Unhealthy for group %s that terminated it", got, w.group.Name)
	}
	// Healthy changes nothing.
	if err := w.setHealth(t, ids[0], HealthHealthy); err != nil {
		t.Errorf("Healthy: %v", err)
	}
	if again, err := GroupInstanceIDs(ctx, w.cfg, w.group.Name); err != nil || !slices.Equal(again, ids) {
		t.Errorf("after Healthy the group holds %v (%v), want %v", again, err, ids)
	}
	// Everything else reaches moto.
	out, err := w.client.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String(w.group.Name)})
	if err != nil || len(out.LifecycleHooks) != 1 {
		t.Errorf("DescribeLifecycleHooks through the model: %v, %v", out, err)
	}
}

// A termination hook's action waits only for an instance the harness
// terminates through it: before BeginTermination AWS's answer is "no
// active action"; after it, CONTINUE (or ABANDON) is taken once, goes to
// the harness, and terminates nothing by itself.
func TestAutoScalingModelServesATerminationHook(t *testing.T) {
	w := newASGWorld(t)
	id := w.group.InstanceID
	ctx := testContext(t, 30*time.Second)
	if _, err := autoscaling.NewFromConfig(w.cfg).PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{
		AutoScalingGroupName: aws.String(w.group.Name), LifecycleHookName: aws.String("handover"),
		LifecycleTransition: aws.String(terminateTransition), DefaultResult: aws.String(LifecycleContinue),
	}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, w.complete(t, w.group.Name, "handover", id, LifecycleContinue), "ValidationError", "No active Lifecycle Action found with instance ID "+id)
	done := w.model.BeginTermination(id, "handover")
	wantAPIError(t, w.complete(t, w.group.Name, w.group.Hook+"-other", id, LifecycleContinue), "ValidationError", "No Lifecycle Hook named")
	if err := w.complete(t, w.group.Name, "handover", id, LifecycleContinue); err != nil {
		t.Fatalf("CONTINUE of the termination action: %v", err)
	}
	select {
	case result := <-done:
		if result != LifecycleContinue {
			t.Errorf("the harness got %q, want CONTINUE", result)
		}
	default:
		t.Error("the harness got no result")
	}
	wantAPIError(t, w.complete(t, w.group.Name, "handover", id, LifecycleContinue), "ValidationError", "No active Lifecycle Action found with instance ID "+id)
	if got := w.model.Completions(id); len(got) != 1 || got[0].Terminated {
		t.Errorf("completions %v, want one that terminated nothing: the harness terminates the instance", got)
	}
}

// A group that launches first keeps its unhealthy instance running: the
// harness launches the replacement, and AwaitContinue sees it go in
// service; then ReplaceLaunchFirst terminates the old one.
func TestAutoScalingModelLeavesAnUnhealthyInstanceToALaunchFirstReplacement(t *testing.T) {
	RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	w := &asgWorld{cfg: m.AWSConfig()}
	w.model = StartAutoScalingModel(t, m.URL, w.cfg, AutoScalingModelOptions{LaunchFirst: func(string) bool { return true }})
	through := AWSConfig(w.model.URL, m.Region, TestCredentials)
	through.RetryMaxAttempts = 1
	w.client = autoscaling.NewFromConfig(through)
	w.group = NewLaunchGroup(t, w.cfg, "app", "gate", "")
	ctx := testContext(t, time.Minute)
	old := w.group.InstanceID
	if err := w.complete(t, w.group.Name, w.group.Hook, old, LifecycleContinue); err != nil {
		t.Fatalf("CONTINUE: %v", err)
	}
	if err := w.setHealth(t, old, HealthUnhealthy); err != nil {
		t.Fatalf("SetInstanceHealth: %v", err)
	}
	if got := w.model.HealthReports(old); len(got) != 1 || got[0].Terminated || !got[0].LaunchFirst {
		t.Errorf("health reports %v, want one Unhealthy left for a launch-first replacement", got)
	}
	if ids, err := GroupInstanceIDs(ctx, w.cfg, w.group.Name); err != nil || !slices.Equal(ids, []string{old}) {
		t.Fatalf("after Unhealthy, launch first, the group holds %v (%v), want still %s", ids, err, old)
	}
	step, err := ReplaceLaunchFirst(ctx, w.cfg, w.group.Name, old, RefreshHooks{
		InService: func(ctx context.Context, id string) error {
			if err := w.complete(t, w.group.Name, w.group.Hook, id, LifecycleContinue); err != nil {
				return err
			}
			return w.model.AwaitContinue(ctx, id, 10*time.Second)
		},
		Terminate: func(ctx context.Context, id string) error { return TerminateInstance(ctx, w.cfg, id) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := GroupInstanceIDs(ctx, w.cfg, w.group.Name); err != nil || !slices.Equal(ids, []string{step.New}) {
		t.Errorf("after the replacement the group holds %v (%v), want only %s", ids, err, step.New)
	}
}
