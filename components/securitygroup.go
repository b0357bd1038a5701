package components

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newSecurityGroup creates the instance's security group: inbound only what
// args list (and ports 80 and 443 with HTTPS), outbound open, so that the
// instance reaches the AWS APIs and package mirrors.
func (c *SelfHealingInstance) newSecurityGroup(ctx *pulumi.Context, name, groupName string, a SelfHealingInstanceArgs,
	vpcID string, tags map[string]string, parent pulumi.ResourceOrInvokeOption,
) (*ec2.SecurityGroup, error) {
	securityGroup, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.String("Self-healing instance " + groupName + ": managed by Pulumi"),
		VpcId:       pulumi.String(vpcID),
		Ingress:     ingressRules(slices.Concat(a.Ingress, httpsIngressRules(a.HTTPS, a.Ingress))),
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Description:    pulumi.String("AWS APIs, package mirrors and your own traffic"),
			Protocol:       pulumi.String("-1"),
			FromPort:       pulumi.Int(0),
			ToPort:         pulumi.Int(0),
			CidrBlocks:     pulumi.StringArray{pulumi.String("0.0.0.0/0")},
			Ipv6CidrBlocks: pulumi.StringArray{pulumi.String("::/0")},
		}},
		Tags: pulumi.ToStringMap(tags),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the security group: %w", err)
	}
	c.SecurityGroupID = securityGroup.ID().ToStringOutput()
	return securityGroup, nil
}

func ingressRules(rules []IngressRule) ec2.SecurityGroupIngressArray {
	var out ec2.SecurityGroupIngressArray
	for _, rule := range rules {
		var v4, v6 pulumi.StringArray
		for _, cidr := range rule.CidrBlocks {
			if isIPv6(cidr) {
				v6 = append(v6, pulumi.String(cidr))
			} else {
				v4 = append(v4, pulumi.String(cidr))
			}
		}
		out = append(out, ec2.SecurityGroupIngressArgs{
			Description:    pulumi.String(rule.Description),
			Protocol:       pulumi.String(rule.Protocol),
			FromPort:       pulumi.Int(rule.FromPort),
			ToPort:         pulumi.Int(rule.ToPort),
			CidrBlocks:     v4,
			Ipv6CidrBlocks: v6,
		})
	}
	return out
}
