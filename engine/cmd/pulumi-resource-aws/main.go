// Command pulumi-resource-aws is the stand-in AWS provider plugin (package
// standin) that the engine tests install as aws v6.83.4.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/selfhealing-dev/selfhealing/engine/standin"
)

func main() {
	err := provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return standin.New(os.Getenv(standin.StateEnv)), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
