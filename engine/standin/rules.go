package standin

import (
	"fmt"
	"slices"
	"strings"
)

// Change is what AWS, through the Pulumi AWS provider, does when an input
// property changes: update the resource in place, or replace it.
type Change int

const (
	// Update changes the resource in place.
	Update Change = iota + 1
	// Replace creates a new resource and deletes the old one: the
	// provider's documentation says "forces new resource" (Terraform's
	// ForceNew), or the AWS API has no call that changes the property.
	Replace
)

func (c Change) String() string {
	switch c {
	case Update:
		return "update"
	case Replace:
		return "replace"
	}
	return fmt.Sprintf("Change(%d)", int(c))
}

// Rule is what a change to one input property does, and where that is
// documented.
type Rule struct {
	Change Change
	// Doc is the Pulumi AWS provider's page for the resource; the
	// property's entry there says "Changing this forces a new resource" for
	// a Replace, unless Source says otherwise.
	Doc string
	// Source, when set, is where the rule comes from when the page does
	// not say it: the upstream provider's schema (ForceNew).
	Source string
}

const registry = "https://www.pulumi.com/registry/packages/aws/api-docs/"

// Upstream schema files, for rules the registry page does not state.
const (
	tfAWS           = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/"
	tfGroup         = tfAWS + "autoscaling/group.go"
	tfNotification  = tfAWS + "autoscaling/notification.go"
	tfSchedule      = tfAWS + "autoscaling/schedule.go"
	tfLifecycleHook = tfAWS + "autoscaling/lifecycle_hook.go"
	tfLogGroup      = tfAWS + "logs/group.go"
	tfMetricAlarm   = tfAWS + "cloudwatch/metric_alarm.go"
	tfVolume        = tfAWS + "ec2/ebs_volume.go"
	tfEIP           = tfAWS + "ec2/vpc_eip.go"
	tfSecurityGroup = tfAWS + "ec2/vpc_security_group.go"
	tfRolePolicy    = tfAWS + "iam/role_policy.go"
	tfAttachment    = tfAWS + "iam/role_policy_attachment.go"
	tfRecord        = tfAWS + "route53/record.go"
	tfSubscription  = tfAWS + "sns/topic_subscription.go"
	tfParameter     = tfAWS + "ssm/parameter.go"
)

func update(page string) Rule  { return Rule{Change: Update, Doc: registry + page} }
func replace(page string) Rule { return Rule{Change: Replace, Doc: registry + page} }
func replaceBySchema(page, source string) Rule {
	return Rule{Change: Replace, Doc: registry + page, Source: source}
}

