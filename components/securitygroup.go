package components

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// securityGroup creates the instance's security group: inbound only what
// args list (and ports 80 and 443 with HTTPS), outbound open, so that the
// instance reaches the AWS APIs and package mirrors.
func (b *builder) securityGroup() (*ec2.SecurityGroup, error) {
	p := b.p
	securityGroup, err := ec2.NewSecurityGroup(b.ctx, p.name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.String("Self-healing instance " + p.groupName + ": managed by Pulumi"),
		VpcId:       p.where.VpcID,
		Ingress:     p.args.ingressRules(),
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Description:    pulumi.String("AWS APIs, package mirrors and your own traffic"),
			Protocol:       pulumi.String("-1"),
			FromPort:       pulumi.Int(0),
			ToPort:         pulumi.Int(0),
			CidrBlocks:     pulumi.StringArray{pulumi.String("0.0.0.0/0")},
			Ipv6CidrBlocks: pulumi.StringArray{pulumi.String("::/0")},
		}},
		Tags: p.flows.tags,
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("creating the security group: %w", err)
	}
	b.c.SecurityGroupID = securityGroup.ID().ToStringOutput()
	return securityGroup, nil
}

// ingress is an IngressRule whose CIDR blocks are known.
type ingress struct {
	Description, Protocol string
	FromPort, ToPort      int
	CidrBlocks            []string
}

// ingressRules are the security group's inbound rules, once every rule's
// CIDR blocks are known and checked.
func (a SelfHealingInstanceArgs) ingressRules() ec2.SecurityGroupIngressArrayOutput {
	blocks := make([]any, len(a.Ingress))
	for i, rule := range a.Ingress {
		blocks[i] = checkedStringArray(rule.CidrBlocks, cidrBlocksRule(fmt.Sprintf("ingress[%d]", i)))
	}
	return pulumi.All(blocks...).ApplyT(func(resolved []any) []ec2.SecurityGroupIngress {
		rules := make([]ingress, len(a.Ingress))
		for i, rule := range a.Ingress {
			rules[i] = ingress{rule.Description, rule.Protocol, rule.FromPort, rule.ToPort, resolved[i].([]string)}
		}
		return securityGroupIngress(slices.Concat(rules, httpsIngressRules(a.HTTPS, rules)))
	}).(ec2.SecurityGroupIngressArrayOutput)
}

func securityGroupIngress(rules []ingress) []ec2.SecurityGroupIngress {
	out := []ec2.SecurityGroupIngress{}
	for _, rule := range rules {
		var v4, v6 []string
		for _, cidr := range rule.CidrBlocks {
			if isIPv6(cidr) {
				v6 = append(v6, cidr)
			} else {
				v4 = append(v4, cidr)
			}
		}
		description := rule.Description
		out = append(out, ec2.SecurityGroupIngress{
			Description:    &description,
			Protocol:       rule.Protocol,
			FromPort:       rule.FromPort,
			ToPort:         rule.ToPort,
			CidrBlocks:     v4,
			Ipv6CidrBlocks: v6,
		})
	}
	return out
}
