package synth

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestPlainPrintsUnknownsAsNullAndSecretsAsPlaceholders(t *testing.T) {
	in := resource.PropertyMap{
		"known":    resource.NewProperty("v"),
		"number":   resource.NewProperty(2.0),
		"unknown":  resource.MakeComputed(resource.NewProperty("")),
		"secret":   resource.MakeSecret(resource.NewProperty("hunter2")),
		"outUnk":   resource.NewProperty(resource.Output{Known: false}),
		"outSec":   resource.NewProperty(resource.Output{Known: true, Secret: true, Element: resource.NewProperty("hunter2")}),
		"outKnown": resource.NewProperty(resource.Output{Known: true, Element: resource.NewProperty("shown")}),
		"nested":   resource.NewProperty([]resource.PropertyValue{resource.MakeSecret(resource.NewProperty("x"))}),
	}
	got := Plain(resource.NewProperty(in))
	want := map[string]any{
		"known": "v", "number": 2.0, "unknown": nil, "secret": Secret,
		"outUnk": nil, "outSec": Secret, "outKnown": "shown", "nested": []any{Secret},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plain = %#v\nwant %#v", got, want)
	}
	out, err := json.Marshal(got)
	if err != nil || strings.Contains(string(out), "hunter2") || !strings.Contains(string(out), `"unknown":null`) {
		t.Errorf("JSON %s (err %v): want null for unknowns and no secret", out, err)
	}
}

func TestASecretUserScriptNeverReachesTheReport(t *testing.T) {
	dir := t.TempDir()
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "Pulumi.yaml"), string(project))
	writeFile(t, filepath.Join(dir, "Pulumi.s.yaml"),
		"config:\n  aws:region: eu-west-1\n  selfhealing:userScript:\n    secure: AAABAKx3bm90LWEtcmVhbC1jaXBoZXJ0ZXh0\n")
	report, err := Run(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	var lt *Resource
	for i := range report.Resources {
		if report.Resources[i].Type == "aws:ec2/launchTemplate:LaunchTemplate" {
			lt = &report.Resources[i]
		}
	}
	if lt == nil || lt.Inputs["userData"] != Secret {
		t.Fatalf("launch template userData = %v, want %q", lt, Secret)
	}
	var text bytes.Buffer
	if err := WriteText(&text, report, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "userData: "+Secret+"\n") || lt.BootScript != nil {
		t.Errorf("the text report does not show the user data as a secret")
	}
	if !strings.Contains(text.String(), Unknown+" is a value only a deployment knows") {
		t.Error("the text report does not say how unknowns show")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// synth runs the program as `pulumi preview` does, so a misspelled key in
// the stack file fails it with the message `pulumi preview` gives.
func TestAMisspelledKeyFailsSynth(t *testing.T) {
	dir := t.TempDir()
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "Pulumi.yaml"), string(project))
	writeFile(t, filepath.Join(dir, "Pulumi.s.yaml"),
		"config:\n  aws:region: eu-west-1\n  myprovider:foo: bar\n  selfhealing:datavolume:\n    sizeGiB: 20\n")
	report, err := Run(dir, "s")
	if err == nil {
		t.Fatalf("synth accepted selfhealing:datavolume and reported %d resources", len(report.Resources))
	}
	if want := "config selfhealing:datavolume: unknown key; did you mean selfhealing:dataVolume?"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q; want it to say %q", err, want)
	}
	if strings.Contains(err.Error(), "myprovider") {
		t.Errorf("error %q names another namespace's key", err)
	}
}
