package pkgschema

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestSchemaIsCurrent: schema.json is what cmd/schemagen writes.
func TestSchemaIsCurrent(t *testing.T) {
	want, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(JSON) {
		t.Fatal("internal/pkgschema/schema.json is out of date: run `make sdks`")
	}
}

// TestInputsAreTheProjectConfig: the component's inputs are the config
// keys of Pulumi.yaml, with the same types and the same non-zero defaults,
// so that a stack's config and a program's arguments read alike.
func TestInputsAreTheProjectConfig(t *testing.T) {
	raw, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var project struct {
		Config map[string]struct {
			Type    string `yaml:"type"`
			Default any    `yaml:"default"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &project); err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Resources map[string]struct {
			InputProperties map[string]struct {
				Type    string `json:"type"`
				Ref     string `json:"$ref"`
				Default any    `json:"default"`
			} `json:"inputProperties"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(JSON, &spec); err != nil {
		t.Fatal(err)
	}
	inputs := spec.Resources["selfhealing:index:SelfHealingInstance"].InputProperties
	for key, c := range project.Config {
		in, ok := inputs[key]
		if !ok {
			t.Errorf("Pulumi.yaml's config key %s is not an input of the component", key)
			continue
		}
		typ := in.Type
		if in.Ref != "" {
			typ = "object"
		}
		if typ != c.Type {
			t.Errorf("%s: the input is %s, the config key %s", key, typ, c.Type)
		}
		switch d := c.Default.(type) {
		case string, bool, int:
			if d == reflect.Zero(reflect.TypeOf(d)).Interface() {
				continue
			}
			if fmt.Sprint(in.Default) != fmt.Sprint(d) {
				t.Errorf("%s: default %v in the schema, %v in Pulumi.yaml", key, in.Default, d)
			}
		}
	}
	for key := range inputs {
		if _, ok := project.Config[key]; !ok {
			t.Errorf("input %s is not a config key of Pulumi.yaml", key)
		}
	}
}
