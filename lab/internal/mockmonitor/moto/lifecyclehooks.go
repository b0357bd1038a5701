package moto

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

// initialLifecycleHooks reads a group's initialLifecycleHooks as the
// provider sends them: one PutLifecycleHook each, once the group exists
// (terraform-provider-aws internal/service/autoscaling/group.go,
// resourceGroupCreate and expandPutLifecycleHookInput).
func initialLifecycleHooks(in *inputs, groupName string) []*autoscaling.PutLifecycleHookInput {
	var hooks []*autoscaling.PutLifecycleHookInput
	for _, h := range in.objects("initialLifecycleHooks") {
		hooks = append(hooks, &autoscaling.PutLifecycleHookInput{
			AutoScalingGroupName:  aws.String(groupName),
			LifecycleHookName:     aws.String(h.required("name")),
			LifecycleTransition:   aws.String(h.required("lifecycleTransition")),
			DefaultResult:         nonEmpty(h.strOr("defaultResult", "")),
			HeartbeatTimeout:      h.integerPtr("heartbeatTimeout"),
			NotificationMetadata:  nonEmpty(h.strOr("notificationMetadata", "")),
			NotificationTargetARN: nonEmpty(h.strOr("notificationTargetArn", "")),
			RoleARN:               nonEmpty(h.strOr("roleArn", "")),
		})
	}
	return hooks
}

// sizeAfterHooks turns req into the provider's first phase for a group with
// initial lifecycle hooks: created with no capacity, so that no instance
// launches before the hooks exist. It returns the second phase, which gives
// the group its size once the hooks are in place.
func sizeAfterHooks(req *autoscaling.CreateAutoScalingGroupInput) *autoscaling.UpdateAutoScalingGroupInput {
	size := &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: req.AutoScalingGroupName,
		MinSize:              req.MinSize,
		MaxSize:              req.MaxSize,
		DesiredCapacity:      req.DesiredCapacity,
	}
	req.MinSize, req.MaxSize, req.DesiredCapacity = aws.Int32(0), aws.Int32(0), nil
	return size
}

const typeLifecycleHook = "aws:autoscaling/lifecycleHook:LifecycleHook"

// createLifecycleHook puts a lifecycle hook of its own on an existing
// group, as the provider's aws_autoscaling_lifecycle_hook does (one
// PutLifecycleHook; its id is the hook's name).
func (m *Monitor) createLifecycleHook(ctx context.Context, name string, in *inputs) (created, error) {
	hookName, autoNamed := physicalName(in, name)
	req := &autoscaling.PutLifecycleHookInput{
		AutoScalingGroupName:  aws.String(in.required("autoscalingGroupName")),
		LifecycleHookName:     aws.String(hookName),
		LifecycleTransition:   aws.String(in.required("lifecycleTransition")),
		DefaultResult:         nonEmpty(in.strOr("defaultResult", "")),
		HeartbeatTimeout:      in.integerPtr("heartbeatTimeout"),
		NotificationMetadata:  nonEmpty(in.strOr("notificationMetadata", "")),
		NotificationTargetARN: nonEmpty(in.strOr("notificationTargetArn", "")),
		RoleARN:               nonEmpty(in.strOr("roleArn", "")),
	}
	if err := in.done(); err != nil {
		return created{}, err
	}
	if _, err := m.autoscaling.PutLifecycleHook(ctx, req); err != nil {
		return created{}, fmt.Errorf("PutLifecycleHook %s: %w", hookName, err)
	}
	attrs := map[string]any{}
	if autoNamed {
		attrs["name"] = hookName
	}
	return created{id: hookName, attrs: attrs}, nil
}
