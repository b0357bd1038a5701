package components_test

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

// A Pulumi Go program that runs a self-healing web server: the latest Amazon
// Linux 2023 on Graviton, HTTP open to the world, nginx installed at boot,
// before the instance takes the Elastic IP.
func ExampleNewSelfHealingInstance() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		web, err := components.NewSelfHealingInstance(ctx, "web", &components.SelfHealingInstanceArgs{
			InstanceType: "t4g.small",
			Ingress: []components.IngressRule{{
				Description: "HTTP",
				Protocol:    "tcp",
				FromPort:    80,
				ToPort:      80,
				CidrBlocks:  pulumi.ToStringArray([]string{"0.0.0.0/0", "::/0"}),
			}},
			UserScript: pulumi.String("dnf install -y nginx && systemctl enable --now nginx"),
			Tags:       pulumi.StringMap{"team": pulumi.String("web")},
		})
		if err != nil {
			return err
		}
		ctx.Export("url", web.URL)
		return nil
	})
}
