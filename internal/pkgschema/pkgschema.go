// Package pkgschema describes the selfhealing Pulumi package and holds its
// committed schema, schema.json, which cmd/schemagen writes and the
// provider serves.
package pkgschema

import (
	_ "embed"
	"fmt"
	"path/filepath"
	"reflect"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/schemagen"
)

//go:generate go run ../../cmd/schemagen -root ../..

// JSON is the committed schema.
//
//go:embed schema.json
var JSON []byte

// Version is the package version the schema and the provider report.
const Version = "0.1.0"

// Package returns the package description for the given args and component
// types, with descriptions read from the Go sources in srcDir. The doc
// comments may link to the constants of the packages in imports (name to
// directory), such as [userdata.FormattedTagKey]; the schema states their
// values.
func Package(args, component reflect.Type, srcDir string, imports map[string]string) (schemagen.Package, error) {
	docs, err := schemagen.ReadDocsDir(srcDir)
	if err != nil {
		return schemagen.Package{}, fmt.Errorf("reading the doc comments in %s: %w", srcDir, err)
	}
	for name, dir := range imports {
		imported, err := schemagen.ReadDocsDir(dir)
		if err != nil {
			return schemagen.Package{}, fmt.Errorf("reading the constants in %s: %w", dir, err)
		}
		docs.Import(name, imported)
	}
	return schemagen.Package{
		Name:              "selfhealing",
		DisplayName:       "Self-healing instance",
		Description:       "One stateful EC2 instance that heals itself and keeps its Elastic IP, without a load balancer.",
		Version:           Version,
		Repository:        "https://github.com/selfhealing-dev/selfhealing",
		License:           "Apache-2.0",
		GoImportBasePath:  "github.com/selfhealing-dev/selfhealing/sdk/go/selfhealing",
		NodejsPackageName: "@selfhealing-dev/selfhealing",
		// The versions examples/typescript pins, which sdkgen's tests
		// build and run the SDK with.
		NodejsTypeScriptVersion: "5.9.3",
		NodejsTypesNodeVersion:  "20.19.43",
		PythonPackageName:       "selfhealing_dev_selfhealing",
		Components: []schemagen.Component{{
			Token: components.TypeToken, Args: args, Resource: component, Docs: docs,
		}},
	}, nil
}

// Real is the package of components.SelfHealingInstance; repoRoot is the
// module's root directory.
func Real(repoRoot string) (schemagen.Package, error) {
	return Package(reflect.TypeFor[components.SelfHealingInstanceArgs](), reflect.TypeFor[components.SelfHealingInstance](),
		filepath.Join(repoRoot, "components"), map[string]string{"userdata": filepath.Join(repoRoot, "userdata")})
}

// Generate returns the schema that schema.json must hold: the component's,
// from its Go types and doc comments under repoRoot.
func Generate(repoRoot string) ([]byte, error) {
	p, err := Real(repoRoot)
	if err != nil {
		return nil, err
	}
	out, err := schemagen.Generate(p)
	if err != nil {
		return nil, fmt.Errorf("generating the selfhealing schema: %w", err)
	}
	return out, nil
}
