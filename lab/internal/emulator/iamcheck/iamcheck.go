// Package iamcheck is IAM's resource-level check, which moto lacks: the
// request-to-resource mapping of the Service Authorization Reference,
// IAM's evaluation of a policy's actions, resources and conditions, and
// each resource's tags as its condition keys. [Inspector.Inspect] is an
// inspector for an [emulator.FaultProxy] in front of moto.
//
// It is a package of its own, beside package emulator rather than in it,
// because it reads policies as internal/policy writes them, and
// internal/policy imports userdata, whose tests import emulator.
package iamcheck

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// autoscalingAPIVersion is the Version of every Auto Scaling query request;
// EC2's is 2016-11-15. The inspector tells the services apart by it, since
// some actions (DescribeTags) exist in both.
const autoscalingAPIVersion = "2011-01-01"

// Timeouts of the inspector's own calls to moto: a lookup that hangs must
// not hang the instance's request for ever; it is refused instead.
const (
	tagLookupTimeout   = 30 * time.Second
	groupLookupTimeout = 15 * time.Second
)

// Inspector is IAM's resource-level check, which moto lacks: moto's IAM
// enforcement checks that some statement allows the action, but ignores
// resources and all but a few conditions. For every EC2 or Auto Scaling
// request that it maps to resources (per the Service Authorization
// Reference), the inspector checks that Policy, exactly as written, allows
// the action on each resource the request touches, conditions included,
// each resource with its own tags as aws:ResourceTag/KEY, as IAM would.
// Other requests are left to moto's enforcement. Install it on a
// [emulator.FaultProxy] in front of moto with its Inspect method:
// proxy.Inspect(i.Inspect).
//
// Its fields are read, never changed; set them before the first request.
type Inspector struct {
	// Policy is the caller's policy, as the program wrote it.
	Policy policy.Document
	// Partition, Region and AccountID make the resources' ARNs.
	Partition, Region, AccountID string
	// Tags returns the tags of the resource an EC2 ARN names; none for "*"
	// or a wildcard ARN. An error refuses the request.
	Tags func(ctx context.Context, arn string) (map[string]string, error)
	// GroupARN returns the ARN of the Auto Scaling group called name; for a
	// group that does not exist, any ARN the policy cannot match by
	// accident.
	GroupARN func(ctx context.Context, name string) string
	// GroupOf returns the group an instance belongs to, if any.
	GroupOf func(ctx context.Context, instanceID string) (string, bool)
}

// New returns an [Inspector] for doc that looks tags,
// groups and group ARNs up in moto with cfg: an identity moto's own
// enforcement lets through (an administrator's configuration once moto
// enforces IAM), in the region the ARNs name.
func New(doc policy.Document, partition, region, accountID string, cfg aws.Config) *Inspector {
	ec2Client, asg := ec2.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg)
	return &Inspector{
		Policy: doc, Partition: partition, Region: region, AccountID: accountID,
		Tags: func(ctx context.Context, arn string) (map[string]string, error) {
			return ec2Tags(ctx, ec2Client, arn)
		},
		GroupARN: func(ctx context.Context, name string) string {
			out, err := asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
			if err == nil && len(out.AutoScalingGroups) == 1 {
				return aws.ToString(out.AutoScalingGroups[0].AutoScalingGroupARN)
			}
			// The ARN it would have, with a zero id.
			return fmt.Sprintf("arn:%s:autoscaling:%s:%s:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/%s",
				partition, region, accountID, name)
		},
		GroupOf: func(ctx context.Context, id string) (string, bool) {
			out, err := asg.DescribeAutoScalingInstances(ctx, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{id}})
			if err != nil || len(out.AutoScalingInstances) != 1 {
				return "", false
			}
			return aws.ToString(out.AutoScalingInstances[0].AutoScalingGroupName), true
		},
	}
}

