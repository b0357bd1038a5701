package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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
	for _, r := range report.Resources {
		if r.Parent == nil || r.Inputs == nil || r.Type == "" || r.Name == "" {
			t.Errorf("resource %+v lacks type, name, parent or inputs", r)
		}
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
