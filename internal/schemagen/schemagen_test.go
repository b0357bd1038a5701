package schemagen

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/schemagen/internal/fixture"
)

func fixturePackage(t *testing.T, args reflect.Type) Package {
	t.Helper()
	docs, err := ReadDocsDir("internal/fixture")
	if err != nil {
		t.Fatal(err)
	}
	docs.Import("units", Docs{Values: map[string]string{"MaxGiB": "16384"}})
	return Package{
		Name: "fx", GoImportBasePath: "example.com/fx",
		Components: []Component{{
			Token: "fx:index:Widget", Args: args,
			Resource: reflect.TypeFor[fixture.Widget](), Docs: docs,
		}},
	}
}

func TestBuildFixture(t *testing.T) {
	spec, err := Build(fixturePackage(t, reflect.TypeFor[fixture.WidgetArgs]()))
	if err != nil {
		t.Fatal(err)
	}
	r := spec.Resources["fx:index:Widget"]
	if !r.IsComponent || r.Description != "Widget is a component." {
		t.Errorf("resource: isComponent %v, description %q", r.IsComponent, r.Description)
	}
	if !reflect.DeepEqual(r.RequiredInputs, []string{"name"}) {
		t.Errorf("requiredInputs = %v, want [name]", r.RequiredInputs)
	}
	str := &TypeSpec{Type: "string"}
	pstr := &TypeSpec{Type: "string", Plain: true}
	want := map[string]PropertySpec{
		"size":    {TypeSpec{Type: "string", Plain: true}, "size is the widget's size. It spans two lines.", "small"},
		"enabled": {TypeSpec{Type: "boolean", Plain: true}, "enabled turns it on.", nil},
		"count":   {TypeSpec{Type: "integer", Plain: true}, "count counts. Unset means 3.", 3},
		"grace":   {TypeSpec{Type: "integer", Plain: true}, "grace may be nil.", 300},
		"strict":  {TypeSpec{Type: "boolean", Plain: true}, "strict may be nil.", nil},
		"names":   {TypeSpec{Type: "array", Items: pstr, Plain: true}, `names are names, from "small", "large", as size is.`, nil},
		"labels":  {TypeSpec{Type: "object", AdditionalProperties: pstr, Plain: true}, "labels are labels.", nil},
		"disk":    {TypeSpec{Ref: "#/types/fx:index:Disk", Plain: true}, "disk is nested.", nil},
		"rules":   {TypeSpec{Type: "array", Items: &TypeSpec{Ref: "#/types/fx:index:Rule", Plain: true}, Plain: true}, "rules are a slice of structs.", nil},
		"owner":   {TypeSpec{Type: "string"}, "owner is an input.", nil},
		"zones":   {TypeSpec{Type: "array", Items: str}, "zones is an input.", nil},
		"extra":   {TypeSpec{Type: "object", AdditionalProperties: str}, "extra is an input map.", nil},
		"env":     {TypeSpec{Type: "object", AdditionalProperties: str}, "env has plain keys and input values.", nil},
		"port":    {TypeSpec{Type: "integer"}, "port is an input.", nil},
		"public":  {TypeSpec{Type: "boolean"}, "public is an input.", nil},
		"name":    {TypeSpec{Type: "string", Plain: true}, "name is required.", nil},
	}
	for name, w := range want {
		if got, ok := r.InputProperties[name]; !ok || !reflect.DeepEqual(got, w) {
			t.Errorf("input %s = %+v, want %+v", name, got, w)
		}
	}
	for name := range r.InputProperties {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected input %s", name)
		}
	}
	wantOut := map[string]PropertySpec{
		"id2":   {TypeSpec: TypeSpec{Type: "string"}, Description: "id2 is the widget's id."},
		"count": {TypeSpec: TypeSpec{Type: "integer"}, Description: "count is a count."},
	}
	if !reflect.DeepEqual(r.Properties, wantOut) || !reflect.DeepEqual(r.Required, []string{"count", "id2"}) {
		t.Errorf("outputs = %+v required %v", r.Properties, r.Required)
	}
	disk := spec.Types["fx:index:Disk"]
	if disk.Description != "DiskArgs is a disk." || disk.Properties["mountPath"].Default != "/data" ||
		disk.Properties["snapshot"].Ref != "#/types/fx:index:Snapshot" || disk.Properties["sizeGiB"].Default != nil {
		t.Errorf("DiskArgs = %+v", disk)
	}
	if snap, ok := spec.Types["fx:index:Snapshot"]; !ok || snap.Properties["retainCount"].Type != "integer" {
		t.Errorf("SnapshotArgs = %+v", snap)
	}
	if got := disk.Properties["sizeGiB"].Description; got != "sizeGiB is the size, at most 16384." {
		t.Errorf("DiskArgs.SizeGiB's description = %q, want the imported constant's value", got)
	}
	if rule := spec.Types["fx:index:Rule"]; rule.Properties["toPort"].Description != "toPort ends the range." ||
		!strings.HasPrefix(rule.Description, "RuleArgs ") ||
		rule.Properties["cidrBlocks"].Items == nil {
		t.Errorf("Rule = %+v", rule)
	}
	if len(spec.Types) != 3 {
		t.Errorf("types = %v, want DiskArgs, SnapshotArgs, Rule", spec.Types)
	}
	if got := spec.Language["go"].(map[string]any)["importBasePath"]; got != "example.com/fx" {
		t.Errorf("go importBasePath = %v", got)
	}
}