// Inspect is the [emulator.FaultProxy] inspector: nil to let the request through
// (to moto's own enforcement), or the error IAM would answer:
// UnauthorizedOperation for EC2, AccessDenied for Auto Scaling.
func (i *Inspector) Inspect(action string, form url.Values) *emulator.APIError {
	if form.Get("Version") == autoscalingAPIVersion {
		return i.inspectAutoScaling(action, form)
	}
	resources, ok := ec2RequestResources(i.Partition, i.Region, i.AccountID, action, form)
	if !ok {
		// Not an action the inspector maps: moto's own enforcement decides,
		// on the action, as it does for every request.
		return nil
	}
	tagsOf := func(arn string) (map[string]string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), tagLookupTimeout)
		defer cancel()
		return i.Tags(ctx, arn)
	}
	refused, err := refusedResource(i.Policy, "ec2:"+action, resources, ec2RequestContext(action, form), tagsOf)
	switch {
	case err != nil:
		// Refuse rather than guess: a test sees the harness's reason.
		return &emulator.APIError{Status: 403, Code: "UnauthorizedOperation",
			Message: fmt.Sprintf("You are not authorized to perform this operation. (harness: %v)", err)}
	case refused != "":
		return &emulator.APIError{Status: 403, Code: "UnauthorizedOperation",
			Message: fmt.Sprintf("You are not authorized to perform this operation. (harness: the instance policy does not allow ec2:%s on %s)", action, refused)}
	}
	return nil
}

// inspectAutoScaling is Inspect for Auto Scaling requests: the policy as
// written must allow the action on the group's ARN. An [emulator.AutoScalingModel]
// answers the lifecycle calls itself, so moto's own enforcement never sees
// them; this check is all there is, as IAM's is on AWS.
func (i *Inspector) inspectAutoScaling(action string, form url.Values) *emulator.APIError {
	ctx, cancel := context.WithTimeout(context.Background(), groupLookupTimeout)
	defer cancel()
	resources, ok := autoscalingRequestResources(action, form,
		func(name string) string { return i.GroupARN(ctx, name) },
		func(id string) (string, bool) { return i.GroupOf(ctx, id) })
	if !ok {
		return nil
	}
	for _, resource := range resources {
		if !Allows(i.Policy, "autoscaling:"+action, resource) {
			return &emulator.APIError{Status: 403, Code: "AccessDenied",
				Message: fmt.Sprintf("User is not authorized to perform: autoscaling:%s on resource: %s (harness: the instance policy does not allow it)", action, resource)}
		}
	}
	return nil
}

// ec2RequestResources returns the resource ARNs that IAM authorizes for an
// EC2 query request in an account and region, per the Service
// Authorization Reference. ok is false for actions the inspector has no
// mapping for.
func ec2RequestResources(partition, region, account, action string, form url.Values) (resources []string, ok bool) {
	arn := func(kind, id string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", partition, region, account, kind, id)
	}
	switch action {
	case "AttachVolume":
		// Both the volume and the instance are required resources.
		return []string{arn("volume", form.Get("VolumeId")), arn("instance", form.Get("InstanceId"))}, true
	case "DetachVolume":
		// The volume is required; the instance is authorized too when the
		// call names one.
		resources = append(resources, arn("volume", form.Get("VolumeId")))
		if id := form.Get("InstanceId"); id != "" {
			resources = append(resources, arn("instance", id))
		}
		return resources, true
	case "AttachNetworkInterface":
		// Both the interface and the instance are required resources.
		// (DetachNetworkInterface names only the attachment, whose
		// interface and instance the inspector cannot see: moto's own
		// enforcement decides it, on the action.)
		return []string{arn("network-interface", form.Get("NetworkInterfaceId")), arn("instance", form.Get("InstanceId"))}, true
	case "AssociateAddress":
		if id := form.Get("AllocationId"); id != "" {
			resources = append(resources, arn("elastic-ip", id))
		}
		if id := form.Get("InstanceId"); id != "" {
			resources = append(resources, arn("instance", id))
		}
		if id := form.Get("NetworkInterfaceId"); id != "" {
			resources = append(resources, arn("network-interface", id))
		}
		return resources, true
	case "CreateTags":
		// Each resource tagged is authorized, by its own type.
		for i := 1; form.Has(fmt.Sprintf("ResourceId.%d", i)); i++ {
			id := form.Get(fmt.Sprintf("ResourceId.%d", i))
			resources = append(resources, arn(ec2ResourceType(id), id))
		}
		return resources, true
	case "DisassociateAddress", "ReleaseAddress":
		return []string{arn("elastic-ip", "*")}, true
	case "DescribeAddresses", "DescribeInstances", "DescribeTags", "DescribeVolumes", "DescribeInstanceStatus", "DescribeNetworkInterfaces":
		// No resource-level permissions: IAM authorizes "*".
		return []string{"*"}, true
	}
	return nil, false
}

