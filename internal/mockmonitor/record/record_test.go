package record

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestURNs(t *testing.T) {
	stack := "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"
	component := ChildURN(stack, "selfhealing:index:SelfHealingInstance", "instance")
	if component != "urn:pulumi:dev::proj::selfhealing:index:SelfHealingInstance::instance" {
		t.Errorf("component URN = %s", component)
	}
	child := ChildURN(component, "aws:ec2/eip:Eip", "instance-eip")
	if child != "urn:pulumi:dev::proj::selfhealing:index:SelfHealingInstance$aws:ec2/eip:Eip::instance-eip" {
		t.Errorf("child URN = %s", child)
	}
	for urn, want := range map[string]string{stack: "pulumi:pulumi:Stack", component: "selfhealing:index:SelfHealingInstance", child: "aws:ec2/eip:Eip", "": "", "nonsense": ""} {
		if got := TypeOfURN(urn); got != want {
			t.Errorf("TypeOfURN(%q) = %q, want %q", urn, got, want)
		}
	}
	if ChildURN("", "t:t:T", "n") != "" {
		t.Error("ChildURN of no parent is not empty")
	}
}

func TestRecorderKeepsOrderAndFiltersByType(t *testing.T) {
	var rec Recorder
	rec.Record(Resource{Type: "a", Name: "1"})
	rec.Record(Resource{Type: "b", Name: "2"})
	rec.Record(Resource{Type: "a", Name: "3"})
	if got := rec.ByType("a"); len(got) != 2 || got[0].Name != "1" || got[1].Name != "3" {
		t.Errorf("ByType(a) = %+v", got)
	}
	all := rec.Resources()
	all[0].Name = "changed"
	if rec.Resources()[0].Name != "1" {
		t.Error("Resources returned the recorder's own slice")
	}
}

func TestFromArgsKeepsEveryResourceOption(t *testing.T) {
	protect := true
	parent := "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"
	dep := "urn:pulumi:dev::proj::aws:iam/role:Role::r"
	r := FromArgs(pulumi.MockResourceArgs{TypeToken: "aws:ebs/volume:Volume", Name: "v", Custom: true, RegisterRPC: &pulumirpc.RegisterResourceRequest{
		Parent: parent, Protect: &protect, RetainOnDelete: &protect, DeleteBeforeReplace: true,
		IgnoreChanges: []string{"tags"}, ReplaceOnChanges: []string{"size"},
		Dependencies:         []string{dep},
		PropertyDependencies: map[string]*pulumirpc.RegisterResourceRequest_PropertyDependencies{"role": {Urns: []string{dep}}},
		AliasURNs:            []string{"urn:pulumi:dev::proj::aws:ebs/volume:Volume::old"},
		Aliases:              []*pulumirpc.Alias{{Alias: &pulumirpc.Alias_Spec_{Spec: &pulumirpc.Alias_Spec{Name: "older", Parent: &pulumirpc.Alias_Spec_NoParent{NoParent: true}}}}},
	}})
	if !r.Protect || !r.RetainOnDelete || !r.DeleteBeforeReplace || r.ParentURN != parent ||
		!slices.Equal(r.IgnoreChanges, []string{"tags"}) || !slices.Equal(r.ReplaceOnChanges, []string{"size"}) ||
		!slices.Equal(r.PropertyDependencies["role"], []string{dep}) ||
		!slices.Equal(r.Aliases, []string{"urn:pulumi:dev::proj::aws:ebs/volume:Volume::old", "name=older noParent"}) {
		t.Errorf("FromArgs = %+v", r)
	}
}
