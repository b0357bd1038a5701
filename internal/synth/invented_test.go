package synth

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/record"
)

func TestInventionsAreMarkedAndTheProgramsOwnValuesAreNot(t *testing.T) {
	str := resource.NewProperty[string]
	num := resource.NewProperty[float64]
	unknown := newInventions([]record.Resource{
		{Type: "aws:ebs/volume:Volume", Custom: true, ID: "vol-0123456789abcdef0",
			Inputs:  resource.PropertyMap{"size": num(8)},
			Outputs: resource.PropertyMap{"size": num(8), "arn": str("arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0")}},
		// A group's id is its name, an input: the program's, not invented.
		{Type: "aws:autoscaling/group:Group", Custom: true, ID: "selfhealing-dev-instance",
			Inputs:  resource.PropertyMap{"name": str("selfhealing-dev-instance")},
			Outputs: resource.PropertyMap{"name": str("selfhealing-dev-instance"), "version": str("1")}},
		// A component has no id of its own.
		{Type: "selfhealing:index:SelfHealingInstance", Outputs: resource.PropertyMap{"publicIp": str("203.0.113.7")}},
	})
	for in, want := range map[string]string{
		"vol-0123456789abcdef0": Unknown,
		"arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0": "arn:aws:ec2:us-east-1:123456789012:volume/" + Unknown,
		"group selfhealing-dev-instance, version 1":                       "group selfhealing-dev-instance, version 1",
		"203.0.113.7": "203.0.113.7",
	} {
		if got := unknown.markString(in); got != want {
			t.Errorf("mark(%q) = %q, want %q", in, got, want)
		}
	}
	got := unknown.mark(map[string]any{"ids": []any{"vol-0123456789abcdef0", 1.0}})
	if ids := got.(map[string]any)["ids"].([]any); ids[0] != Unknown || ids[1] != 1.0 {
		t.Errorf("mark in a map of lists = %v", got)
	}
}
