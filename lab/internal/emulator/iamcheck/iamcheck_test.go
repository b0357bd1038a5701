package iamcheck

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestAllowsFollowsIAMWildcardsAndDeny(t *testing.T) {
	doc := policy.Instance(policy.Scope{
		Partition: "aws", Region: "us-east-1", AccountID: "123456789012", AllocationID: "eipalloc-0abc",
	})
	for _, tc := range []struct {
		action, resource string
		want             bool
	}{
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0abc", true},
		{"EC2:associateaddress", "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0abc", true},
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0other", false},
		// Instances only with the group's tag (TestOnlyTheGroupsInstancesAreAllowed);
		// Allows has no tags to offer.
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123", false},
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1", true},
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:999999999999:network-interface/eni-1", false},
		{"ec2:DescribeAddresses", "*", true},
		{"ec2:DisassociateAddress", "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0abc", false},
		{"ec2:TerminateInstances", "*", false},
	} {
		if got := Allows(doc, tc.action, tc.resource); got != tc.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
	doc.Statement = append(doc.Statement, policy.Statement{Effect: "Deny", Action: []string{"ec2:*"}, Resource: []string{"*:instance/i-0bad"}})
	if Allows(doc, "ec2:AssociateAddress", "arn:aws:ec2:us-east-1:123456789012:instance/i-0bad") {
		t.Error("an explicit Deny did not win")
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "a/b:c", true}, {"a*c", "abbbc", true}, {"a*c", "abbb", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*/i-*", "x:instance/i-1", true}, {"[a]", "a", false},
	} {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestVolumeRequestsAreAuthorizedOnTheirResources(t *testing.T) {
	const prefix = "arn:aws:ec2:us-east-1:123456789012:"
	for _, tc := range []struct {
		action string
		form   url.Values
		want   []string
	}{
		{"AttachVolume", url.Values{"VolumeId": {"vol-0abc"}, "InstanceId": {"i-0123"}, "Device": {"/dev/sdf"}},
			[]string{prefix + "volume/vol-0abc", prefix + "instance/i-0123"}},
		{"DetachVolume", url.Values{"VolumeId": {"vol-0abc"}, "Force": {"true"}},
			[]string{prefix + "volume/vol-0abc"}},
		{"DetachVolume", url.Values{"VolumeId": {"vol-0abc"}, "InstanceId": {"i-0dead"}, "Force": {"true"}},
			[]string{prefix + "volume/vol-0abc", prefix + "instance/i-0dead"}},
		{"DescribeVolumes", url.Values{"VolumeId.1": {"vol-0abc"}}, []string{"*"}},
		{"AttachNetworkInterface", url.Values{"NetworkInterfaceId": {"eni-0abc"}, "InstanceId": {"i-0123"}, "DeviceIndex": {"1"}},
			[]string{prefix + "network-interface/eni-0abc", prefix + "instance/i-0123"}},
		{"DescribeNetworkInterfaces", url.Values{"NetworkInterfaceId.1": {"eni-0abc"}}, []string{"*"}},
		{"DescribeInstances", url.Values{"Filter.1.Name": {"instance-id"}}, []string{"*"}},
	} {
		got, ok := ec2RequestResources("aws", "us-east-1", "123456789012", tc.action, tc.form)
		if !ok || !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: resources %q (mapped %v), want %q", tc.action, tc.form, got, ok, tc.want)
		}
	}
	if _, ok := ec2RequestResources("aws", "us-east-1", "123456789012", "DeleteVolume", url.Values{}); ok {
		t.Error("DeleteVolume is mapped; the harness should leave unmapped actions to moto")
	}
}

// TestAVolumePolicyAllowsOnlyItsOwnVolume checks the inspector's verdicts on
// a policy scoped the way the instance policy scopes a data volume; the
// real statements come from policy.Instance.
func TestAVolumePolicyAllowsOnlyItsOwnVolume(t *testing.T) {
	const prefix = "arn:aws:ec2:us-east-1:123456789012:"
	doc := policy.Document{Version: "2012-10-17", Statement: []policy.Statement{
		{Effect: "Allow", Action: []string{"ec2:AttachVolume", "ec2:DetachVolume"}, Resource: []string{prefix + "volume/vol-0abc", prefix + "instance/*"}},
		{Effect: "Allow", Action: []string{"ec2:DescribeVolumes", "ec2:DescribeInstances"}, Resource: []string{"*"}},
	}}
	allowed := func(action string, form url.Values) bool {
		resources, ok := ec2RequestResources("aws", "us-east-1", "123456789012", action, form)
		if !ok {
			t.Fatalf("%s is not mapped", action)
		}
		for _, r := range resources {
			if !Allows(doc, "ec2:"+action, r) {
				return false
			}
		}
		return true
	}
	if !allowed("AttachVolume", url.Values{"VolumeId": {"vol-0abc"}, "InstanceId": {"i-0123"}}) {
		t.Error("attaching the data volume was refused")
	}
	if allowed("AttachVolume", url.Values{"VolumeId": {"vol-0other"}, "InstanceId": {"i-0123"}}) {
		t.Error("attaching another volume was allowed")
	}
	if allowed("DetachVolume", url.Values{"VolumeId": {"vol-0other"}, "Force": {"true"}}) {
		t.Error("detaching another volume was allowed")
	}
	if !allowed("DetachVolume", url.Values{"VolumeId": {"vol-0abc"}, "InstanceId": {"i-0dead"}}) {
		t.Error("detaching the data volume from its dead holder was refused")
	}
	if !allowed("DescribeVolumes", url.Values{}) || !allowed("DescribeInstances", url.Values{}) {
		t.Error("describing was refused")
	}
}

// TestTheFormatRecordIsTheOnlyTagAllowed checks the inspector against the
// statement that lets an instance record that it formatted its data
// volume: only that volume, only that tag key, evaluated as IAM evaluates
// aws:TagKeys with ForAllValues.
func TestTheFormatRecordIsTheOnlyTagAllowed(t *testing.T) {
	const account, region = "123456789012", "us-east-1"
	doc := policy.Instance(policy.Scope{
		Partition: "aws", Region: region, AccountID: account, AllocationID: "eipalloc-0abc",
		DataVolume: &policy.DataVolumeScope{VolumeID: "vol-0abc", MayFormat: true},
	})
	tags := func(volume string, keys ...string) url.Values {
		form := url.Values{"ResourceId.1": {volume}}
		for i, key := range keys {
			form.Set(fmt.Sprintf("Tag.%d.Key", i+1), key)
			form.Set(fmt.Sprintf("Tag.%d.Value", i+1), "ext4 by i-0123 at 2026-11-30T00:00:00Z")
		}
		return form
	}
	allowed := func(form url.Values) bool {
		resources, ok := ec2RequestResources("aws", region, account, "CreateTags", form)
		if !ok || len(resources) == 0 {
			t.Fatalf("CreateTags %v: resources %q (mapped %v)", form, resources, ok)
		}
		for _, r := range resources {
			if !AllowsRequest(doc, "ec2:CreateTags", r, ec2RequestContext("CreateTags", form)) {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want bool
	}{
		{"the record on this volume", tags("vol-0abc", userdata.FormattedTagKey), true},
		{"another key", tags("vol-0abc", "Name"), false},
		{"the record and another key", tags("vol-0abc", userdata.FormattedTagKey, "Owner"), false},
		{"the record on another volume", tags("vol-0other", userdata.FormattedTagKey), false},
		{"the record on an instance", tags("i-0123", userdata.FormattedTagKey), false},
		{"the record on an unknown resource type", tags("sg-0123", userdata.FormattedTagKey), false},
	} {
		if got := allowed(tc.form); got != tc.want {
			t.Errorf("%s: allowed %v, want %v", tc.name, got, tc.want)
		}
	}
	noFormat := policy.Instance(policy.Scope{
		Partition: "aws", Region: region, AccountID: account, AllocationID: "eipalloc-0abc",
		DataVolume: &policy.DataVolumeScope{VolumeID: "vol-0abc"},
	})
	form := tags("vol-0abc", userdata.FormattedTagKey)
	if AllowsRequest(noFormat, "ec2:CreateTags", "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc", ec2RequestContext("CreateTags", form)) {
		t.Error("a policy for a volume the instance may not format allows tagging it")
	}
}

func TestConditionsHoldAsIAMEvaluatesThem(t *testing.T) {
	ctx := map[string][]string{"aws:tagkeys": {"a", "b"}, "kms:viaservice": {"ec2.us-east-1.amazonaws.com"}}
	for _, tc := range []struct {
		name      string
		condition map[string]map[string]any
		want      bool
	}{
		{"none", nil, true},
		{"ForAllValues, every key listed", map[string]map[string]any{"ForAllValues:StringEquals": {"aws:TagKeys": []string{"a", "b", "c"}}}, true},
		{"ForAllValues, one key not listed", map[string]map[string]any{"ForAllValues:StringEquals": {"aws:TagKeys": []any{"a"}}}, false},
		{"ForAllValues, key absent", map[string]map[string]any{"ForAllValues:StringEquals": {"aws:RequestTag/x": "y"}}, true},
		{"ForAnyValue, key absent", map[string]map[string]any{"ForAnyValue:StringEquals": {"aws:Nope": "y"}}, false},
		{"ForAnyValue, one listed", map[string]map[string]any{"ForAnyValue:StringEquals": {"aws:TagKeys": "b"}}, true},
		{"StringEquals, key case folded", map[string]map[string]any{"StringEquals": {"KMS:ViaService": "ec2.us-east-1.amazonaws.com"}}, true},
		{"StringEquals, other value", map[string]map[string]any{"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}, false},
		{"StringEquals, key absent", map[string]map[string]any{"StringEquals": {"kms:EncryptionContext:x": "y"}}, false},
		{"StringLike", map[string]map[string]any{"StringLike": {"kms:ViaService": "ec2.*"}}, true},
		{"two operators, one fails", map[string]map[string]any{"StringLike": {"kms:ViaService": "ec2.*"}, "Bool": {"kms:GrantIsForAWSResource": true}}, false},
		{"an operator the harness cannot evaluate", map[string]map[string]any{"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, false},
	} {
		if got := conditionsHold(tc.condition, ctx); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestOnlyTheGroupsInstancesAreAllowed runs the inspector, as the lab runs
// it, on the instance policy of a group with a data volume: the Elastic IP
// and the volume may go to an instance Auto Scaling tagged as this group's,
// and to no other instance.
func TestOnlyTheGroupsInstancesAreAllowed(t *testing.T) {
	const account, region, group = "123456789012", "us-east-1", "proj-dev-web"
	doc := policy.Instance(policy.Scope{
		Partition: "aws", Region: region, AccountID: account, AllocationID: "eipalloc-0abc",
		AutoScalingGroupName: group,
		DataVolume:           &policy.DataVolumeScope{VolumeID: "vol-0abc", ForceDetach: true},
	})
	arn := func(kind, id string) string { return "arn:aws:ec2:" + region + ":" + account + ":" + kind + "/" + id }
	groupTag := func(name string) map[string]string { return map[string]string{components.AutoScalingGroupTagKey: name} }
	tags := map[string]map[string]string{
		arn("instance", "i-0mine"):  groupTag(group),
		arn("instance", "i-0other"): groupTag("proj-dev-web-2"),
		arn("instance", "i-0loose"): {"Name": group},
		// An odd tag on the address must not vouch for the instance: tags,
		// and so conditions, are per resource.
		arn("elastic-ip", "eipalloc-0abc"): groupTag(group),
	}
	tagsOf := func(resource string) (map[string]string, error) { return tags[resource], nil }
	refused := func(t *testing.T, doc policy.Document, action string, form url.Values) string {
		t.Helper()
		resources, ok := ec2RequestResources("aws", region, account, action, form)
		if !ok {
			t.Fatalf("%s is not mapped", action)
		}
		r, err := refusedResource(doc, "ec2:"+action, resources, ec2RequestContext(action, form), tagsOf)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	associate := func(instance string) url.Values {
		return url.Values{"AllocationId": {"eipalloc-0abc"}, "InstanceId": {instance}, "AllowReassociation": {"true"}}
	}
	volume := func(instance string) url.Values {
		form := url.Values{"VolumeId": {"vol-0abc"}, "Device": {"/dev/sdf"}}
		if instance != "" {
			form.Set("InstanceId", instance)
		}
		return form
	}
	for _, tc := range []struct {
		name, action string
		form         url.Values
		want         string // the refused resource; "" for allowed
	}{
		{"the address onto this group's instance", "AssociateAddress", associate("i-0mine"), ""},
		{"the address onto another group's instance", "AssociateAddress", associate("i-0other"), arn("instance", "i-0other")},
		{"the address onto an instance of no group", "AssociateAddress", associate("i-0loose"), arn("instance", "i-0loose")},
		{"the volume onto this group's instance", "AttachVolume", volume("i-0mine"), ""},
		{"the volume onto another group's instance", "AttachVolume", volume("i-0other"), arn("instance", "i-0other")},
		{"the volume from this group's dead instance", "DetachVolume", volume("i-0mine"), ""},
		{"the volume from another group's instance", "DetachVolume", volume("i-0other"), arn("instance", "i-0other")},
		{"the volume from whatever holds it", "DetachVolume", volume(""), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := refused(t, doc, tc.action, tc.form); got != tc.want {
				t.Errorf("refused %q, want %q", got, tc.want)
			}
		})
	}

	// Why the instance statements stand alone: IAM applies a statement's
	// conditions to each resource in it, and a volume carries no group
	// tag, so a statement that also named the volume would refuse it.
	merged := policy.Document{Version: "2012-10-17", Statement: []policy.Statement{{
		Effect: "Allow", Action: []string{"ec2:AttachVolume"}, Resource: []string{arn("volume", "vol-0abc"), arn("instance", "*")},
		Condition: map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + components.AutoScalingGroupTagKey: group}},
	}}}
	if got := refused(t, merged, "AttachVolume", volume("i-0mine")); got != arn("volume", "vol-0abc") {
		t.Errorf("one statement for the volume and the group's instances: refused %q, want the volume", got)
	}
}

func TestResourceTagContextIsPerResource(t *testing.T) {
	request := map[string][]string{"aws:tagkeys": {"a"}}
	got := resourceTagContext(request, map[string]string{"aws:autoscaling:groupName": "g", "Name": "n"})
	want := map[string][]string{
		"aws:tagkeys": {"a"},
		"aws:resourcetag/aws:autoscaling:groupname": {"g"},
		"ec2:resourcetag/aws:autoscaling:groupname": {"g"},
		"aws:resourcetag/name":                      {"n"},
		"ec2:resourcetag/name":                      {"n"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resourceTagContext = %v, want %v", got, want)
	}
	if len(request) != 1 {
		t.Errorf("the request's own context was changed: %v", request)
	}
}

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

// TestInspectorAnswersAsIAMDoes runs the inspector as a FaultProxy runs
// it, with lookups that need no moto: each service gets its own error
// code, an unmapped action passes to moto, and a failed lookup refuses.
func TestInspectorAnswersAsIAMDoes(t *testing.T) {
	const account, region, group = "123456789012", "us-east-1", "proj-dev-web"
	groupARN := "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:6d3c1f4a-0c1e-4b7e-9d55-1b2c3d4e5f60:autoScalingGroupName/"
	tagsFail := false
	in := &Inspector{
		Policy: policy.Instance(policy.Scope{
			Partition: "aws", Region: region, AccountID: account, AllocationID: "eipalloc-0abc",
			AutoScalingGroupName: group,
		}),
		Partition: "aws", Region: region, AccountID: account,
		Tags: func(_ context.Context, arn string) (map[string]string, error) {
			if tagsFail {
				return nil, errors.New("moto is down")
			}
			if strings.HasSuffix(arn, "instance/i-0mine") {
				return map[string]string{components.AutoScalingGroupTagKey: group}, nil
			}
			return nil, nil
		},
		GroupARN: func(_ context.Context, name string) string { return groupARN + name },
		GroupOf: func(_ context.Context, id string) (string, bool) {
			return group, id == "i-0mine"
		},
	}
	ec2Form := func(kv ...string) url.Values {
		form := url.Values{"Version": {"2016-11-15"}}
		for i := 0; i < len(kv); i += 2 {
			form.Set(kv[i], kv[i+1])
		}
		return form
	}
	asgForm := func(instance string) url.Values {
		return url.Values{"Version": {autoscalingAPIVersion}, "InstanceId": {instance}, "HealthStatus": {"Unhealthy"}}
	}
	for _, tc := range []struct {
		name, action string
		form         url.Values
		code         string // "" for let through
	}{
		{"the address onto the group's instance", "AssociateAddress", ec2Form("AllocationId", "eipalloc-0abc", "InstanceId", "i-0mine"), ""},
		{"the address onto another instance", "AssociateAddress", ec2Form("AllocationId", "eipalloc-0abc", "InstanceId", "i-0other"), "UnauthorizedOperation"},
		{"an action the inspector does not map", "TerminateInstances", ec2Form("InstanceId.1", "i-0mine"), ""},
		{"the group's own instance unhealthy", "SetInstanceHealth", asgForm("i-0mine"), ""},
		{"an instance in no group unhealthy", "SetInstanceHealth", asgForm("i-0other"), "AccessDenied"},
	} {
		got := in.Inspect(tc.action, tc.form)
		switch {
		case tc.code == "" && got != nil:
			t.Errorf("%s: refused %+v, want it let through", tc.name, got)
		case tc.code != "" && (got == nil || got.Code != tc.code || got.Status != 403):
			t.Errorf("%s: %+v, want a 403 %s", tc.name, got, tc.code)
		}
	}
	tagsFail = true
	got := in.Inspect("AssociateAddress", ec2Form("AllocationId", "eipalloc-0abc", "InstanceId", "i-0mine"))
	if got == nil || got.Code != "UnauthorizedOperation" || !strings.Contains(got.Message, "moto is down") {
		t.Errorf("a failed tag lookup: %+v, want UnauthorizedOperation naming the failure", got)
	}
}
