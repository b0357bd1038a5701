package components

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"

	"github.com/selfhealing-dev/selfhealing/internal/policy"
)

// maxGroupNameLength is EC2 Auto Scaling's limit on group names.
const maxGroupNameLength = 255

var groupNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// AutoScalingGroupName returns the group name for a component in a stack:
// "<project>-<stack>-<component>", with characters outside [A-Za-z0-9._-]
// replaced by "-". It is a pure function of its arguments, so IAM policies
// that need the group's ARN can be written before the group exists. A name
// over 255 characters is cut and ends in a hash of the whole, so distinct
// inputs keep distinct names.
func AutoScalingGroupName(project, stack, component string) string {
	full := project + "-" + stack + "-" + component
	name := groupNameUnsafe.ReplaceAllString(full, "-")
	if len(name) <= maxGroupNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(full))
	suffix := "-" + hex.EncodeToString(sum[:])[:16]
	return name[:maxGroupNameLength-len(suffix)] + suffix
}

// AutoScalingGroupTagKey is the tag EC2 Auto Scaling puts on every instance
// it launches, with the group's name (AutoScalingGroupName) as its value;
// nobody can add, edit or delete it. Key your own policies on it to grant
// something to this group's instances only, as the instance role does.
const AutoScalingGroupTagKey = policy.AutoScalingGroupTagKey
