package heallab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfhealing-dev/selfhealing/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
)

// requestResources returns the resource ARNs that IAM authorizes for an EC2
// query request, per the Service Authorization Reference. ok is false for
// actions the harness has no mapping for.
func (l *Lab) requestResources(action string, form url.Values) (resources []string, ok bool) {
	return ec2RequestResources(l.monitor.Partition(), l.Region, l.monitor.AccountID(), action, form)
}

// ec2RequestResources is requestResources for an account and region.
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
	case "DescribeAddresses", "DescribeInstances", "DescribeTags", "DescribeVolumes", "DescribeInstanceStatus":
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
// them (for an instance of the group, moto's Auto Scaling tags it with
// aws:autoscaling:groupName at launch, as AWS does); none for "*" or a
// wildcard ARN, which name no one resource.
func (l *Lab) ec2Tags(arn string) (map[string]string, error) {
	_, id, found := strings.Cut(arn, "/")
	if !found || strings.ContainsAny(id, "*?") {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tags := map[string]string{}
	paginator := ec2.NewDescribeTagsPaginator(l.ec2(), &ec2.DescribeTagsInput{
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

// authorize is the API proxy's inspector. moto's IAM enforcement checks that
// some statement allows the action, but ignores resources and all but a few
// conditions; this checks, for every EC2 request an instance makes that the
// harness maps to resources, that the policy as the program wrote it allows
// the action on each resource the request touches, with that resource's
// tags as its condition keys, as IAM would. Other requests are left to
// moto's enforcement.
func (l *Lab) authorize(action string, form url.Values) *emulator.APIError {
	if form.Get("Version") == autoscalingAPIVersion {
		return l.authorizeAutoScaling(action, form)
	}
	resources, ok := l.requestResources(action, form)
	if !ok {
		// Not an action the harness maps: moto's own enforcement decides,
		// on the action, as it does for every request.
		return nil
	}
	refused, err := refusedResource(l.Policy, "ec2:"+action, resources, ec2RequestContext(action, form), l.ec2Tags)
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

func jsonStrict(text string, out any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}
