package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"
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
			Type   string         `json:"type"`
			Name   string         `json:"name"`
			Parent *string        `json:"parent"`
			Inputs map[string]any `json:"inputs"`
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
		if r.Parent == nil || r.Inputs == nil || r.Type == "" || r.Name == "" {
			t.Errorf("resource %+v lacks type, name, parent or inputs", r)
		}
	}
	// The dev stack: the component, its eight children (the data volume
	// among them; no policy attachment, since Session Manager's statement
	// is inline), and the volume's id among the outputs.
	want := map[string]int{
		"selfhealing:index:SelfHealingInstance": 1, "aws:ec2/eip:Eip": 1, "aws:ebs/volume:Volume": 1,
		"aws:iam/role:Role": 1, "aws:iam/instanceProfile:InstanceProfile": 1, "aws:iam/rolePolicy:RolePolicy": 1,
		"aws:ec2/securityGroup:SecurityGroup":   1,
		"aws:ec2/launchTemplate:LaunchTemplate": 1, "aws:autoscaling/group:Group": 1,
	}
	if !maps.Equal(counts, want) {
		t.Errorf("resources by type = %v, want %v", counts, want)
	}
	if id, ok := report.Outputs["dataVolumeId"].(string); !ok || !strings.HasPrefix(id, "vol-") {
		t.Errorf("output dataVolumeId = %#v, want the data volume's id", report.Outputs["dataVolumeId"])
	}
}

func TestTextShowsTheTreeAndDecodedDocuments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--dir", "../..", "--stack", "dev"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		"└─ selfhealing:index:SelfHealingInstance instance",
		"aws:autoscaling/group:Group instance-asg",
		"| #!/bin/bash",         // decoded user data
		`"Action": [`,           // indented IAM document
		`publicIp: "203.0.113.`, // outputs
		"ec2 associate-address", // the boot script's call
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("text output lacks %q", want)
		}
	}
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
