package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestJSONIsExactlyOneObject(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--dir", "../..", "--stack", "dev", "--json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	dec := json.NewDecoder(&stdout)
	var report struct {
		Project   string `json:"project"`
		Stack     string `json:"stack"`
		Resources []struct {
			Type       string         `json:"type"`
			Name       string         `json:"name"`
			Parent     *string        `json:"parent"`
			URN        string         `json:"urn"`
			ParentURN  string         `json:"parentUrn"`
			Inputs     map[string]any `json:"inputs"`
			Options    map[string]any `json:"options"`
			BootScript *struct {
				UserDataBytes, ScriptBytes int
				Text                       string
			} `json:"bootScript"`
		} `json:"resources"`
		Outputs map[string]any `json:"outputs"`
	}
	dec.DisallowUnknownFields()
	if err := dec.Decode(&report); err != nil {
		t.Fatalf("not a synth JSON object: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Errorf("more than one JSON value on stdout (next: %v)", err)
	}
	if report.Project != "selfhealing" || report.Stack != "dev" || len(report.Resources) == 0 || report.Outputs["publicIp"] == nil {
		t.Errorf("report = %+v", report)
	}
	counts := map[string]int{}
	for _, r := range report.Resources {
		counts[r.Type]++
		if r.Parent == nil || r.Inputs == nil || r.Options == nil || r.Type == "" || r.Name == "" || r.URN == "" || r.ParentURN == "" {
			t.Errorf("resource %+v lacks type, name, parent, URNs, options or inputs", r)
		}
		if r.Type == "aws:ec2/launchTemplate:LaunchTemplate" && (r.BootScript == nil || !strings.Contains(r.BootScript.Text, "ec2 associate-address") ||
			r.BootScript.UserDataBytes <= 0 || r.BootScript.UserDataBytes > userdata.MaxBytes || r.BootScript.ScriptBytes <= r.BootScript.UserDataBytes) {
			t.Errorf("the launch template's boot script is not in the JSON whole")
		}
	}
	// The dev stack: the component, its nine children (the data volume
	// and its hand-over's termination hook among them; no policy
	// attachment, since Session Manager's statement is inline), and the
	// volume's id among the outputs.
	want := map[string]int{
		"selfhealing:index:SelfHealingInstance": 1, "aws:ec2/eip:Eip": 1, "aws:ebs/volume:Volume": 1,
		"aws:iam/role:Role": 1, "aws:iam/instanceProfile:InstanceProfile": 1, "aws:iam/rolePolicy:RolePolicy": 1,
		"aws:ec2/securityGroup:SecurityGroup":   1,
		"aws:ec2/launchTemplate:LaunchTemplate": 1, "aws:autoscaling/group:Group": 1,
		"aws:autoscaling/lifecycleHook:LifecycleHook": 1,
	}
	if !maps.Equal(counts, want) {
		t.Errorf("resources by type = %v, want %v", counts, want)
	}
	// A preview knows no volume id yet.
	if id := report.Outputs["dataVolumeId"]; id != "[unknown]" {
		t.Errorf("output dataVolumeId = %#v, want [unknown]", id)
	}
}

// synthText runs the command on a stack of the repository with args and
// returns what it prints.
func synthText(t *testing.T, stack string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"--dir", "../..", "--stack", stack}, args...), &stdout, &stderr); code != 0 {
		t.Fatalf("synth --stack %s %v: exit %d: %s", stack, args, code, stderr.String())
	}
	return stdout.String()
}

func TestTextShowsTheTreeAndDecodedDocuments(t *testing.T) {
	out := synthText(t, "dev")
	for _, want := range []string{
		"└─ selfhealing:index:SelfHealingInstance instance",
		"aws:autoscaling/group:Group instance-asg",
		"| #!/bin/bash",                        // decoded user data, its header
		"| readonly allocation_id='[unknown]'", // the header, with the id a deployment knows
		`"Action": [`,                          // indented IAM document
		"publicIp: [unknown]",                  // outputs
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
}

// The boot script is most of the output: folded to its size and its
// generated header unless --script asks for it.
func TestTheBootScriptIsFoldedUnlessAsked(t *testing.T) {
	const body = "ec2 associate-address" // the boot script's call, past the header
	folded := synthText(t, "dev")
	if strings.Contains(folded, body) {
		t.Errorf("the default output prints the boot script's body")
	}
	for _, want := range []string{"-byte boot script", "--script", "| " + userdata.HeaderEnd} {
		if !strings.Contains(folded, want) {
			t.Errorf("the default output lacks %q", want)
		}
	}
	full := synthText(t, "dev", "--script")
	if !strings.Contains(full, body) {
		t.Errorf("--script does not print the boot script's body")
	}
	if len(full) < 3*len(folded) {
		t.Errorf("--script output is %d bytes, the folded one %d: the script is not folded by default", len(full), len(folded))
	}
}

var inventedValue = regexp.MustCompile(`\b(eipalloc|vol|sg|i|lt)-[0-9a-f]{8,17}\b|203\.0\.113\.[0-9]+|203-0-113-[0-9]+`)

func TestNoInventedIDInTheText(t *testing.T) {
	for _, stack := range []string{"dev", "full"} {
		for _, args := range [][]string{nil, {"--script"}} {
			if found := inventedValue.FindAllString(synthText(t, stack, args...), 5); len(found) > 0 {
				t.Errorf("synth --stack %s %v shows invented values as known: %v", stack, args, found)
			}
		}
	}
}

func TestJSONHasEachResourcesOptions(t *testing.T) {
	var report struct {
		Resources []struct {
			Type    string `json:"type"`
			Name    string `json:"name"`
			Options struct {
				Protect        bool     `json:"protect"`
				RetainOnDelete bool     `json:"retainOnDelete"`
				IgnoreChanges  []string `json:"ignoreChanges"`
			} `json:"options"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(synthText(t, "full", "--json")), &report); err != nil {
		t.Fatal(err)
	}
	for _, r := range report.Resources {
		if r.Type == "aws:ebs/volume:Volume" {
			if !r.Options.Protect || !r.Options.RetainOnDelete || len(r.Options.IgnoreChanges) != 1 {
				t.Errorf("the data volume's options = %+v, want protect, retainOnDelete, ignoreChanges", r.Options)
			}
			return
		}
	}
	t.Error("no data volume in the full stack's JSON")
}

func TestBadUsageAndMissingStack(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--dir", "../..", "--stack", "nope"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "Pulumi.nope.yaml") {
		t.Errorf("missing stack: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"extra"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unexpected arguments") {
		t.Errorf("extra argument: exit %d, stderr %q", code, stderr.String())
	}
}
