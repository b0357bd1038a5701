package moto

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

// typeSchedule is the Auto Scaling scheduled action's type token.
const typeSchedule = "aws:autoscaling/schedule:Schedule"

// createSchedule puts a scheduled action on a group, as the provider does
// (PutScheduledUpdateGroupAction). moto stores it and never runs it; the
// lab runs it (heallab's office hours). Its id is its name.
func (m *Monitor) createSchedule(ctx context.Context, _ string, in *inputs) (created, error) {
	group, action := in.required("autoscalingGroupName"), in.required("scheduledActionName")
	req := &autoscaling.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String(group),
		ScheduledActionName:  aws.String(action),
		Recurrence:           nonEmpty(in.strOr("recurrence", "")),
		TimeZone:             nonEmpty(in.strOr("timeZone", "")),
		MinSize:              in.integerPtr("minSize"),
		MaxSize:              in.integerPtr("maxSize"),
		DesiredCapacity:      in.integerPtr("desiredCapacity"),
	}
	if _, ok := in.str("startTime"); ok {
		in.fail("startTime", "is not translated: the component sets recurrence only")
	}
	if _, ok := in.str("endTime"); ok {
		in.fail("endTime", "is not translated: the component sets recurrence only")
	}
	if err := in.done(); err != nil {
		return created{}, err
	}
	if _, err := m.autoscaling.PutScheduledUpdateGroupAction(ctx, req); err != nil {
		return created{}, fmt.Errorf("PutScheduledUpdateGroupAction %s on %s: %w", action, group, err)
	}
	return created{id: action, attrs: map[string]any{
		"arn": m.arn("autoscaling", m.region, "scheduledUpdateGroupAction:*:autoScalingGroupName/"+group+":scheduledActionName/"+action),
	}}, nil
}
