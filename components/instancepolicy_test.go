package components_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
)

func TestInstancePolicyMovesOnlyItsOwnAddress(t *testing.T) {
	// Without the launch gate (on by default) the policy is the address's,
	// and the failure report's, which lifecycle_test.go checks with the
	// gate's statement.
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{LaunchGate: pulumi.BoolRef(false)})
	allocation := d.One("aws:ec2/eip:Eip").ID
	doc := d.RolePolicy()
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
	for _, action := range policy.SessionManagerActions {
		delete(byAction, action) // TestSessionManagerNeedsNoManagedPolicy
	}
	if len(byAction) != 2 {
		t.Errorf("actions = %v, want only ec2:AssociateAddress and ec2:DescribeAddresses, besides autoscaling:SetInstanceHealth and Session Manager's", byAction)
	}
	for action, resources := range byAction {
		if slices.Contains(resources, "*") && action != "ec2:DescribeAddresses" {
			t.Errorf("%s is allowed on *; only actions without resource-level permissions may be", action)
		}
	}
	wantInstancesOfThisGroupOnly(t, doc, "ec2:AssociateAddress", "arn:aws:ec2:eu-west-1:123456789012:elastic-ip/"+allocation,
		"arn:aws:ec2:eu-west-1:123456789012:network-interface/*")
}

// thisGroupsInstances is the condition that limits instance/* to the
// instances the test deployment's group launched.
var thisGroupsInstances = map[string]map[string]any{
	"StringEquals": {"aws:ResourceTag/aws:autoscaling:groupName": components.AutoScalingGroupName(testProject, testStack, testName)},
}

// wantInstancesOfThisGroupOnly checks how doc allows action on instances:
// in exactly one statement, whose only resource is instance/* in this
// account and region and whose only condition is the group's tag; every
// other statement for action has no condition and its resources are
// exactly others, none of them an instance. IAM applies a statement's
// conditions to every resource in it, hence the split.
func wantInstancesOfThisGroupOnly(t *testing.T, doc policy.Document, action string, others ...string) {
	t.Helper()
	var onInstances []policy.Statement
	var rest []string
	for _, st := range doc.Statement {
		if !slices.Contains(st.Action, action) {
			continue
		}
		if slices.ContainsFunc(st.Resource, func(r string) bool { return strings.Contains(r, ":instance/") || r == "*" }) {
			onInstances = append(onInstances, st)
			continue
		}
		if st.Condition != nil {
			t.Errorf("%s: statement %s has conditions %v; only the instance statement may", action, st.Sid, st.Condition)
		}
		rest = append(rest, st.Resource...)
	}
	if len(onInstances) != 1 {
		t.Fatalf("%s: %d statements allow it on instances, want exactly 1: %+v", action, len(onInstances), onInstances)
	}
	st := onInstances[0]
	if want := []string{"arn:aws:ec2:eu-west-1:123456789012:instance/*"}; !slices.Equal(st.Resource, want) || len(st.Action) != 1 {
		t.Errorf("%s: instance statement %s has actions %v on %v, want only %s on %v", action, st.Sid, st.Action, st.Resource, action, want)
	}
	if !reflect.DeepEqual(st.Condition, thisGroupsInstances) {
		t.Errorf("%s: instance statement %s has conditions %v, want %v", action, st.Sid, st.Condition, thisGroupsInstances)
	}
	if !slices.Equal(rest, others) {
		t.Errorf("%s: other resources %v, want %v", action, rest, others)
	}
}

// TestNoStatementAllowsAnyInstance checks every statement of the policy
// with every option that adds statements: none names an instance without
// the group's condition.
func TestNoStatementAllowsAnyInstance(t *testing.T) {
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{
		DataVolume:     &components.DataVolumeArgs{SizeGiB: 5, KMSKeyARN: pulumi.String(testKMSKeyARN)},
		AppHealthCheck: &components.AppHealthCheck{URL: pulumi.String("http://localhost/")},
	})
	doc := d.RolePolicy()
	for _, st := range doc.Statement {
		for _, r := range st.Resource {
			if strings.Contains(r, ":instance/") && !reflect.DeepEqual(st.Condition, thisGroupsInstances) {
				t.Errorf("statement %s allows %v on %s with conditions %v, want only this group's instances", st.Sid, st.Action, r, st.Condition)
			}
		}
	}
	volume := volumeARNPrefix + d.One(typeVolume).ID
	wantInstancesOfThisGroupOnly(t, doc, "ec2:AttachVolume", volume)
	wantInstancesOfThisGroupOnly(t, doc, "ec2:DetachVolume", volume)
}

