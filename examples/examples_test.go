// Package examples holds the dev stack written against the generated SDKs
// in TypeScript, Python and Pulumi YAML; its tests check each against the
// committed SDKs and schema, and check that a broken copy of each fails.
package examples

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/pkgschema"
	"github.com/selfhealing-dev/selfhealing/internal/schemacheck"
	"github.com/selfhealing-dev/selfhealing/internal/testtool"
)

func tsc(t *testing.T) string {
	abs, err := filepath.Abs("typescript/node_modules/.bin/tsc")
	if err != nil {
		t.Fatal(err)
	}
	return testtool.RequireTool(t, abs, "run `npm ci` in examples/typescript (make test and .ci/run do)")
}

// typecheck runs tsc once on sources, each written to its own file
// (named by its key plus ".ts") in one project with the example's
// tsconfig.json, and returns tsc's output and whether it passed.
func typecheck(t *testing.T, sources map[string]string) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	base, err := filepath.Abs("typescript/tsconfig.json")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for name, source := range sources {
		if err := os.WriteFile(filepath.Join(dir, name+".ts"), []byte(source), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, `"`+name+`.ts"`)
	}
	config := `{"extends": "` + filepath.ToSlash(base) + `", "files": [` + strings.Join(files, ", ") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "tsconfig.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tsc(t), "--noEmit", "-p", dir).CombinedOutput()
	return string(out), err == nil
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// breakCopy replaces old in source, which must hold it.
func breakCopy(t *testing.T, source, old, replacement string) string {
	t.Helper()
	if !strings.Contains(source, old) {
		t.Fatalf("the example no longer contains %q", old)
	}
	return strings.Replace(source, old, replacement, 1)
}

func TestTypeScriptExampleTypechecks(t *testing.T) {
	t.Parallel()
	tsc(t)
	out, err := exec.Command(tsc(t), "--noEmit", "-p", "typescript").CombinedOutput()
	if err != nil {
		t.Fatalf("tsc on examples/typescript: %v\n%s", err, out)
	}
}

// TestTypeScriptRejectsBrokenCopies type-checks every broken copy in one
// tsc run, each in its own file, and wants each file's own error.
func TestTypeScriptRejectsBrokenCopies(t *testing.T) {
	t.Parallel()
	tsc(t)
	source := read(t, "typescript/index.ts")
	cases := []struct{ file, old, replacement, want string }{
		{"wrongName", "instanceType:", "instanceTyp:", "TS2561"},
		{"wrongType", "metadataHopLimit: 1", `metadataHopLimit: "1"`, "TS2322"},
		{"wrongNestedName", "sizeGiB: 8", "sizeGb: 8", "TS2561"},
	}
	sources := map[string]string{}
	for _, tc := range cases {
		sources[tc.file] = breakCopy(t, source, tc.old, tc.replacement)
	}
	out, ok := typecheck(t, sources)
	if ok {
		t.Fatalf("tsc passed the broken copies:\n%s", out)
	}
	for _, tc := range cases {
		if !strings.Contains(out, tc.file+".ts(") || !regexp.MustCompile(regexp.QuoteMeta(tc.file+".ts(")+`[^\n]*`+tc.want).MatchString(out) {
			t.Errorf("%s (%s -> %s): want error %s in that file:\n%s", tc.file, tc.old, tc.replacement, tc.want, out)
		}
	}
}

func python(t *testing.T) string {
	return testtool.RequireTool(t, "python3", "install python3")
}

const pythonSDK = "../sdk/python/selfhealing_dev_selfhealing"

func TestPythonCompiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(pythonSDK, "*.py"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Python SDK files in %s: %v", pythonSDK, err)
	}
	files = append(files, "python/__main__.py", "check_python.py")
	// Compile into a temporary cache, leaving no __pycache__ behind.
	cmd := exec.Command(python(t), append([]string{"-m", "py_compile"}, files...)...)
	cmd.Env = append(os.Environ(), "PYTHONPYCACHEPREFIX="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("py_compile: %v\n%s", err, out)
	}
}

// checkPython runs check_python.py: the program's keyword arguments
// against the SDK's signatures.
func checkPython(t *testing.T, source string) (string, bool) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "__main__.py")
	if err := os.WriteFile(path, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python(t), "check_python.py", pythonSDK, path).CombinedOutput()
	return string(out), err == nil
}

func TestPythonExampleMatchesSDK(t *testing.T) {
	if out, ok := checkPython(t, read(t, "python/__main__.py")); !ok {
		t.Fatalf("examples/python/__main__.py does not match the SDK:\n%s", out)
	}
}

func TestPythonRejectsBrokenCopies(t *testing.T) {
	source := read(t, "python/__main__.py")
	for _, tc := range []struct{ name, old, replacement, want string }{
		{"wrong name", "instance_type=", "instance_typ=", "SelfHealingInstance has no argument 'instance_typ'"},
		{"wrong type", "metadata_hop_limit=1", `metadata_hop_limit="1"`, "takes Optional[_builtins.int], not str"},
		{"wrong nested name", "mount_path=", "mountpath=", "has no argument 'mountpath'"},
		{"wrong class name", "selfhealing.DataVolumeArgs(", "selfhealing.DataVolumeArgsArgs(", "the SDK has no class 'DataVolumeArgsArgs'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := checkPython(t, breakCopy(t, source, tc.old, tc.replacement))
			if ok || !strings.Contains(out, tc.want) {
				t.Fatalf("passed=%v on the broken copy, want %q:\n%s", ok, tc.want, out)
			}
		})
	}
}

func TestYAMLExampleMatchesSchema(t *testing.T) {
	problems, err := schemacheck.CheckProgram(pkgschema.JSON, []byte(read(t, "yaml/Pulumi.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("examples/yaml/Pulumi.yaml does not match schema.json:\n%s", strings.Join(problems, "\n"))
	}
}

func TestYAMLRejectsBrokenCopies(t *testing.T) {
	source := read(t, "yaml/Pulumi.yaml")
	for _, tc := range []struct{ name, old, replacement, want string }{
		{"wrong name", "instanceType:", "instanceTyp:", `has no input "instanceTyp"`},
		{"wrong type", "metadataHopLimit: 1", "metadataHopLimit: one", "properties.metadataHopLimit: want an integer"},
		{"wrong nested type", "fromPort: 80", "fromPort: [80]", "properties.ingress[0].fromPort: want an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := schemacheck.CheckProgram(pkgschema.JSON, []byte(breakCopy(t, source, tc.old, tc.replacement)))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Fatalf("problems = %q, want %q", problems, tc.want)
			}
		})
	}
}

// TestTheREADMEShowsEachExample: docs/languages.md's snippet for each language is
// the example file, verbatim.
func TestTheREADMEShowsEachExample(t *testing.T) {
	readme, err := os.ReadFile("../docs/languages.md")
	if err != nil {
		t.Fatal(err)
	}
	for file, fence := range map[string]string{"typescript/index.ts": "typescript", "python/__main__.py": "python", "yaml/Pulumi.yaml": "yaml"} {
		source, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		begin := "<!-- example: examples/" + file + " -->\n```" + fence + "\n"
		_, rest, ok := strings.Cut(string(readme), begin)
		block, _, ok2 := strings.Cut(rest, "```\n<!-- example: end -->")
		if !ok || !ok2 {
			t.Errorf("docs/languages.md has no block starting %q", begin)
			continue
		}
		if block != string(source) {
			t.Errorf("docs/languages.md's block for %s differs from the file", file)
		}
	}
}
