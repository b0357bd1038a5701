package heal

import (
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
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
