// Command sdkgen writes the TypeScript and Python SDKs of a Pulumi package
// schema with Pulumi's own code generators, pinned by this module's go.mod.
// It lives in its own module so that programs using the component never
// depend on github.com/pulumi/pulumi/pkg/v3.
//
//	go run . -schema ../internal/pkgschema/schema.json -out ../sdk
//
// With -pack it instead builds the generated SDKs into installable
// packages: an npm tarball (see PackNodeJS) and a Python wheel (see
// PackPython).
//
//	go run . -pack ../dist -sdk ../sdk -node-modules ../examples/typescript/node_modules
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	schemaPath := flag.String("schema", "", "the package schema (JSON)")
	out := flag.String("out", "", "directory to write nodejs/ and python/ into; their old contents are removed")
	pack := flag.String("pack", "", "build the SDKs under -sdk into an npm tarball and a Python wheel in this directory")
	sdk := flag.String("sdk", "../sdk", "with -pack: the generated SDKs")
	nodeModules := flag.String("node-modules", "../examples/typescript/node_modules", "with -pack: node_modules holding the pinned typescript, @types/node and @pulumi/pulumi")
	python := flag.String("python", "", "with -pack: the python3 to build the wheel with; empty means the first of python3 and /usr/bin/python3 that can")
	flag.Parse()
	var err error
	switch {
	case *pack != "":
		err = packAll(*sdk, *nodeModules, *python, *pack)
	case *schemaPath != "" && *out != "":
		var spec []byte
		spec, err = os.ReadFile(*schemaPath)
		if err == nil {
			err = WriteSDKs(spec, *out)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: sdkgen -schema schema.json -out sdk\n       sdkgen -pack dist [-sdk sdk] [-node-modules node_modules] [-python python3]")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}

// packAll builds both SDKs' packages into dest and prints their paths.
func packAll(sdk, nodeModules, python, dest string) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	tarball, err := PackNodeJS(filepath.Join(sdk, "nodejs"), nodeModules, dest)
	if err != nil {
		return err
	}
	fmt.Println(tarball)
	if python == "" {
		if python, err = FindPython("python3", "/usr/bin/python3"); err != nil {
			return err
		}
	}
	wheel, err := PackPython(python, filepath.Join(sdk, "python"), dest)
	if err != nil {
		return err
	}
	fmt.Println(wheel)
	return nil
}