// ec2ResourceType names the resource type of an EC2 id in ARNs, by its
// prefix; an id it does not know gets a type no policy names, so that the
// inspector refuses rather than guesses.
func ec2ResourceType(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "vol":
		return "volume"
	case "i":
		return "instance"
	case "eipalloc":
		return "elastic-ip"
	case "eni":
		return "network-interface"
	case "snap":
		return "snapshot"
	}
	return "unknown-resource-type"
}

// ec2RequestContext returns the request's condition keys that the harness
// knows how to read, per the Service Authorization Reference: for
// CreateTags, aws:TagKeys and aws:RequestTag/KEY. Keys are lower case, as
// IAM compares them without regard to case.
func ec2RequestContext(action string, form url.Values) map[string][]string {
	ctx := map[string][]string{}
	if action == "CreateTags" {
		for i := 1; form.Has(fmt.Sprintf("Tag.%d.Key", i)); i++ {
			key := form.Get(fmt.Sprintf("Tag.%d.Key", i))
			ctx["aws:tagkeys"] = append(ctx["aws:tagkeys"], key)
			ctx["aws:requesttag/"+strings.ToLower(key)] = []string{form.Get(fmt.Sprintf("Tag.%d.Value", i))}
		}
	}
	return ctx
}

// resourceTagContext returns the condition keys of a request on one
// resource: the request's own keys, and the resource's tags as
// aws:ResourceTag/KEY and ec2:ResourceTag/KEY, which the Service
// Authorization Reference lists for EC2's resource types. Keys are lower
// case, as in ec2RequestContext. A tag belongs to one resource, so a
// request that touches several has one context for each: IAM evaluates a
// statement's conditions against each resource the request authorizes.
func resourceTagContext(request map[string][]string, tags map[string]string) map[string][]string {
	ctx := make(map[string][]string, len(request)+2*len(tags))
	for key, values := range request {
		ctx[key] = values
	}
	for key, value := range tags {
		for _, prefix := range []string{"aws:resourcetag/", "ec2:resourcetag/"} {
			ctx[prefix+strings.ToLower(key)] = []string{value}
		}
	}
	return ctx
}

// refusedResource returns the first of resources that doc does not allow
// action on, each evaluated with the request's condition keys and that
// resource's own tags (tagsOf); "" if doc allows them all.
func refusedResource(doc policy.Document, action string, resources []string, request map[string][]string,
	tagsOf func(arn string) (map[string]string, error),
) (string, error) {
	for _, resource := range resources {
		tags, err := tagsOf(resource)
		if err != nil {
			return resource, err
		}
		if !AllowsRequest(doc, action, resource, resourceTagContext(request, tags)) {
			return resource, nil
		}
	}
	return "", nil
}

// ec2Tags returns the tags of the EC2 resource arn names, as moto holds
// them (for an instance of a group, moto's Auto Scaling tags it with
// aws:autoscaling:groupName at launch, as AWS does); none for "*" or a
// wildcard ARN, which name no one resource.
func ec2Tags(ctx context.Context, client *ec2.Client, arn string) (map[string]string, error) {
	_, id, found := strings.Cut(arn, "/")
	if !found || strings.ContainsAny(id, "*?") {
		return nil, nil
	}
	tags := map[string]string{}
	paginator := ec2.NewDescribeTagsPaginator(client, &ec2.DescribeTagsInput{
		Filters: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{id}}},
	})
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the tags of %s: %w", id, err)
		}
		for _, tag := range page.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	return tags, nil
}

// Allows reports whether doc allows action on resource for a request that
// carries no condition keys: some Allow statement matches, and no Deny
// statement does. Action names match without regard to case; "*" and "?"
// are wildcards, as in IAM.
func Allows(doc policy.Document, action, resource string) bool {
	return AllowsRequest(doc, action, resource, nil)
}

