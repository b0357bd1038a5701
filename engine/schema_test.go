package engine_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestPackageGetSchema runs the component provider as a plugin: `pulumi
// package get-schema` on the built pulumi-resource-selfhealing returns
// internal/pkgschema/schema.json.
func TestPackageGetSchema(t *testing.T) {
	l := newLab(t)
	provider := filepath.Join(t.TempDir(), "pulumi-resource-selfhealing")
	if err := goBuild(provider, "github.com/selfhealing-dev/selfhealing/cmd/pulumi-resource-selfhealing"); err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal([]byte(l.shOut("pulumi package get-schema "+provider)), &got); err != nil {
		t.Fatalf("pulumi package get-schema: %v", err)
	}
	committed, err := os.ReadFile(filepath.Join(repoDir, "internal", "pkgschema", "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(committed, &want); err != nil {
		t.Fatal(err)
	}
	// The CLI writes the schema back out as it reads it: an empty "config"
	// added, an empty "requiredInputs" left out. Neither says anything.
	got, want = withoutEmpties(got), withoutEmpties(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pulumi package get-schema returns another schema than internal/pkgschema/schema.json")
	}
}

// withoutEmpties drops every empty object and array member, at any depth.
func withoutEmpties(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			e = withoutEmpties(e)
			if m, ok := e.(map[string]any); ok && len(m) == 0 {
				continue
			}
			if a, ok := e.([]any); ok && len(a) == 0 {
				continue
			}
			out[k] = e
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutEmpties(e)
		}
		return out
	}
	return v
}
