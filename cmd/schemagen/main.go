// Command schemagen writes internal/pkgschema/schema.json from the Go types
// of the component (components.SelfHealingInstanceArgs and
// SelfHealingInstance, their pulumi tags and doc comments): `go run
// ./cmd/schemagen` from the module root. A field it cannot describe is an
// error naming the field.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/selfhealing-dev/selfhealing/internal/pkgschema"
)

func main() {
	root := flag.String("root", ".", "the module's root directory")
	check := flag.Bool("check", false, "only report whether schema.json is up to date")
	flag.Parse()
	out, err := pkgschema.Generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	path := filepath.Join(*root, "internal", "pkgschema", "schema.json")
	if *check {
		old, err := os.ReadFile(path)
		if err != nil || string(old) != string(out) {
			fmt.Fprintf(os.Stderr, "schemagen: %s is out of date: run `make sdks`\n", path)
			os.Exit(1)
		}
		return
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}