// AllowsRequest is Allows for a request whose condition keys are context
// (lower-case key names, each with its values). A statement matches only if
// its action, its resource and every one of its conditions match, as IAM
// evaluates them (see conditionsHold); a condition the harness cannot
// evaluate never matches, so the harness refuses rather than allows.
func AllowsRequest(doc policy.Document, action, resource string, context map[string][]string) bool {
	allowed := false
	for _, st := range doc.Statement {
		if !matchesAny(st.Action, action, true) || !matchesAny(st.Resource, resource, false) {
			continue
		}
		if !conditionsHold(st.Condition, context) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

// conditionsHold evaluates a statement's Condition block against a
// request's condition keys, as IAM does (IAM User Guide, "IAM JSON policy
// elements: Condition" and "Multivalued context keys"): every operator must
// hold, and within one every key; a key holds if the request's value
// matches any of the values listed. A single-valued operator fails when the
// request lacks the key; ForAllValues holds when it lacks it (there is no
// value that fails); ForAnyValue fails. Operators other than these fail:
// StringEquals, StringLike, Bool, and the ForAllValues: and ForAnyValue:
// forms of the first two.
func conditionsHold(condition map[string]map[string]any, context map[string][]string) bool {
	for operator, keys := range condition {
		set, base, _ := strings.Cut(operator, ":")
		if base == "" {
			set, base = "", operator
		}
		var match func(pattern, value string) bool
		switch base {
		case "StringEquals", "Bool":
			match = func(pattern, value string) bool {
				if base == "Bool" {
					return strings.EqualFold(pattern, value)
				}
				return pattern == value
			}
		case "StringLike":
			match = wildcardMatch
		default:
			return false
		}
		if base == "Bool" && set != "" {
			return false
		}
		for key, raw := range keys {
			patterns := conditionValues(raw)
			values := context[strings.ToLower(key)]
			matchesOne := func(value string) bool {
				return slices.ContainsFunc(patterns, func(p string) bool { return match(p, value) })
			}
			var holds bool
			switch set {
			case "":
				holds = len(values) == 1 && matchesOne(values[0])
			case "ForAllValues":
				holds = !slices.ContainsFunc(values, func(v string) bool { return !matchesOne(v) })
			case "ForAnyValue":
				holds = slices.ContainsFunc(values, matchesOne)
			default:
				return false
			}
			if !holds {
				return false
			}
		}
	}
	return true
}

// conditionValues returns a condition's value or values as strings.
func conditionValues(raw any) []string {
	switch v := raw.(type) {
	case string:
		return []string{v}
	case bool:
		return []string{fmt.Sprint(v)}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			out = append(out, fmt.Sprint(item))
		}
		return out
	}
	return []string{fmt.Sprint(raw)}
}

func matchesAny(patterns []string, value string, foldCase bool) bool {
	for _, p := range patterns {
		if foldCase {
			p, value = strings.ToLower(p), strings.ToLower(value)
		}
		if wildcardMatch(p, value) {
			return true
		}
	}
	return false
}

// wildcardMatch matches IAM's wildcards: "*" is any run of characters, "/"
// and ":" included, and "?" is any one character. Nothing else is special.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// autoscalingRequestResources returns the resource ARNs IAM authorizes for
// an Auto Scaling request (Service Authorization Reference): the
// autoScalingGroup for the lifecycle calls and SetInstanceHealth, "*" for
// Describe calls. groupARN returns a group's ARN by name; groupOf the group
// an instance belongs to. ok is false for actions it has no mapping for,
// and for SetInstanceHealth of an instance in no group, which Auto Scaling
// refuses before IAM matters.
func autoscalingRequestResources(action string, form url.Values, groupARN func(name string) string, groupOf func(instanceID string) (string, bool)) (resources []string, ok bool) {
	switch action {
	case "CompleteLifecycleAction", "RecordLifecycleActionHeartbeat":
		return []string{groupARN(form.Get("AutoScalingGroupName"))}, true
	case "SetInstanceHealth":
		// IAM authorizes the instance's group. An instance in no group the
		// harness finds gets the ARN of a group with no name, which no
		// policy allows: AWS refuses such a call too, and moto would let
		// it through.
		group, found := groupOf(form.Get("InstanceId"))
		if !found {
			group = ""
		}
		return []string{groupARN(group)}, true
	}
	if strings.HasPrefix(action, "Describe") {
		return []string{"*"}, true
	}
	return nil, false
}
