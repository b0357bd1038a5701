package heallab

import (
	"net/url"
	"slices"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/policy"
)

func TestAutoScalingRequestsAreAuthorizedOnTheirGroup(t *testing.T) {
	const arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:6d3c1f4a-0c1e-4b7e-9d55-1b2c3d4e5f60:autoScalingGroupName/"
	groupARN := func(name string) string { return arn + name }
	groupOf := func(id string) (string, bool) { return "web", id == "i-0123" }
	for _, tc := range []struct {
		action string
		form   url.Values
		want   []string
		ok     bool
	}{
		{"CompleteLifecycleAction", url.Values{"AutoScalingGroupName": {"web"}, "InstanceId": {"i-0123"}}, []string{arn + "web"}, true},
		{"RecordLifecycleActionHeartbeat", url.Values{"AutoScalingGroupName": {"other"}}, []string{arn + "other"}, true},
		{"SetInstanceHealth", url.Values{"InstanceId": {"i-0123"}}, []string{arn + "web"}, true},
		{"SetInstanceHealth", url.Values{"InstanceId": {"i-0999"}}, []string{arn}, true}, // in no group: a group with no name
		{"DescribeAutoScalingInstances", url.Values{}, []string{"*"}, true},
		{"TerminateInstanceInAutoScalingGroup", url.Values{}, nil, false},
	} {
		got, ok := autoscalingRequestResources(tc.action, tc.form, groupARN, groupOf)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: %v, %v; want %v, %v", tc.action, tc.form, got, ok, tc.want, tc.ok)
		}
	}
}

// The policy the component writes allows exactly its own group's lifecycle
// and health calls, on the ARN the group really has.
func TestInstancePolicyCoversTheGroupsRealARN(t *testing.T) {
	const prefix = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:6d3c1f4a-0c1e-4b7e-9d55-1b2c3d4e5f60:autoScalingGroupName/"
	scope := policy.Scope{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", AllocationID: "eipalloc-0abc",
		AutoScalingGroupName: "proj-dev-web", LaunchGate: true}
	gated := policy.Instance(scope) // a failed later boot reports itself
	scope.LaunchGate = false
	noGate := policy.Instance(scope) // every failed boot reports itself
	for _, tc := range []struct {
		doc              policy.Document
		action, resource string
		want             bool
	}{
		{gated, "autoscaling:CompleteLifecycleAction", prefix + "proj-dev-web", true},
		{gated, "autoscaling:RecordLifecycleActionHeartbeat", prefix + "proj-dev-web", true},
		{gated, "autoscaling:CompleteLifecycleAction", prefix + "proj-dev-other", false},
		{gated, "autoscaling:CompleteLifecycleAction", "arn:aws:autoscaling:us-west-2:123456789012:autoScalingGroup:x:autoScalingGroupName/proj-dev-web", false},
		{gated, "autoscaling:SetInstanceHealth", prefix + "proj-dev-web", true},
		{gated, "autoscaling:SetInstanceHealth", prefix + "proj-dev-web2", false},
		{gated, "autoscaling:TerminateInstanceInAutoScalingGroup", prefix + "proj-dev-web", false},
		{noGate, "autoscaling:SetInstanceHealth", prefix + "proj-dev-web", true},
		{noGate, "autoscaling:SetInstanceHealth", prefix + "proj-dev-web2", false},
		{noGate, "autoscaling:CompleteLifecycleAction", prefix + "proj-dev-web", false},
	} {
		if got := Allows(tc.doc, tc.action, tc.resource); got != tc.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
}