func TestGenerateIsStableJSON(t *testing.T) {
	p := fixturePackage(t, reflect.TypeFor[fixture.WidgetArgs]())
	a, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(p)
	if string(a) != string(b) || !strings.HasSuffix(string(a), "}\n") {
		t.Error("Generate is not deterministic, or lacks its final newline")
	}
	var m map[string]any
	if err := json.Unmarshal(a, &m); err != nil {
		t.Fatal(err)
	}
	r := m["resources"].(map[string]any)["fx:index:Widget"].(map[string]any)
	if r["requiredInputs"] == nil || r["isComponent"] != true {
		t.Errorf("resource JSON = %v", r)
	}
}

func TestUntaggedFieldIsAnError(t *testing.T) {
	_, err := Build(fixturePackage(t, reflect.TypeFor[fixture.UntaggedArgs]()))
	if err == nil || !strings.Contains(err.Error(), "field Inner.Forgotten has no `pulumi:\"name,optional\"` tag") {
		t.Fatalf("err = %v, want one naming Inner.Forgotten", err)
	}
	if got := Untagged(reflect.TypeFor[fixture.UntaggedArgs]()); !reflect.DeepEqual(got, []string{"Inner.Forgotten"}) {
		t.Errorf("Untagged = %v", got)
	}
	if got := Untagged(reflect.TypeFor[fixture.WidgetArgs]()); len(got) != 0 {
		t.Errorf("Untagged(WidgetArgs) = %v, want none", got)
	}
}

func TestUnsupportedType(t *testing.T) {
	type Bad struct {
		F float64 `pulumi:"f,optional"`
	}
	p := fixturePackage(t, reflect.TypeFor[Bad]())
	if _, err := Build(p); err == nil || !strings.Contains(err.Error(), "field Bad.F: unsupported type float64") {
		t.Fatalf("err = %v", err)
	}
}

func TestClean(t *testing.T) {
	if got := Clean("a\nb\n\n  c\n"); got != "a b\n\nc" {
		t.Errorf("Clean = %q", got)
	}
}

// TestDocLinkToNothingIsAnError: a doc link that names no field and no
// constant would reach the SDKs as Go, so it is refused, naming the field.
func TestDocLinkToNothingIsAnError(t *testing.T) {
	_, err := Build(fixturePackage(t, reflect.TypeFor[fixture.BadLinkArgs]()))
	if err == nil || !strings.Contains(err.Error(), "field BadLinkArgs.Thing: doc link [Nowhere.Field]") {
		t.Fatalf("err = %v, want one naming BadLinkArgs.Thing and [Nowhere.Field]", err)
	}
}
