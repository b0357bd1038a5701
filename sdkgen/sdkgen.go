package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// Tool names the generator in the "do not edit" header of every file.
const Tool = "selfhealing-sdkgen"

// Languages are the SDKs generated, each into its own directory.
var Languages = []string{"nodejs", "python"}

// noLoader refuses every package: the schema must not reference another
// package, so the generators never need one.
type noLoader struct{}

func (noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("schema references package %q: only self-contained schemas are supported", pkg)
}

func (noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("schema references package %q: only self-contained schemas are supported", d.Name)
}

func (noLoader) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("schema references package %q: only self-contained schemas are supported", pkg)
}

func (noLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, fmt.Errorf("schema references package %q: only self-contained schemas are supported", d.Name)
}

// bind parses and validates spec. Each language binds its own copy: the
// generators record their language's settings on the package.
func bind(spec []byte) (*schema.Package, error) {
	var ps schema.PackageSpec
	if err := json.Unmarshal(spec, &ps); err != nil {
		return nil, fmt.Errorf("parsing the schema: %w", err)
	}
	pkg, diags, err := schema.BindSpec(ps, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding the schema: %w", err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("the schema is invalid: %w", diags)
	}
	return pkg, nil
}

// Generate returns the files of each language's SDK, keyed by language and
// then by path relative to that language's directory.
func Generate(spec []byte) (map[string]map[string][]byte, error) {
	out := map[string]map[string][]byte{}
	for _, lang := range Languages {
		pkg, err := bind(spec)
		if err != nil {
			return nil, err
		}
		var files map[string][]byte
		switch lang {
		case "nodejs":
			files, err = nodejs.GeneratePackage(Tool, pkg, nil, nil, false, noLoader{})
		case "python":
			files, err = python.GeneratePackage(Tool, pkg, nil, noLoader{})
		}
		if err != nil {
			return nil, fmt.Errorf("generating the %s SDK: %w", lang, err)
		}
		out[lang] = files
	}
	return out, nil
}

// WriteSDKs generates every SDK of spec under dir, replacing dir/<language>.
func WriteSDKs(spec []byte, dir string) error {
	sdks, err := Generate(spec)
	if err != nil {
		return err
	}
	var errs []error
	for _, lang := range sortedKeys(sdks) {
		root := filepath.Join(dir, lang)
		if err := os.RemoveAll(root); err != nil {
			return fmt.Errorf("clearing %s: %w", root, err)
		}
		for _, p := range sortedKeys(sdks[lang]) {
			path := filepath.Join(root, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				errs = append(errs, fmt.Errorf("writing %s: %w", path, err))
				continue
			}
			if err := os.WriteFile(path, sdks[lang][p], 0o644); err != nil {
				errs = append(errs, fmt.Errorf("writing %s: %w", path, err))
			}
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
