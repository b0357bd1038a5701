package selfhealingtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

// NewResource answers a resource registration as AWS would: a new custom
// resource gets an id in AWS's format for its type, deterministic in its
// name, and the attributes AWS computes (an Elastic IP's allocationId,
// publicIp and publicDns, ARNs, generated names, a launch template's
// versions); its inputs come back as outputs. The component checks these
// as it checks what you pass it, so "web-eip_id" will not do.
func (a *Account) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id := args.ID
	outputs := args.Inputs.Copy()
	if args.Custom && id == "" {
		var err error
		id, err = a.computeAttributes(args.TypeToken, args.Name, outputs)
		if err != nil {
			return "", nil, err
		}
	}
	return id, outputs, nil
}

// createdByTheComponent reports whether a SelfHealingInstance is among the
// registered resource's ancestors.
func createdByTheComponent(args pulumi.MockResourceArgs) bool {
	if args.RegisterRPC == nil || args.RegisterRPC.GetParent() == "" {
		return false
	}
	parent := resource.URN(args.RegisterRPC.GetParent())
	return parent.IsValid() && slices.Contains(strings.Split(string(parent.QualifiedType()), "$"), components.TypeToken)
}

// fakeID is a deterministic id: prefix, then 17 hex digits from seed.
func fakeID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + "0" + hex.EncodeToString(sum[:])[:16]
}

// computeAttributes fills in what AWS would compute for a new resource and
// returns its physical id.
func (a *Account) computeAttributes(typeToken, name string, out resource.PropertyMap) (string, error) {
	set := func(key, value string) { out[resource.PropertyKey(key)] = resource.NewProperty(value) }
	stringInput := func(key string) string { return stringArg(out, key) }
	switch typeToken {
	case "aws:ec2/eip:Eip":
		id := fakeID("eipalloc-", name)
		sum := sha256.Sum256([]byte(name))
		ip := fmt.Sprintf("203.0.113.%d", 1+int(sum[0])%254)
		set("allocationId", id)
		set("publicIp", ip)
		set("publicDns", fmt.Sprintf("ec2-%s.compute-1.amazonaws.com", strings.ReplaceAll(ip, ".", "-")))
		return id, nil
	case "aws:iam/role:Role":
		roleName := stringInput("name")
		if roleName == "" {
			roleName = name + "-" + fakeID("", name)[:7]
			set("name", roleName)
		}
		set("arn", a.ARN("iam", "role/"+roleName))
		set("uniqueId", strings.ToUpper(fakeID("AROA", name)))
		return roleName, nil
	case "aws:iam/instanceProfile:InstanceProfile":
		profileName := name + "-" + fakeID("", name)[:7]
		set("name", profileName)
		set("arn", a.ARN("iam", "instance-profile/"+profileName))
		return profileName, nil
	case "aws:iam/rolePolicy:RolePolicy":
		return stringInput("role") + ":" + name, nil
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		return name + "-" + fakeID("", name)[:7], nil
	case "aws:ec2/securityGroup:SecurityGroup":
		id := fakeID("sg-", name)
		set("arn", a.ARN("ec2", "security-group/"+id))
		return id, nil
	case "aws:ec2/launchTemplate:LaunchTemplate":
		id := fakeID("lt-", name)
		out["latestVersion"] = resource.NewProperty(float64(max(a.LaunchTemplateVersion, 1)))
		out["defaultVersion"] = resource.NewProperty(1.0)
		set("arn", a.ARN("ec2", "launch-template/"+id))
		return id, nil
	case "aws:ec2/networkInterface:NetworkInterface":
		id := fakeID("eni-", name)
		ip := "172.31.0.10"
		if ips, ok := out["privateIps"]; ok && ips.IsArray() && len(ips.ArrayValue()) > 0 && ips.ArrayValue()[0].IsString() {
			ip = ips.ArrayValue()[0].StringValue()
		}
		set("privateIp", ip)
		set("arn", a.ARN("ec2", "network-interface/"+id))
		return id, nil
	case "aws:ebs/volume:Volume":
		id := fakeID("vol-", name)
		set("arn", a.ARN("ec2", "volume/"+id))
		return id, nil
	case "aws:dlm/lifecyclePolicy:LifecyclePolicy":
		id := "policy-" + fakeID("", name)[1:]
		set("arn", a.ARN("dlm", "policy/"+id))
		return id, nil
	case "aws:autoscaling/group:Group":
		groupName := stringInput("name")
		if groupName == "" {
			return "", fmt.Errorf("selfhealingtest: %s %q has no name", typeToken, name)
		}
		set("arn", a.ARN("autoscaling", "autoScalingGroup:"+fakeID("", name)[:8]+"-0000-0000-0000-000000000000:autoScalingGroupName/"+groupName))
		return groupName, nil
	case "aws:sns/topic:Topic":
		topicName := stringInput("name")
		if topicName == "" {
			topicName = name + "-" + fakeID("", name)[:7]
			set("name", topicName)
		}
		arn := a.ARN("sns", topicName)
		set("arn", arn)
		return arn, nil
	case "aws:sns/topicSubscription:TopicSubscription":
		// An email subscription has no ARN until it is confirmed.
		arn := stringInput("topic") + ":" + fakeID("", name)[:8] + "-0000-0000-0000-000000000000"
		set("arn", arn)
		return arn, nil
	case "aws:route53/record:Record":
		set("fqdn", stringInput("name"))
		return stringInput("zoneId") + "_" + stringInput("name") + "_" + stringInput("type"), nil
	case "aws:autoscaling/schedule:Schedule":
		actionName := stringInput("scheduledActionName")
		set("arn", a.ARN("autoscaling", "scheduledUpdateGroupAction:"+fakeID("", name)[:8]+"-0000-0000-0000-000000000000:autoScalingGroupName/"+
			stringInput("autoscalingGroupName")+":scheduledActionName/"+actionName))
		return actionName, nil
	default:
		return fakeID(name+"-", typeToken), nil
	}
}
