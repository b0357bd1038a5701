// Command selfhealing is the Pulumi program: `pulumi up` runs it once per
// stack. See README.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/program"
)

func main() {
	pulumi.Run(program.Run)
}
