package heal

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestAllowsFollowsIAMWildcardsAndDeny(t *testing.T) {
	doc := components.InstancePolicy(components.PolicyScope{
		Partition: "aws", Region: "us-east-1", AccountID: "123456789012", AllocationID: "eipalloc-0abc",
	})
	for _, tc := range []struct {
		action, resource string
		want             bool
	}{
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0abc", true},
		{"EC2:associateaddress", "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0abc", true},
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0other", false},
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123", true},
		{"ec2:AssociateAddress", "arn:aws:ec2:us-west-2:123456789012:instance/i-0123", false},
		{"ec2:AssociateAddress", "arn:aws:ec2:us-east-1:999999999999:network-interface/eni-1", false},
		{"ec2:DescribeAddresses", "*", true},
		{"ec2:DisassociateAddress", "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0abc", false},
		{"ec2:TerminateInstances", "*", false},
	} {
		if got := Allows(doc, tc.action, tc.resource); got != tc.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
	doc.Statement = append(doc.Statement, components.PolicyStatement{Effect: "Deny", Action: []string{"ec2:*"}, Resource: []string{"*:instance/i-0bad"}})
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
// real statements come from components.InstancePolicy.
func TestAVolumePolicyAllowsOnlyItsOwnVolume(t *testing.T) {
	const prefix = "arn:aws:ec2:us-east-1:123456789012:"
	doc := components.PolicyDocument{Version: "2012-10-17", Statement: []components.PolicyStatement{
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
	doc := components.InstancePolicy(components.PolicyScope{
		Partition: "aws", Region: region, AccountID: account, AllocationID: "eipalloc-0abc",
		DataVolume: &components.DataVolumeScope{VolumeID: "vol-0abc", MayFormat: true},
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
	noFormat := components.InstancePolicy(components.PolicyScope{
		Partition: "aws", Region: region, AccountID: account, AllocationID: "eipalloc-0abc",
		DataVolume: &components.DataVolumeScope{VolumeID: "vol-0abc"},
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
