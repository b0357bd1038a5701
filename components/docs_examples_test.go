package components_test

import (
	"os"
	"strings"
	"testing"
)

// TestTheDocsShowTheExamples: each snippet the docs mark as a Go file,
// verbatim, is that file, the code `go test` compiles (and, for a test
// file, runs).
func TestTheDocsShowTheExamples(t *testing.T) {
	for _, tc := range []struct{ doc, file string }{
		{"README.md", "components/example_test.go"},
		{"docs/go-component.md", "components/selfhealingtest/example_test.go"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			begin := "<!-- example: " + tc.file + ", verbatim; TestTheDocsShowTheExamples checks it -->\n```go\n"
			const end = "```\n<!-- example: end -->"
			doc, err := os.ReadFile("../" + tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			example, err := os.ReadFile("../" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			_, rest, ok := strings.Cut(string(doc), begin)
			if !ok {
				t.Fatalf("%s has no block starting %q", tc.doc, begin)
			}
			block, _, ok := strings.Cut(rest, end)
			if !ok {
				t.Fatalf("%s's example block of %s does not end with %q", tc.doc, tc.file, end)
			}
			if block != string(example) {
				t.Errorf("%s's example block differs from %s:\n%s:\n%s\nfile:\n%s", tc.doc, tc.file, tc.doc, block, example)
			}
		})
	}
}
