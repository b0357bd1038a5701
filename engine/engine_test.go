package engine_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/engine/standin"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
)

// synthResources is what synth says the stack in dir registers, as
// "type name", the stack resource left out.
func synthResources(t *testing.T, dir, stack string) []string {
	t.Helper()
	report, err := synth.Run(dir, stack)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range report.Resources {
		out = append(out, r.Type+" "+r.Name)
	}
	return sortedCopy(out)
}

// want fails the test unless the step ran as wanted: ok, and the engine's
// counts of each operation exactly these (an operation not named: none).
func want(t *testing.T, s Step, ok bool, counts map[apitype.OpType]int) {
	t.Helper()
	if s.OK != ok {
		t.Fatalf("%s: ok=%t, want %t (%v)", s, s.OK, ok, s.Err)
	}
	for _, op := range []apitype.OpType{apitype.OpCreate, apitype.OpUpdate, apitype.OpReplace, apitype.OpDelete, apitype.OpSame} {
		if s.Counts[op] != counts[op] {
			t.Errorf("%s: %d %s, want %d", s, s.Counts[op], op, counts[op])
		}
	}
}

// deployAsSynthShows previews a new stack, which must show the resources
// synth shows, creates them, and runs `up` again, which must change
// nothing. It returns how many resources the engine counts: synth's and
// the stack itself.
func deployAsSynthShows(t *testing.T, d *deployment, resources []string) int {
	t.Helper()
	all := len(resources) + 1
	preview := d.preview("preview")
	want(t, preview, true, map[apitype.OpType]int{apitype.OpCreate: all})
	if got := preview.resourcesStepped(); strings.Join(got, "\n") != strings.Join(resources, "\n") {
		t.Errorf("preview shows\n%s\nsynth shows\n%s", strings.Join(got, "\n"), strings.Join(resources, "\n"))
	}
	want(t, d.up("up"), true, map[apitype.OpType]int{apitype.OpCreate: all})
	want(t, d.up("up-again"), true, map[apitype.OpType]int{apitype.OpSame: all})
	return all
}

// TestDevStack deploys the dev stack under the real engine with the
// stand-in AWS provider: what preview shows, no perpetual diff, drift
// absorbed, changes that update what the provider's rules say, and a
// destroy that keeps the protected data volume.
func TestDevStack(t *testing.T) {
	l := newLab(t)
	d := l.stack("dev", "dev")
	all := deployAsSynthShows(t, d, synthResources(t, repoDir, "dev"))

	changed, err := standin.RunTheInstance(l.world)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outside Pulumi: %s", strings.Join(changed, "; "))
	refresh := d.refresh("refresh")
	if !refresh.OK || refresh.Counts[apitype.OpUpdate] != 1 {
		t.Errorf("%s: the refresh should read the volume's new tag, one update", refresh)
	}
	want(t, d.up("refresh-up"), true, map[apitype.OpType]int{apitype.OpSame: all})

	// A new instance type or user script rolls the group: a new launch
	// template version, and the group's update carries it with the
	// instanceRefresh setting, as the stand-in receives them.
	d.config("instanceType t4g.medium")
	before := len(d.received())
	typeChange := d.up("change-instance-type")
	want(t, typeChange, true, map[apitype.OpType]int{apitype.OpUpdate: 2, apitype.OpSame: all - 2})
	wantOps(t, typeChange, apitype.OpUpdate, "aws:autoscaling/group:Group", "aws:ec2/launchTemplate:LaunchTemplate")
	wantRollout(t, d, typeChange, d.received()[before:], "instanceType")

	d.config("userScript '#!/bin/bash\nset -euo pipefail\ndnf install -y httpd\n'")
	before = len(d.received())
	scriptChange := d.up("change-user-script")
	want(t, scriptChange, true, map[apitype.OpType]int{apitype.OpUpdate: 2, apitype.OpSame: all - 2})
	wantRollout(t, d, scriptChange, d.received()[before:], "userData")

	// Tags change in place on every resource that has them (Rules).
	d.config("--path 'tags.team' web")
	tagChange := d.up("change-tag")
	tagged := typesWithInput(t, repoDir, "dev", "tags")
	want(t, tagChange, true, map[apitype.OpType]int{apitype.OpUpdate: len(tagged), apitype.OpSame: all - len(tagged)})
	wantOps(t, tagChange, apitype.OpUpdate, tagged...)

	// A new zone replaces the volume (Rules), which protect refuses, as
	// docs/data-volume.md says.
	d.config("--path dataVolume.availabilityZone us-east-1b")
	zoneChange := d.up("change-volume-zone")
	if zoneChange.OK || !strings.Contains(fmt.Sprint(zoneChange.Err), "marked for protection") {
		t.Errorf("%s: a new zone should replace the protected volume, which the engine refuses, saying so; got %v", zoneChange, cliError(zoneChange.Err))
	}
	d.lab.sh("pulumi config rm --stack dev --path dataVolume.availabilityZone")
	want(t, d.up("change-volume-zone-back"), true, map[apitype.OpType]int{apitype.OpSame: all})

	destroy := d.destroy("destroy")
	if destroy.OK || destroy.Err == nil || !strings.Contains(destroy.Err.Error(), "protected") {
		t.Errorf("%s: destroy should refuse to delete the protected data volume, and say so; got %v", destroy, destroy.Err)
	}
	// The engine deletes everything else first: only the volume is left.
	if w := d.world(); len(w) != 1 || !slices.Contains(slices.Collect(maps.Values(w)), "aws:ebs/volume:Volume") {
		t.Errorf("after the refused destroy the stand-in holds %v, want the data volume alone", w)
	}

	// docs/data-volume.md: to delete the volume on purpose.
	d.config("--path dataVolume.deletionPolicy snapshot-and-delete")
	// The refused destroy deleted all but the volume; the up puts them back
	// and only changes the volume's options.
	want(t, d.up("change-deletion-policy"), true, map[apitype.OpType]int{apitype.OpCreate: all - 3, apitype.OpSame: 3})
	gone := d.destroy("destroy-unprotected")
	if !gone.OK {
		t.Fatalf("%s: %v", gone, gone.Err)
	}
	if w := d.world(); len(w) != 0 {
		t.Errorf("after destroy the stand-in still holds %v", w)
	}
}

