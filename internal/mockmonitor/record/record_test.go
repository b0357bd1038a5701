package record

import "testing"

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
