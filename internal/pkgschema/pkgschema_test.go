package pkgschema

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/schemagen"
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
	// Pulumi.yaml declares only the keys that have a default (the CLI
	// requires every stack to set a key declared without one), so an input
	// it leaves out must have none either; but for launchGateTimeoutSeconds,
	// whose default applies only with the launch gate on: the component
	// refuses a timeout with launchGate false, so the CLI must not pass it.
	undeclared := 0
	for key, in := range inputs {
		if _, ok := project.Config[key]; !ok {
			undeclared++
			if in.Default != nil && key != "launchGateTimeoutSeconds" {
				t.Errorf("input %s has the default %v, but Pulumi.yaml does not declare it", key, in.Default)
			}
		}
	}
	if undeclared == len(inputs) {
		t.Error("Pulumi.yaml declares none of the component's inputs; the check compares nothing")
	}
}

// TestDescriptionsReadInEveryLanguage: the schema's descriptions become the
// TypeScript and Python SDKs' doc comments, so they name nothing only Go
// has (a Go constant, a Go package's identifier, nil, a pointer type) and
// state each default as its value.
func TestDescriptionsReadInEveryLanguage(t *testing.T) {
	consts := exportedConsts(t, "../../components")
	goOnly := []*regexp.Regexp{
		regexp.MustCompile(`\bpulumi\.`),
		regexp.MustCompile(`\b[a-z]+\.[A-Z][A-Za-z]*`), // a Go package's identifier, such as iam.RolePolicyAttachment
		regexp.MustCompile(`\b[Nn]il\b`),
		regexp.MustCompile(`\*(int|bool|string)\b`),
		regexp.MustCompile(`Ptr\b`),
		regexp.MustCompile(`\bDefault[A-Z][A-Za-z]*`), // a default named, not valued
		regexp.MustCompile(`\b(` + strings.Join(consts, "|") + `)\b`),
	}
	// A Go field name of several words that is not its property's name,
	// such as InstanceType for instanceType.
	fields := goFieldNames(reflect.TypeFor[components.SelfHealingInstanceArgs](), map[reflect.Type]bool{})
	fields = append(fields, goFieldNames(reflect.TypeFor[components.SelfHealingInstance](), map[reflect.Type]bool{})...)
	goOnly = append(goOnly, regexp.MustCompile(`\b(`+strings.Join(fields, "|")+`)\b`))

	var spec map[string]any
	if err := json.Unmarshal(JSON, &spec); err != nil {
		t.Fatal(err)
	}
	walkDescriptions(spec, "", func(path, text string) {
		for _, re := range goOnly {
			if m := re.FindString(text); m != "" {
				t.Errorf("%s: %q is Go's, not every language's: %s", path, m, text)
			}
		}
	})
}

// exportedConsts lists the exported constants and variables declared in
// dir's Go files.
func exportedConsts(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if gen, ok := d.(*ast.GenDecl); ok && (gen.Tok == token.CONST || gen.Tok == token.VAR) {
				for _, s := range gen.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						if n.IsExported() {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("no exported constants in %s", dir)
	}
	return names
}

// goFieldNames lists the tagged fields of t and the structs it nests whose
// Go name has several words and differs from the property's name.
func goFieldNames(t reflect.Type, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	severalWords := regexp.MustCompile(`^[A-Z][a-z0-9]+[A-Z]`)
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := schemagen.ParseTag(f)
		if !ok {
			continue
		}
		if f.Name != tag.Name && severalWords.MatchString(f.Name) {
			out = append(out, f.Name)
		}
		out = append(out, goFieldNames(f.Type, seen)...)
	}
	return out
}

// walkDescriptions calls fn with every "description" in v and its path.
func walkDescriptions(v any, path string, fn func(path, text string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "description" {
				fn(path, s)
				continue
			}
			walkDescriptions(child, path+"/"+k, fn)
		}
	case []any:
		for i, child := range v {
			walkDescriptions(child, fmt.Sprintf("%s/%d", path, i), fn)
		}
	}
}