// received lists what the stand-in has changed so far, oldest first.
func (d *deployment) received() []standin.Received {
	d.lab.t.Helper()
	r, err := standin.ReadReceived(d.lab.world)
	if err != nil {
		d.lab.t.Fatal(err)
	}
	return r
}

// wantRollout fails unless the step's changes, as the stand-in received
// them, roll the group: the launch template updated with a new input, and
// the group updated to the template's new version with its
// instanceRefresh setting, with which the Pulumi AWS provider starts an
// instance refresh when the group's launchTemplate changes
// (https://www.pulumi.com/registry/packages/aws/api-docs/autoscaling/group/#instancerefresh):
// terminate the instance first, then launch its replacement.
func wantRollout(t *testing.T, d *deployment, s Step, changes []standin.Received, input string) {
	t.Helper()
	var template, group *standin.Received
	for i, r := range changes {
		switch {
		case r.Op == "update" && r.Type == "aws:ec2/launchTemplate:LaunchTemplate":
			template = &changes[i]
		case r.Op == "update" && r.Type == "aws:autoscaling/group:Group":
			group = &changes[i]
		default:
			t.Errorf("%s: the stand-in received a %s of %s, want only the launch template's and the group's updates", s, r.Op, r.URN)
		}
	}
	if template == nil || group == nil {
		t.Fatalf("%s: the stand-in received %d changes, want an update of the launch template and one of the group", s, len(changes))
	}
	news, olds := receivedInputs(t, *template)
	if news[resource.PropertyKey(input)].DeepEquals(olds[resource.PropertyKey(input)]) {
		t.Errorf("%s: the launch template's update left %s as it was", s, input)
	}

	world, err := standin.ReadWorld(d.lab.world)
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := world[template.ID].OutputMap()
	if err != nil {
		t.Fatal(err)
	}
	newVersion := attrs["latestVersion"]
	news, olds = receivedInputs(t, *group)
	launch, was := objectProp(news, "launchTemplate"), objectProp(olds, "launchTemplate")
	if !newVersion.IsNumber() || fmt.Sprint(launch["version"].V) != fmt.Sprint(newVersion.NumberValue()) ||
		launch["version"].DeepEquals(was["version"]) || launch["id"].V != template.ID {
		t.Errorf("%s: the group's update has launchTemplate %v (was %v), want the template %s at its new version %v",
			s, launch.Mappable(), was.Mappable(), template.ID, newVersion.V)
	}
	refresh := objectProp(news, "instanceRefresh")
	preferences := objectProp(refresh, "preferences")
	if refresh["strategy"].V != "Rolling" || preferences["minHealthyPercentage"].V != 100.0 || preferences["maxHealthyPercentage"].V != 200.0 {
		// The dev stack has a data volume: a rollout launches first and
		// the old instance hands the volume over.
		t.Errorf("%s: the group's update has instanceRefresh %v, want a Rolling refresh that launches first (minHealthyPercentage 100, maxHealthyPercentage 200)",
			s, refresh.Mappable())
	}
}

