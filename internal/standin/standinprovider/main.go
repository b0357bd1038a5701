// Command standinprovider is the selfhealing provider with the stand-in
// component (package standin) in place of the real one: the provider tests
// construct through it until components.SelfHealingInstanceArgs is tagged.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"

	"github.com/selfhealing-dev/selfhealing/internal/componentprovider"
	"github.com/selfhealing-dev/selfhealing/internal/pkgschema"
	"github.com/selfhealing-dev/selfhealing/internal/standin"
)

func main() {
	err := provider.ComponentMain("selfhealing", pkgschema.Version, pkgschema.JSON,
		componentprovider.Construct(standin.TypeToken, standin.NewSelfHealingInstance))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
