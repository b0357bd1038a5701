// Command pulumi-resource-selfhealing is the selfhealing Pulumi package's
// component provider: it constructs components.SelfHealingInstance for
// programs in TypeScript, Python, YAML or any Pulumi language, and serves
// the package schema (internal/pkgschema/schema.json) that their SDKs are
// generated from.
//
// The Pulumi engine starts it; `pulumi package add` builds it from source
// (see PulumiPlugin.yaml in this directory).
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/componentprovider"
	"github.com/selfhealing-dev/selfhealing/internal/pkgschema"
)

func main() {
	err := provider.ComponentMain("selfhealing", pkgschema.Version, pkgschema.JSON,
		componentprovider.Construct(components.TypeToken, components.NewSelfHealingInstance))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
