// Command vpc is a Pulumi program that composes SelfHealingInstance with
// resources it creates itself: a VPC with public subnets, a Route 53 hosted
// zone and a KMS key. Their outputs go straight into the component's args,
// with no resource created inside an Apply.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

func main() {
	pulumi.Run(program)
}

// zones are the Availability Zone suffixes the VPC gets a public subnet in.
var zones = []string{"a", "b"}

func program(ctx *pulumi.Context) error {
	region, err := aws.GetRegion(ctx, &aws.GetRegionArgs{})
	if err != nil {
		return err
	}
	vpc, err := ec2.NewVpc(ctx, "app", &ec2.VpcArgs{
		CidrBlock:          pulumi.String("10.20.0.0/16"),
		EnableDnsHostnames: pulumi.Bool(true),
	})
	if err != nil {
		return err
	}
	gateway, err := ec2.NewInternetGateway(ctx, "app", &ec2.InternetGatewayArgs{VpcId: vpc.ID()})
	if err != nil {
		return err
	}
	routes, err := ec2.NewRouteTable(ctx, "public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{
			CidrBlock: pulumi.String("0.0.0.0/0"),
			GatewayId: gateway.ID(),
		}},
	})
	if err != nil {
		return err
	}
	// The instance needs a route to the AWS APIs before it holds its
	// Elastic IP, so the subnets give it a public address at launch.
	var subnetIDs pulumi.StringArray
	for i, zone := range zones {
		subnet, err := ec2.NewSubnet(ctx, "public-"+zone, &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			CidrBlock:           pulumi.Sprintf("10.20.%d.0/24", i),
			AvailabilityZone:    pulumi.String(region.Name + zone),
			MapPublicIpOnLaunch: pulumi.Bool(true),
		})
		if err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, "public-"+zone, &ec2.RouteTableAssociationArgs{
			SubnetId: subnet.ID(), RouteTableId: routes.ID(),
		}); err != nil {
			return err
		}
		subnetIDs = append(subnetIDs, subnet.ID())
	}
	zone, err := route53.NewZone(ctx, "app", &route53.ZoneArgs{Name: pulumi.String("app.example.com")})
	if err != nil {
		return err
	}
	key, err := kms.NewKey(ctx, "data", &kms.KeyArgs{
		Description:       pulumi.String("The app's data volume"),
		EnableKeyRotation: pulumi.Bool(true),
	})
	if err != nil {
		return err
	}

	// README: begin
	app, err := components.NewSelfHealingInstance(ctx, "app", &components.SelfHealingInstanceArgs{
		InstanceType: "t4g.small",
		// Outputs of the resources above, passed straight in.
		SubnetIDs: subnetIDs,
		Ingress: []components.IngressRule{{
			Description: "HTTP from inside the VPC",
			Protocol:    "tcp", FromPort: 80, ToPort: 80,
			CidrBlocks: pulumi.StringArray{vpc.CidrBlock},
		}},
		DataVolume: &components.DataVolumeArgs{
			SizeGiB:   8,
			KMSKeyARN: key.Arn,
			// The group runs where the volume is: the first subnet's zone.
			AvailabilityZone: region.Name + zones[0],
		},
		DNS: &components.DNSArgs{
			ZoneID:     zone.ZoneId,
			RecordName: "app.example.com",
		},
		Tags: pulumi.StringMap{"vpc": vpc.ID().ToStringOutput()},
	})
	// README: end
	if err != nil {
		return fmt.Errorf("the self-healing instance: %w", err)
	}
	ctx.Export("url", app.URL)
	ctx.Export("instanceRoleName", app.InstanceRoleName)
	return nil
}
