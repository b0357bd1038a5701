package components_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
)

func TestInstancePolicyMovesOnlyItsOwnAddress(t *testing.T) {
	// Without the launch gate (on by default) the policy is the address's,
	// and the failure report's, which lifecycle_test.go checks with the
	// gate's statement.
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{DisableLaunchGate: true})
	allocation := d.one("aws:ec2/eip:Eip").ID
	doc := d.rolePolicy()
	if doc.Version != "2012-10-17" {
		t.Errorf("Version = %q", doc.Version)
	}
	byAction := map[string][]string{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			t.Errorf("statement %s: Effect %q, want Allow", st.Sid, st.Effect)
		}
		for _, action := range st.Action {
			byAction[action] = append(byAction[action], st.Resource...)
		}
	}
	wantAssociate := []string{
		"arn:aws:ec2:eu-west-1:123456789012:elastic-ip/" + allocation,
		"arn:aws:ec2:eu-west-1:123456789012:instance/*",
		"arn:aws:ec2:eu-west-1:123456789012:network-interface/*",
	}
	if !slices.Equal(byAction["ec2:AssociateAddress"], wantAssociate) {
		t.Errorf("ec2:AssociateAddress resources = %v, want %v", byAction["ec2:AssociateAddress"], wantAssociate)
	}
	if !slices.Equal(byAction["ec2:DescribeAddresses"], []string{"*"}) {
		t.Errorf("ec2:DescribeAddresses resources = %v, want [*]", byAction["ec2:DescribeAddresses"])
	}
	delete(byAction, "autoscaling:SetInstanceHealth")
	if len(byAction) != 2 {
		t.Errorf("actions = %v, want only ec2:AssociateAddress and ec2:DescribeAddresses, besides autoscaling:SetInstanceHealth", byAction)
	}
	for action, resources := range byAction {
		if slices.Contains(resources, "*") && action != "ec2:DescribeAddresses" {
			t.Errorf("%s is allowed on *; only actions without resource-level permissions may be", action)
		}
	}
}

func TestInstanceTrustPolicyAdmitsOnlyEC2(t *testing.T) {
	d := mustDeploy(t, nil)
	doc := parsePolicy(t, inputs(d.one("aws:iam/role:Role"))["assumeRolePolicy"])
	if len(doc.Statement) != 1 {
		t.Fatalf("want one statement, got %+v", doc.Statement)
	}
	st := doc.Statement[0]
	if st.Effect != "Allow" || !slices.Equal(st.Action, []string{"sts:AssumeRole"}) || len(st.Principal) != 1 || st.Principal["Service"] != "ec2.amazonaws.com" {
		t.Errorf("trust statement = %+v, want ec2.amazonaws.com allowed sts:AssumeRole only", st)
	}
}

func TestPolicyDocumentsAreValidJSONForEveryPartition(t *testing.T) {
	for _, scope := range []components.PolicyScope{
		{Partition: "aws", DNSSuffix: "amazonaws.com", Region: "us-east-1", AccountID: "111122223333", AllocationID: "eipalloc-1"},
		{Partition: "aws-cn", DNSSuffix: "amazonaws.com.cn", Region: "cn-north-1", AccountID: "111122223333", AllocationID: "eipalloc-2"},
		{Partition: "aws-us-gov", DNSSuffix: "amazonaws.com", Region: "us-gov-west-1", AccountID: "111122223333", AllocationID: "eipalloc-3"},
	} {
		text, err := components.InstancePolicy(scope).JSON()
		if err != nil {
			t.Fatal(err)
		}
		var generic map[string]any
		if err := json.Unmarshal([]byte(text), &generic); err != nil {
			t.Fatalf("%s: not JSON: %v", scope.Partition, err)
		}
		want := "arn:" + scope.Partition + ":ec2:" + scope.Region + ":111122223333:elastic-ip/" + scope.AllocationID
		if got := path(generic, "Statement", 0, "Resource", 0); got != want {
			t.Errorf("%s: first resource = %v, want %s", scope.Partition, got, want)
		}
		trust, err := components.InstanceTrustPolicy(scope.DNSSuffix).JSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(trust), &generic); err != nil {
			t.Fatalf("%s trust: not JSON: %v", scope.Partition, err)
		}
		if got := path(generic, "Statement", 0, "Principal", "Service"); got != "ec2."+scope.DNSSuffix {
			t.Errorf("%s trust principal = %v", scope.Partition, got)
		}
	}
	if got := components.SessionManagerPolicyARN("aws-cn"); got != "arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore" {
		t.Errorf("SessionManagerPolicyARN(aws-cn) = %s", got)
	}
}