// Rules maps a resource type to its input properties (top level, as the
// Pulumi program names them) and what a change to each does. It covers
// every property the program sets, on every stack: a test runs synth's
// resources for the dev and full stacks through it. A property missing here
// is refused by the stand-in's Check, so the stand-in never guesses.
var Rules = map[string]map[string]Rule{
	"aws:autoscaling/group:Group": {
		"name":                   replaceBySchema("autoscaling/group/", tfGroup),
		"capacityRebalance":      update("autoscaling/group/"),
		"desiredCapacity":        update("autoscaling/group/"),
		"enabledMetrics":         update("autoscaling/group/"),
		"metricsGranularity":     update("autoscaling/group/"),
		"healthCheckGracePeriod": update("autoscaling/group/"),
		"healthCheckType":        update("autoscaling/group/"),
		"initialLifecycleHooks":  update("autoscaling/group/"),
		"instanceRefresh":        update("autoscaling/group/"),
		"launchTemplate":         update("autoscaling/group/"),
		"maxSize":                update("autoscaling/group/"),
		"minSize":                update("autoscaling/group/"),
		"mixedInstancesPolicy":   update("autoscaling/group/"),
		"tags":                   update("autoscaling/group/"),
		"vpcZoneIdentifiers":     update("autoscaling/group/"),
		"waitForCapacityTimeout": update("autoscaling/group/"),
		"warmPool":               update("autoscaling/group/"),

		// Not "forces new resource" on the page; CloudFormation's
		// InstanceMaintenancePolicy says "Update requires: No
		// interruption" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-autoscaling-autoscalinggroup-instancemaintenancepolicy.html).
		"instanceMaintenancePolicy": update("autoscaling/group/"),
	},
	"aws:autoscaling/notification:Notification": {
		"groupNames":    update("autoscaling/notification/"),
		"notifications": update("autoscaling/notification/"),
		"topicArn":      replaceBySchema("autoscaling/notification/", tfNotification),
	},
	"aws:autoscaling/lifecycleHook:LifecycleHook": {
		"autoscalingGroupName": replaceBySchema("autoscaling/lifecyclehook/", tfLifecycleHook),
		"name":                 replaceBySchema("autoscaling/lifecyclehook/", tfLifecycleHook),
		"defaultResult":        update("autoscaling/lifecyclehook/"),
		"heartbeatTimeout":     update("autoscaling/lifecyclehook/"),
		"lifecycleTransition":  update("autoscaling/lifecyclehook/"),
	},
	"aws:autoscaling/schedule:Schedule": {
		"autoscalingGroupName": replaceBySchema("autoscaling/schedule/", tfSchedule),
		"scheduledActionName":  replaceBySchema("autoscaling/schedule/", tfSchedule),
		"desiredCapacity":      update("autoscaling/schedule/"),
		"maxSize":              update("autoscaling/schedule/"),
		"minSize":              update("autoscaling/schedule/"),
		"recurrence":           update("autoscaling/schedule/"),
		"timeZone":             update("autoscaling/schedule/"),
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {
		"name":               replaceBySchema("cloudwatch/metricalarm/", tfMetricAlarm),
		"alarmDescription":   update("cloudwatch/metricalarm/"),
		"alarmActions":       update("cloudwatch/metricalarm/"),
		"okActions":          update("cloudwatch/metricalarm/"),
		"comparisonOperator": update("cloudwatch/metricalarm/"),
		"threshold":          update("cloudwatch/metricalarm/"),
		"evaluationPeriods":  update("cloudwatch/metricalarm/"),
		"treatMissingData":   update("cloudwatch/metricalarm/"),
		"namespace":          update("cloudwatch/metricalarm/"),
		"metricName":         update("cloudwatch/metricalarm/"),
		"statistic":          update("cloudwatch/metricalarm/"),
		"dimensions":         update("cloudwatch/metricalarm/"),
		"period":             update("cloudwatch/metricalarm/"),
		"metricQueries":      update("cloudwatch/metricalarm/"),
		"tags":               update("cloudwatch/metricalarm/"),
	},
	"aws:cloudwatch/logGroup:LogGroup": {
		"name":            replaceBySchema("cloudwatch/loggroup/", tfLogGroup),
		"retentionInDays": update("cloudwatch/loggroup/"),
		"kmsKeyId":        update("cloudwatch/loggroup/"),
		"tags":            update("cloudwatch/loggroup/"),
	},
	"aws:dlm/lifecyclePolicy:LifecyclePolicy": {
		"description":      update("dlm/lifecyclepolicy/"),
		"executionRoleArn": update("dlm/lifecyclepolicy/"),
		"policyDetails":    update("dlm/lifecyclepolicy/"),
		"state":            update("dlm/lifecyclepolicy/"),
		"tags":             update("dlm/lifecyclepolicy/"),
	},
	"aws:ebs/volume:Volume": {
		"availabilityZone": replaceBySchema("ebs/volume/", tfVolume),
		"encrypted":        replaceBySchema("ebs/volume/", tfVolume),
		"kmsKeyId":         replaceBySchema("ebs/volume/", tfVolume),
		"snapshotId":       replaceBySchema("ebs/volume/", tfVolume),
		"finalSnapshot":    update("ebs/volume/"),
		"iops":             update("ebs/volume/"),
		"size":             update("ebs/volume/"),
		"throughput":       update("ebs/volume/"),
		"type":             update("ebs/volume/"),
		"tags":             update("ebs/volume/"),
	},
	"aws:ec2/eip:Eip": {
		"domain": replaceBySchema("ec2/eip/", tfEIP),
		"tags":   update("ec2/eip/"),
	},
	"aws:ec2/tag:Tag": {
		"resourceId": replace("ec2/tag/"),
		"key":        replace("ec2/tag/"),
		"value":      update("ec2/tag/"),
	},
	// Every change but the name makes a new version of the same template.
	"aws:ec2/launchTemplate:LaunchTemplate": {
		"blockDeviceMappings":  update("ec2/launchtemplate/"),
		"description":          update("ec2/launchtemplate/"),
		"iamInstanceProfile":   update("ec2/launchtemplate/"),
		"imageId":              update("ec2/launchtemplate/"),
		"instanceType":         update("ec2/launchtemplate/"),
		"metadataOptions":      update("ec2/launchtemplate/"),
		"networkInterfaces":    update("ec2/launchtemplate/"),
		"tagSpecifications":    update("ec2/launchtemplate/"),
		"tags":                 update("ec2/launchtemplate/"),
		"updateDefaultVersion": update("ec2/launchtemplate/"),
		"userData":             update("ec2/launchtemplate/"),
	},
	"aws:ec2/securityGroup:SecurityGroup": {
		"description": replaceBySchema("ec2/securitygroup/", tfSecurityGroup),
		"vpcId":       replaceBySchema("ec2/securitygroup/", tfSecurityGroup),
		"egress":      update("ec2/securitygroup/"),
		"ingress":     update("ec2/securitygroup/"),
		"tags":        update("ec2/securitygroup/"),
	},
	"aws:iam/instanceProfile:InstanceProfile": {
		"role": update("iam/instanceprofile/"),
		"tags": update("iam/instanceprofile/"),
	},
	"aws:iam/role:Role": {
		"assumeRolePolicy": update("iam/role/"),
		"description":      update("iam/role/"),
		"tags":             update("iam/role/"),
	},
	"aws:iam/rolePolicy:RolePolicy": {
		"role":   replaceBySchema("iam/rolepolicy/", tfRolePolicy),
		"policy": update("iam/rolepolicy/"),
	},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
		"role":      replaceBySchema("iam/rolepolicyattachment/", tfAttachment),
		"policyArn": replaceBySchema("iam/rolepolicyattachment/", tfAttachment),
	},
	"aws:route53/record:Record": {
		"name":           replaceBySchema("route53/record/", tfRecord),
		"zoneId":         replaceBySchema("route53/record/", tfRecord),
		"type":           update("route53/record/"),
		"allowOverwrite": update("route53/record/"),
		"records":        update("route53/record/"),
		"ttl":            update("route53/record/"),
	},
	"aws:sns/topic:Topic": {
		"tags": update("sns/topic/"),
	},
	"aws:sns/topicSubscription:TopicSubscription": {
		"endpoint": replaceBySchema("sns/topicsubscription/", tfSubscription),
		"protocol": replaceBySchema("sns/topicsubscription/", tfSubscription),
		"topic":    replaceBySchema("sns/topicsubscription/", tfSubscription),
	},
	"aws:ssm/parameter:Parameter": {
		"name":          replaceBySchema("ssm/parameter/", tfParameter),
		"description":   update("ssm/parameter/"),
		"insecureValue": update("ssm/parameter/"),
		"value":         update("ssm/parameter/"),
		"keyId":         update("ssm/parameter/"),
		"tier":          update("ssm/parameter/"),
		"type":          update("ssm/parameter/"),
		"tags":          update("ssm/parameter/"),
	},
}

// RuleFor is the rule for a change to property of a resource of typ, or an
// error naming both when the stand-in has none.
func RuleFor(typ, property string) (Rule, error) {
	props, ok := Rules[typ]
	if !ok {
		return Rule{}, fmt.Errorf("the stand-in AWS provider has no rules for resource type %s; known types: %s", typ, strings.Join(sortedKeys(Rules), ", "))
	}
	rule, ok := props[property]
	if !ok {
		return Rule{}, fmt.Errorf("the stand-in AWS provider has no rule for %s's input %q, so it cannot say whether a change updates or replaces it; "+
			"add one, from the provider's documentation, to standin.Rules (known inputs: %s)", typ, property, strings.Join(sortedKeys(props), ", "))
	}
	return rule, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
