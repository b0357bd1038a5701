package stackconfig

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestAnObjectWithSecurePartsKeepsItsShape: `pulumi config set --secret
// --path 'secrets.db' ...` stores one secure leaf in an object; the program
// must still read an object, with the leaf blinded, and see the key secret.
func TestAnObjectWithSecurePartsKeepsItsShape(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Pulumi.yaml", project)
	write(t, dir, "Pulumi.s.yaml", "config:\n  proj:secrets:\n    db:\n      secure: AAABAKx3\n    plain: visible\n")
	s, err := Load(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(s.Config["proj:secrets"]), &got); err != nil {
		t.Fatalf("proj:secrets = %q, want a JSON object: %v", s.Config["proj:secrets"], err)
	}
	if got["db"] != SecretPlaceholder || got["plain"] != "visible" || len(got) != 2 {
		t.Errorf("proj:secrets = %v, want db blinded and plain kept", got)
	}
	if !slices.Contains(s.SecretKeys, "proj:secrets") {
		t.Errorf("SecretKeys = %v, want proj:secrets", s.SecretKeys)
	}
}
