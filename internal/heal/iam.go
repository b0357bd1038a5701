package heal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/testenv"
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
	case "DisassociateAddress", "ReleaseAddress":
		return []string{arn("elastic-ip", "*")}, true
	case "DescribeAddresses", "DescribeInstances", "DescribeTags", "DescribeVolumes", "DescribeInstanceStatus":
		// No resource-level permissions: IAM authorizes "*".
		return []string{"*"}, true
	}
	return nil, false
}

// authorize is the API proxy's inspector. moto's IAM enforcement checks that
// some statement allows the action, but ignores resources; this checks, for
// every EC2 request an instance makes that the harness maps to resources,
// that the policy as the program wrote it allows the action on each
// resource the request touches, as IAM would. Other requests are left to
// moto's enforcement.
func (l *Lab) authorize(action string, form url.Values) *testenv.APIError {
	if form.Get("Version") == autoscalingAPIVersion {
		return l.authorizeAutoScaling(action, form)
	}
	resources, ok := l.requestResources(action, form)
	if !ok {
		// Not an action the harness maps: moto's own enforcement decides,
		// on the action, as it does for every request.
		return nil
	}
	for _, resource := range resources {
		if !Allows(l.Policy, "ec2:"+action, resource) {
			return &testenv.APIError{Status: 403, Code: "UnauthorizedOperation",
				Message: fmt.Sprintf("You are not authorized to perform this operation. (harness: the instance policy does not allow ec2:%s on %s)", action, resource)}
		}
	}
	return nil
}

// Allows reports whether doc allows action on resource: some Allow statement
// matches both, and no Deny statement does. Action names match without
// regard to case; "*" and "?" are wildcards, as in IAM.
func Allows(doc components.PolicyDocument, action, resource string) bool {
	allowed := false
	for _, st := range doc.Statement {
		if !matchesAny(st.Action, action, true) || !matchesAny(st.Resource, resource, false) {
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
