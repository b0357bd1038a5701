// Command sdkgen writes the TypeScript and Python SDKs of a Pulumi package
// schema with Pulumi's own code generators, pinned by this module's go.mod.
// It lives in its own module so that programs using the component never
// depend on github.com/pulumi/pulumi/pkg/v3.
//
//	go run . -schema ../cmd/pulumi-resource-selfhealing/schema.json -out ../sdk
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	schemaPath := flag.String("schema", "", "the package schema (JSON)")
	out := flag.String("out", "", "directory to write nodejs/ and python/ into; their old contents are removed")
	flag.Parse()
	if *schemaPath == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: sdkgen -schema schema.json -out sdk")
		os.Exit(2)
	}
	spec, err := os.ReadFile(*schemaPath)
	if err == nil {
		err = WriteSDKs(spec, *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}
