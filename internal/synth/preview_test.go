package synth

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// inventedValue matches what the stand-in account makes up for a resource
// only a deployment creates: EC2 ids and the Elastic IP's documentation
// address, dotted or in a public DNS name.
var inventedValue = regexp.MustCompile(`\b(eipalloc|vol|sg|i|lt)-[0-9a-f]{8,17}\b|203\.0\.113\.[0-9]+|203-0-113-[0-9]+`)

func runStack(t *testing.T, dir, stack string) *Report {
	t.Helper()
	report, err := Run(dir, stack)
	if err != nil {
		t.Fatal(err)
	}
	return report
}

func text(t *testing.T, report *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteText(&b, report, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// asJSON is the report as `synth --json` prints it, decoded generically.
func asJSON(t *testing.T, report *Report) map[string]any {
	t.Helper()
	out, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// jsonResource returns the JSON resource of type typ named name.
func jsonResource(t *testing.T, report map[string]any, typ, name string) map[string]any {
	t.Helper()
	for _, r := range report["resources"].([]any) {
		r := r.(map[string]any)
		if r["type"] == typ && r["name"] == name {
			return r
		}
	}
	t.Fatalf("no resource %s %s in the report", typ, name)
	return nil
}

// strings of a JSON array, or nil.
func jsonStrings(v any) []string {
	var out []string
	items, _ := v.([]any)
	for _, item := range items {
		s, _ := item.(string)
		out = append(out, s)
	}
	return out
}

// block returns the lines of text that belong to the tree entry "typ name":
// from its line to the next entry's.
func block(t *testing.T, text, typ, name string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if !strings.HasSuffix(line, "─ "+typ+" "+name) {
			continue
		}
		end := i + 1
		for end < len(lines) && !treeEntry.MatchString(lines[end]) && lines[end] != "" {
			end++
		}
		return strings.Join(lines[i:end], "\n")
	}
	t.Fatalf("the tree has no entry %s %s:\n%s", typ, name, text)
	return ""
}

var treeEntry = regexp.MustCompile(`[├└]─ (\S+) (\S+)$`)

// The full stack's data volume refuses destroy and replacement (protect),
// stays if unprotected (retainOnDelete), and leaves the boot script's tag
// alone (ignoreChanges); its schedule owns the group's sizes; and the group
// waits for the instance's permissions (dependsOn). All of that is what
// `pulumi up` and `pulumi destroy` do, so synth shows it.
func TestTheReportShowsResourceOptions(t *testing.T) {
	report := runStack(t, "../..", "full")
	got := asJSON(t, report)
	volume, _ := jsonResource(t, got, "aws:ebs/volume:Volume", "instance-data")["options"].(map[string]any)
	if volume["protect"] != true || volume["retainOnDelete"] != true ||
		!slices.Equal(jsonStrings(volume["ignoreChanges"]), []string{`tags["selfhealing:formatted"]`}) {
		t.Errorf("data volume options = %v, want protect, retainOnDelete and ignoreChanges [tags[\"selfhealing:formatted\"]]", volume)
	}
	group, _ := jsonResource(t, got, "aws:autoscaling/group:Group", "instance-asg")["options"].(map[string]any)
	if !slices.Equal(jsonStrings(group["ignoreChanges"]), []string{"minSize", "maxSize", "desiredCapacity"}) {
		t.Errorf("group ignoreChanges = %v, want the sizes the schedule sets", group["ignoreChanges"])
	}
	if deps := jsonStrings(group["dependsOn"]); !slices.Contains(deps, "aws:iam/rolePolicy:RolePolicy instance-policy") {
		t.Errorf("group dependsOn = %v, want the instance's role policy", deps)
	}

	out := text(t, report)
	for _, want := range []string{"protect: true", "retainOnDelete: true", `- tags["selfhealing:formatted"]`} {
		if b := block(t, out, "aws:ebs/volume:Volume", "instance-data"); !strings.Contains(b, want) {
			t.Errorf("the volume's entry lacks %q:\n%s", want, b)
		}
	}
	for _, want := range []string{"ignoreChanges:", "- minSize", "dependsOn:", "- aws:iam/rolePolicy:RolePolicy instance-policy"} {
		if b := block(t, out, "aws:autoscaling/group:Group", "instance-asg"); !strings.Contains(b, want) {
			t.Errorf("the group's entry lacks %q", want)
		}
	}
}

func TestTheReportShowsTheElasticIPsRetainOnDelete(t *testing.T) {
	dir := t.TempDir()
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "Pulumi.yaml"), string(project))
	writeFile(t, filepath.Join(dir, "Pulumi.r.yaml"), "config:\n  aws:region: eu-west-1\n  selfhealing:retainOnDelete: true\n")
	report := runStack(t, dir, "r")
	eip, _ := jsonResource(t, asJSON(t, report), "aws:ec2/eip:Eip", "instance-eip")["options"].(map[string]any)
	if eip["retainOnDelete"] != true || eip["protect"] == true {
		t.Errorf("Elastic IP options = %v, want retainOnDelete only", eip)
	}
	if b := block(t, text(t, report), "aws:ec2/eip:Eip", "instance-eip"); !strings.Contains(b, "retainOnDelete: true") {
		t.Errorf("the Elastic IP's entry lacks retainOnDelete:\n%s", b)
	}
}

