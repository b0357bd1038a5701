package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestCommittedSDKsAreCurrent regenerates the SDKs from the committed
// schema and compares them, file by file, with the committed ../sdk.
func TestCommittedSDKsAreCurrent(t *testing.T) {
	spec, err := os.ReadFile("../internal/pkgschema/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteSDKs(spec, dir); err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages {
		want, got := readTree(t, filepath.Join(dir, lang)), readTree(t, filepath.Join("..", "sdk", lang))
		for _, p := range union(want, got) {
			w, inWant := want[p]
			g, inGot := got[p]
			switch {
			case !inGot:
				t.Errorf("sdk/%s/%s is missing: run `make sdks`", lang, p)
			case !inWant:
				t.Errorf("sdk/%s/%s is not generated: run `make sdks`", lang, p)
			case !bytes.Equal(w, g):
				t.Errorf("sdk/%s/%s differs from what the schema generates: run `make sdks`", lang, p)
			}
		}
	}
}

// TestGenerateRefusesInvalidSchema shows a broken schema fails, naming it.
func TestGenerateRefusesInvalidSchema(t *testing.T) {
	_, err := Generate([]byte(`{"name": "x", "resources": {"x:index:A": {"isComponent": true, "inputProperties": {"p": {"$ref": "#/types/x:index:Missing"}}}}}`))
	if err == nil {
		t.Fatal("a schema with a dangling reference generated SDKs")
	}
}

// readTree reads every file under root, skipping what npm and Python leave
// there (node_modules, bin, __pycache__).
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "bin", "__pycache__":
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func union(a, b map[string][]byte) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