func TestSessionManagerNeedsNoManagedPolicy(t *testing.T) {
	d := mustDeploy(t, nil)
	for _, a := range d.Monitor.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		t.Errorf("policy %v attached to the instance role; Session Manager needs no managed policy", inputs(a)["policyArn"])
	}
	want := []string{"ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
		"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}
	var found []policy.Statement
	for _, st := range d.RolePolicy().Statement {
		for _, action := range st.Action {
			service, _, _ := strings.Cut(action, ":")
			if service == "ssm" || service == "ssmmessages" || service == "ec2messages" {
				found = append(found, st)
				break
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d statements allow Systems Manager actions, want 1: %+v", len(found), found)
	}
	st := found[0]
	// None of the five supports a resource type, so "*"; nothing that
	// reads parameters or runs commands.
	if !slices.Equal(st.Action, want) || !slices.Equal(st.Resource, []string{"*"}) || st.Condition != nil || st.Effect != "Allow" {
		t.Errorf("Session Manager statement = %+v, want Allow %v on * without conditions", st, want)
	}

	off := mustDeploy(t, &components.SelfHealingInstanceArgs{EnableSessionManager: pulumi.BoolRef(false)})
	for _, st := range off.RolePolicy().Statement {
		for _, action := range st.Action {
			if strings.HasPrefix(action, "ssm") {
				t.Errorf("EnableSessionManager false: statement %s still allows %s", st.Sid, action)
			}
		}
	}
	if n := len(off.Monitor.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")); n != 0 {
		t.Errorf("DisableSessionManager: %d policy attachments, want none", n)
	}
}

func TestInstanceTrustPolicyAdmitsOnlyEC2(t *testing.T) {
	d := mustDeploy(t, nil)
	doc := parsePolicy(t, inputs(d.One("aws:iam/role:Role"))["assumeRolePolicy"])
	if len(doc.Statement) != 1 {
		t.Fatalf("want one statement, got %+v", doc.Statement)
	}
	st := doc.Statement[0]
	if st.Effect != "Allow" || !slices.Equal(st.Action, []string{"sts:AssumeRole"}) || len(st.Principal) != 1 || st.Principal["Service"] != "ec2.amazonaws.com" {
		t.Errorf("trust statement = %+v, want ec2.amazonaws.com allowed sts:AssumeRole only", st)
	}
}

func TestPolicyDocumentsAreValidJSONForEveryPartition(t *testing.T) {
	for _, scope := range []policy.Scope{
		{Partition: "aws", DNSSuffix: "amazonaws.com", Region: "us-east-1", AccountID: "111122223333", AllocationID: "eipalloc-1"},
		{Partition: "aws-cn", DNSSuffix: "amazonaws.com.cn", Region: "cn-north-1", AccountID: "111122223333", AllocationID: "eipalloc-2"},
		{Partition: "aws-us-gov", DNSSuffix: "amazonaws.com", Region: "us-gov-west-1", AccountID: "111122223333", AllocationID: "eipalloc-3"},
	} {
		text, err := policy.Instance(scope).JSON()
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
		trust, err := policy.InstanceTrust(scope.DNSSuffix).JSON()
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
}

// The instance role's one inline policy holds every statement, not only the
// Elastic IP's, and is named for that; an alias to its former name,
// "<name>-eip-policy", keeps an existing stack from replacing it.
func TestTheInstancePolicyIsNamedForAllItHoldsAndKeepsItsFormerName(t *testing.T) {
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{})
	r := d.One("aws:iam/rolePolicy:RolePolicy")
	if r.Name != testName+"-policy" {
		t.Errorf("the role policy is named %q, want %q", r.Name, testName+"-policy")
	}
	if want := "name=" + testName + "-eip-policy"; !slices.Contains(r.Aliases, want) {
		t.Errorf("the role policy's aliases are %q, want %q among them", r.Aliases, want)
	}
}