// A preview knows no id, address or generated name: synth must not show
// the stand-in account's inventions as if they were the deployment's, not
// even inside the IAM policy or the boot script.
func TestNoInventedValueIsShownAsKnown(t *testing.T) {
	for _, stack := range []string{"dev", "full"} {
		report := runStack(t, "../..", stack)
		out, err := json.Marshal(report)
		if err != nil {
			t.Fatal(err)
		}
		for what, s := range map[string]string{"text": text(t, report), "JSON": string(out)} {
			if found := inventedValue.FindAllString(s, 5); len(found) > 0 {
				t.Errorf("%s: the %s output shows invented values as known: %v", stack, what, found)
			}
		}
		for _, name := range []string{"publicIp", "allocationId", "dataVolumeId", "securityGroupId", "launchTemplateId"} {
			if report.Outputs[name] != Unknown {
				t.Errorf("%s: output %s = %v, want %s", stack, name, report.Outputs[name], Unknown)
			}
		}
		if !strings.Contains(text(t, report), "elastic-ip/"+Unknown) {
			t.Errorf("%s: the IAM policy does not show the Elastic IP's ARN with its id unknown", stack)
		}
	}
}

// The summary comes first and counts exactly what the tree shows.
func TestTheSummaryCountsTheTree(t *testing.T) {
	for _, stack := range []string{"dev", "full"} {
		report := runStack(t, "../..", stack)
		out := text(t, report)
		summary, tree, ok := strings.Cut(out, "\npulumi:pulumi:Stack ")
		if !ok {
			t.Fatalf("%s: no tree:\n%s", stack, out)
		}
		summed, inTree := map[string]int{}, map[string]int{}
		countLine := regexp.MustCompile(`^ +([0-9]+) +(\S+)$`)
		for _, line := range strings.Split(summary, "\n") {
			if m := countLine.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[1])
				summed[m[2]] += n
			}
		}
		for _, line := range strings.Split(tree, "\n") {
			if m := treeEntry.FindStringSubmatch(line); m != nil {
				inTree[m[1]]++
			}
		}
		if sum(inTree) != len(report.Resources) {
			t.Errorf("%s: the tree shows %d resources, the program registers %d", stack, sum(inTree), len(report.Resources))
		}
		if len(summed) == 0 || !maps.Equal(summed, inTree) {
			t.Errorf("%s: the summary counts %v, the tree has %v", stack, summed, inTree)
		}
		if !strings.Contains(summary, "publicIp: "+Unknown) || !strings.Contains(summary, "autoScalingGroupName: \"selfhealing-"+stack+"-instance\"") {
			t.Errorf("%s: the summary does not list the outputs:\n%s", stack, summary)
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
