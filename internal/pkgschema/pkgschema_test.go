package pkgschema

import (
	"strings"
	"testing"
)

// TestSchemaIsCurrent: schema.json is what cmd/schemagen writes.
func TestSchemaIsCurrent(t *testing.T) {
	want, err := Generate("../..", FromStandIn)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(JSON) {
		t.Fatal("internal/pkgschema/schema.json is out of date: run `make sdks`")
	}
}

// TestRealArgsState is the tripwire for the tagged args. While the schema
// comes from the stand-in, generating it from the real args must fail on
// untagged fields; once it succeeds, the real args are ready and this test
// says what to flip.
func TestRealArgsState(t *testing.T) {
	_, err := Generate("../..", false)
	switch {
	case FromStandIn && err == nil:
		t.Fatal("components.SelfHealingInstanceArgs now generates a schema: set pkgschema.FromStandIn = false, " +
			"set providertest's constructReal = true, and run `make sdks`")
	case FromStandIn && !strings.Contains(err.Error(), "has no `pulumi:\"name,optional\"` tag"):
		t.Fatalf("the real args fail for another reason than missing tags: %v", err)
	case !FromStandIn && err != nil:
		t.Fatalf("the real args no longer generate a schema: %v", err)
	}
}
