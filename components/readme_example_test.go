package components_test

import (
	"os"
	"strings"
	"testing"
)

// TestTheREADMEShowsTheExample: the README's component snippet is
// example_test.go, the code `go test` compiles, verbatim.
func TestTheREADMEShowsTheExample(t *testing.T) {
	const (
		begin = "<!-- example: components/example_test.go, verbatim; TestTheREADMEShowsTheExample checks it -->\n```go\n"
		end   = "```\n<!-- example: end -->"
	)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), begin)
	if !ok {
		t.Fatalf("README.md has no block starting %q", begin)
	}
	block, _, ok := strings.Cut(rest, end)
	if !ok {
		t.Fatalf("README.md's example block does not end with %q", end)
	}
	if block != string(example) {
		t.Errorf("README.md's example block differs from components/example_test.go:\nREADME:\n%s\nfile:\n%s", block, example)
	}
}
