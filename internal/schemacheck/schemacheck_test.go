package schemacheck

import (
	"strings"
	"testing"
)

const testSchema = `{
  "name": "fx",
  "resources": {"fx:index:Widget": {"isComponent": true, "requiredInputs": ["name"], "inputProperties": {
    "name": {"type": "string"},
    "count": {"type": "integer"},
    "on": {"type": "boolean"},
    "names": {"type": "array", "items": {"type": "string"}},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "disk": {"$ref": "#/types/fx:index:Disk"},
    "rules": {"type": "array", "items": {"$ref": "#/types/fx:index:Rule"}}
  }}},
  "types": {
    "fx:index:Disk": {"type": "object", "properties": {"sizeGiB": {"type": "integer"}}},
    "fx:index:Rule": {"type": "object", "properties": {"port": {"type": "integer"}}}
  }
}`

func TestCheckProgram(t *testing.T) {
	for _, tc := range []struct {
		name, props string
		want        []string
	}{
		{"good", "name: a\ncount: 2\non: true\nnames: [a]\nlabels: {k: v}\ndisk: {sizeGiB: 8}\nrules: [{port: 80}]", nil},
		{"expressions", "name: ${other.id}\ncount:\n  fn::secret: 3", nil},
		{"unknown", "name: a\nnmae: b", []string{`properties.nmae: fx:index:Widget has no input "nmae"`}},
		{"missing required", "count: 1", []string{`fx:index:Widget requires "name"`}},
		{"wrong scalar", "name: a\ncount: two", []string{"properties.count: want an integer, got string two"}},
		{"nested unknown", "name: a\ndisk: {size: 8}", []string{`properties.disk.size: fx:index:Disk has no input "size"`}},
		{"array item", "name: a\nrules: [{port: '80'}]", []string{"properties.rules[0].port: want an integer"}},
		{"map value", "name: a\nlabels: {k: 1}", []string{"properties.labels.k: want a string"}},
		{"not a list", "name: a\nnames: a", []string{"properties.names: want a list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			indented := "      " + strings.ReplaceAll(tc.props, "\n", "\n      ")
			program := "name: p\nruntime: yaml\nresources:\n  w:\n    type: fx:Widget\n    properties:\n" + indented + "\n  other:\n    type: aws:s3:Bucket\n"
			got, err := CheckProgram([]byte(testSchema), []byte(program))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems = %q, want %d like %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("problem %q, want it to contain %q", got[i], tc.want[i])
				}
			}
		})
	}
}

func TestUnknownResourceType(t *testing.T) {
	got, err := CheckProgram([]byte(testSchema), []byte("resources:\n  w:\n    type: fx:index:Gadget\n"))
	if err != nil || len(got) != 1 || !strings.Contains(got[0], "not a resource of package fx") {
		t.Fatalf("got %q, %v", got, err)
	}
}
