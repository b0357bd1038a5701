package components

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

var (
	instanceTypePattern  = regexp.MustCompile(`^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9-]+$`)
	amiIDPattern         = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)
	subnetIDPattern      = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	ruleDescriptionChars = regexp.MustCompile(`^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$`)
	// componentNamePattern keeps the names Pulumi derives from the
	// component's (role "<name>-role-1a2b3c4", launch template
	// "<name>-lt-…") within what IAM and EC2 accept: their common
	// characters, and IAM's 64-character limit on role names.
	componentNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,50}$`)
)

// validateName checks the component's name, which child resource names
// start with.
func validateName(name string) error {
	if !componentNamePattern.MatchString(name) {
		return fmt.Errorf("name %q: want 1 to 51 of A-Z a-z 0-9 . _ -, starting with a letter or digit; "+
			"the instance role is named after it, and IAM allows only those characters and 64 in all", name)
	}
	return nil
}

// sshPort is refused in ingress rules: Session Manager replaces SSH.
const sshPort = 22

// maxUserTags leaves room, under EC2's 50 tags per resource, for the tags
// the component adds itself.
const maxUserTags = 45

// validate checks every field of a (after defaults), in project, and
// returns all problems at once, each naming the field, the value, and what
// is allowed.
func (a SelfHealingInstanceArgs) validate(project string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !instanceTypePattern.MatchString(a.InstanceType) {
		bad("instanceType %q: want an EC2 instance type such as t3.micro or m7g.large", a.InstanceType)
	}
	if a.AmiID != "" && !amiIDPattern.MatchString(a.AmiID) {
		bad("amiId %q: want an AMI id such as ami-0123456789abcdef0, or empty for the latest Amazon Linux 2023", a.AmiID)
	}

	if ids, known := knownStringArray(a.SubnetIDs); known && a.SubnetIDs != nil {
		errs = append(errs, checkSubnetIDs(ids))
	}
	for i, rule := range a.Ingress {
		errs = append(errs, rule.validate(fmt.Sprintf("ingress[%d]", i))...)
	}
	if id, known := knownString(a.AllocationID); known {
		errs = append(errs, checkAllocationID(id))
	}
	if isSet(a.AllocationID) && a.RetainOnDelete {
		bad("retainOnDelete: applies only to an Elastic IP the component allocates; an existing allocationId is never released")
	}
	if hops := *a.MetadataHopLimit; hops < 1 || hops > 64 {
		bad("metadataHopLimit %d: want 1 to 64 (1 keeps credentials on the host; containers need 2)", hops)
	}
	if grace := *a.HealthCheckGracePeriodSeconds; grace < 0 {
		bad("healthCheckGracePeriodSeconds %d: want 0 or more seconds", grace)
	}
	if a.RootVolumeSizeGiB < 0 || a.RootVolumeSizeGiB > 16384 {
		bad("rootVolumeSizeGiB %d: want 1 to 16384 GiB for gp3, or 0 for the image's own size", a.RootVolumeSizeGiB)
	}
	if a.DataVolume != nil {
		errs = append(errs, a.DataVolume.validate()...)
	}
	if a.NetworkInterface != nil {
		errs = append(errs, a.NetworkInterface.validate(a.SubnetIDs)...)
	}
	if tags, known := knownStringMap(a.Tags); known {
		errs = append(errs, validateTags(tags)...)
	}
	errs = append(errs, a.DNS.validate()...)
	errs = append(errs, a.Schedule.validate()...)
	errs = append(errs, a.Notifications.validate()...)
	errs = append(errs, a.validateAlarms()...)
	errs = append(errs, a.validateHealing()...)
	errs = append(errs, a.validateSections(project)...)
	return errors.Join(errs...)
}

func (r IngressRule) validate(field string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(field+"."+format, args...)) }

	switch r.Protocol {
	case "tcp", "udp":
		if r.FromPort < 0 || r.ToPort > 65535 || r.FromPort > r.ToPort {
			bad("fromPort/toPort %d-%d: want 0 <= fromPort <= toPort <= 65535", r.FromPort, r.ToPort)
		} else if r.Protocol == "tcp" && r.FromPort <= sshPort && sshPort <= r.ToPort {
			bad("fromPort/toPort %d-%d: includes SSH port 22, which this component never opens; connect with Session Manager instead", r.FromPort, r.ToPort)
		}
	case "icmp":
		if r.FromPort < -1 || r.FromPort > 255 || r.ToPort < -1 || r.ToPort > 255 {
			bad("fromPort/toPort %d/%d: for icmp want an ICMP type and code from 0 to 255, or -1 for all", r.FromPort, r.ToPort)
		}
	default:
		bad("protocol %q: %s", r.Protocol, protocolProblem(r.Protocol))
	}

	if cidrs, known := knownStringArray(r.CidrBlocks); known {
		errs = append(errs, cidrBlocksRule(field)(cidrs))
	}
	if len(r.Description) > 255 || !ruleDescriptionChars.MatchString(r.Description) {
		bad("description %q: want at most 255 of a-z A-Z 0-9 space and ._-:/()#,@[]+=&;{}!$*", r.Description)
	}
	return errs
}

// ingressProtocols are the protocols an ingress rule may name: all
// protocols ("-1" or "all" to EC2) would open SSH's port 22.
var ingressProtocols = []string{"tcp", "udp", "icmp"}

// protocolProblem says what is wrong with an ingress protocol that is not
// one of ingressProtocols.
func protocolProblem(protocol string) string {
	lower := strings.ToLower(protocol)
	switch {
	case slices.Contains(ingressProtocols, lower):
		return fmt.Sprintf("use lowercase %q", lower)
	case lower == "-1" || lower == "all":
		return "want tcp, udp or icmp; all protocols would open SSH's port 22"
	}
	return "want tcp, udp or icmp"
}

// checkSubnetIDs is subnetIds' rule, for a literal list and for an output.
func checkSubnetIDs(ids []string) error {
	if len(ids) == 0 {
		return errors.New("subnetIds: the list is empty; give at least one subnet id, or leave it unset for the default VPC's default subnets")
	}
	var errs []error
	seen := map[string]bool{}
	for i, id := range ids {
		switch {
		case !subnetIDPattern.MatchString(id):
			errs = append(errs, fmt.Errorf("subnetIds[%d] %q: want a subnet id such as subnet-0123456789abcdef0", i, id))
		case seen[id]:
			errs = append(errs, fmt.Errorf("subnetIds[%d] %q: listed twice", i, id))
		}
		seen[id] = true
	}
	return errors.Join(errs...)
}

// checkAllocationID is allocationId's rule; "" means "allocate one".
func checkAllocationID(id string) error {
	if msg := userdata.AllocationIDProblem(id); id != "" && msg != "" {
		return fmt.Errorf("allocationId %q: %s, or leave it unset to allocate one", id, msg)
	}
	return nil
}

// cidrBlocksRule is an ingress rule's cidrBlocks rule.
func cidrBlocksRule(field string) func([]string) error {
	return func(cidrs []string) error {
		if len(cidrs) == 0 {
			return fmt.Errorf("%s.cidrBlocks: the list is empty; give at least one CIDR block such as 203.0.113.0/24", field)
		}
		var errs []error
		for i, cidr := range cidrs {
			prefix, err := netip.ParsePrefix(cidr)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s.cidrBlocks[%d] %q: not a CIDR block; want one such as 203.0.113.0/24 or 2001:db8::/32", field, i, cidr))
			case prefix.Masked() != prefix:
				errs = append(errs, fmt.Errorf("%s.cidrBlocks[%d] %q: has host bits set; EC2 wants the network address %s", field, i, cidr, prefix.Masked()))
			}
		}
		return errors.Join(errs...)
	}
}

func isIPv6(cidr string) bool {
	prefix, err := netip.ParsePrefix(cidr)
	return err == nil && prefix.Addr().Is6()
}

func validateTags(tags map[string]string) []error {
	var errs []error
	if len(tags) > maxUserTags {
		errs = append(errs, fmt.Errorf("tags: %d tags; want at most %d, since EC2 allows 50 per resource and the component adds its own", len(tags), maxUserTags))
	}
	for _, key := range slices.Sorted(maps.Keys(tags)) {
		value := tags[key]
		switch {
		case key == "" || len(key) > 128:
			errs = append(errs, fmt.Errorf("tags key %q: want 1 to 128 characters", key))
		case strings.HasPrefix(strings.ToLower(key), "aws:"):
			errs = append(errs, fmt.Errorf("tags key %q: the aws: prefix is reserved for AWS", key))
		case len(value) > 256:
			errs = append(errs, fmt.Errorf("tags[%q]: value is %d characters; want at most 256", key, len(value)))
		}
	}
	return errs
}
