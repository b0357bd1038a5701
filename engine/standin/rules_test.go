package standin

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/internal/synth"
)

// TestEveryInputTheProgramSetsHasARule runs the program as synth does, for
// each stack, and looks every input of every AWS resource up in Rules: the
// stand-in cannot say whether a change to an input it has no rule for
// updates or replaces the resource.
func TestEveryInputTheProgramSetsHasARule(t *testing.T) {
	for _, stack := range []string{"dev", "full"} {
		t.Run(stack, func(t *testing.T) {
			report, err := synth.Run("../..", stack)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, r := range report.Resources {
				if !strings.HasPrefix(r.Type, "aws:") {
					continue
				}
				for input := range r.Inputs {
					if _, err := RuleFor(r.Type, input); err != nil {
						t.Errorf("%s %s: %v", r.Type, r.Name, err)
					}
					checked++
				}
			}
			if checked == 0 {
				t.Fatalf("synth of %s registered no AWS resource inputs", stack)
			}
			t.Logf("%s: %d inputs of %d resources have rules", stack, checked, len(report.Resources))
		})
	}
}

// TestEveryRuleCitesItsDocumentation keeps each rule followable.
func TestEveryRuleCitesItsDocumentation(t *testing.T) {
	for typ, props := range Rules {
		for prop, rule := range props {
			if !strings.HasPrefix(rule.Doc, "https://www.pulumi.com/registry/packages/aws/api-docs/") {
				t.Errorf("%s.%s: doc %q is not a registry page", typ, prop, rule.Doc)
			}
			if rule.Change != Update && rule.Change != Replace {
				t.Errorf("%s.%s: change %v", typ, prop, rule.Change)
			}
			if rule.Source != "" && !strings.HasPrefix(rule.Source, "https://github.com/hashicorp/terraform-provider-aws/") {
				t.Errorf("%s.%s: source %q", typ, prop, rule.Source)
			}
		}
	}
}

func TestRuleForNamesTheUnknownInput(t *testing.T) {
	_, err := RuleFor("aws:ebs/volume:Volume", "multiAttachEnabled")
	if err == nil || !strings.Contains(err.Error(), `"multiAttachEnabled"`) || !strings.Contains(err.Error(), "aws:ebs/volume:Volume") {
		t.Fatalf("RuleFor(volume, multiAttachEnabled) = %v, want an error naming both", err)
	}
	if _, err := RuleFor("aws:ec2/instance:Instance", "ami"); err == nil || !strings.Contains(err.Error(), "aws:ec2/instance:Instance") {
		t.Fatalf("RuleFor(instance) = %v, want an error naming the type", err)
	}
}

func TestDiffInputsFollowsTheRules(t *testing.T) {
	props := func(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }
	volume := map[string]any{"availabilityZone": "us-east-1a", "size": 8, "tags": map[string]any{"a": "b"}}
	cases := []struct {
		name       string
		typ        string
		olds, news map[string]any
		want       map[string]Change
	}{
		{"same", "aws:ebs/volume:Volume", volume, volume, map[string]Change{}},
		{"zone", "aws:ebs/volume:Volume", volume,
			map[string]any{"availabilityZone": "us-east-1b", "size": 8, "tags": map[string]any{"a": "b"}}, map[string]Change{"availabilityZone": Replace}},
		{"size and tag", "aws:ebs/volume:Volume", volume,
			map[string]any{"availabilityZone": "us-east-1a", "size": 9, "tags": map[string]any{"a": "c"}}, map[string]Change{"size": Update, "tags": Update}},
		{"instance type", "aws:ec2/launchTemplate:LaunchTemplate",
			map[string]any{"instanceType": "t4g.small"}, map[string]any{"instanceType": "t4g.medium"}, map[string]Change{"instanceType": Update}},
		// A volume is created from a snapshot once (ForceNew upstream).
		{"new snapshot", "aws:ebs/volume:Volume",
			map[string]any{"snapshotId": "snap-0123456789abcdef0"}, map[string]any{"snapshotId": "snap-0fedcba9876543210"}, map[string]Change{"snapshotId": Replace}},
		{"removed", "aws:ec2/eip:Eip",
			map[string]any{"domain": "vpc", "tags": map[string]any{}}, map[string]any{"domain": "vpc"}, map[string]Change{"tags": Update}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			changes, err := DiffInputs(c.typ, props(c.olds), props(c.news))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Change{}
			for _, ch := range changes {
				got[ch.Property] = ch.Rule.Change
			}
			if len(got) != len(c.want) {
				t.Fatalf("changes %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s: %v, want %v", k, got[k], v)
				}
			}
		})
	}
	_, err := DiffInputs("aws:ebs/volume:Volume", props(volume), props(map[string]any{"multiAttachEnabled": true}))
	if err == nil || !strings.Contains(err.Error(), "multiAttachEnabled") {
		t.Fatalf("a changed input with no rule: %v, want an error naming it", err)
	}
}