func receivedInputs(t *testing.T, r standin.Received) (news, olds resource.PropertyMap) {
	t.Helper()
	news, err := r.InputMap()
	if err != nil {
		t.Fatal(err)
	}
	if olds, err = r.OldInputMap(); err != nil {
		t.Fatal(err)
	}
	return news, olds
}

// objectProp is the object m holds at key, empty if it holds none.
func objectProp(m resource.PropertyMap, key resource.PropertyKey) resource.PropertyMap {
	if v, ok := m[key]; ok && v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

// typesWithInput lists the types of the stack's resources (as synth shows
// them) that set input.
func typesWithInput(t *testing.T, dir, stack, input string) []string {
	t.Helper()
	report, err := synth.Run(dir, stack)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range report.Resources {
		if _, ok := r.Inputs[input]; ok {
			out = append(out, r.Type)
		}
	}
	return out
}

// wantOps fails unless exactly the resources of these types got op.
func wantOps(t *testing.T, s Step, op apitype.OpType, types ...string) {
	t.Helper()
	var got []string
	for _, urn := range s.ops()[op] {
		got = append(got, typeOfURN(urn))
	}
	got = sortedCopy(got)
	if strings.Join(got, ",") != strings.Join(sortedCopy(types), ",") {
		t.Errorf("%s: %s on %v, want %v", s, op, got, sortedCopy(types))
	}
}

func typeOfURN(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	qualified := parts[2]
	return qualified[strings.LastIndex(qualified, "$")+1:]
}

// cliError is the CLI's own "error:" line from an Automation API error.
func cliError(err error) string {
	for _, line := range strings.Split(fmt.Sprint(err), "\n") {
		if i := strings.Index(line, "error: "); i >= 0 {
			return strings.TrimSpace(line[i:])
		}
	}
	return fmt.Sprint(err)
}

// TestTheCLIAcceptsTheProjectAsShipped previews the dev stack with the
// repository's Pulumi.yaml unchanged (every lab here copies it as it is).
// The CLI takes a config key declared without a default as required of
// every stack
// (https://www.pulumi.com/docs/iac/concepts/projects/project-file/#config-options),
// so Pulumi.yaml declares only keys with a default.
func TestTheCLIAcceptsTheProjectAsShipped(t *testing.T) {
	l := newLab(t)
	d := l.stack("dev", "dev")
	preview := d.preview("preview-as-shipped")
	if !preview.OK {
		t.Errorf("%s: the CLI refuses the dev stack with the repository's Pulumi.yaml: %s", preview, cliError(preview.Err))
	}
}

// TestFullStack deploys the full stack: every option the stand-in models,
// and the drift its schedule makes (the group stopped at night), which the
// group's ignoreChanges must absorb.
func TestFullStack(t *testing.T) {
	l := newLab(t)
	d := l.stack("full", "full")
	all := deployAsSynthShows(t, d, synthResources(t, repoDir, "full"))

	changed, err := standin.RunTheInstance(l.world)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 2 {
		t.Fatalf("outside Pulumi: %v, want the volume tagged and the group stopped", changed)
	}
	t.Logf("outside Pulumi: %s", strings.Join(changed, "; "))
	refresh := d.refresh("refresh")
	want(t, refresh, true, map[apitype.OpType]int{apitype.OpUpdate: 2, apitype.OpSame: all - 2})
	want(t, d.up("refresh-up"), true, map[apitype.OpType]int{apitype.OpSame: all})
}
