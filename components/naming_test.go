package components_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
)

func TestAutoScalingGroupName(t *testing.T) {
	for _, tc := range []struct{ project, stack, component, want string }{
		{"selfhealing", "dev", "instance", "selfhealing-dev-instance"},
		{"my app", "org/prod", "web:1", "my-app-org-prod-web-1"},
	} {
		if got := components.AutoScalingGroupName(tc.project, tc.stack, tc.component); got != tc.want {
			t.Errorf("AutoScalingGroupName(%q, %q, %q) = %q, want %q", tc.project, tc.stack, tc.component, got, tc.want)
		}
	}

	long := strings.Repeat("p", 200)
	a := components.AutoScalingGroupName(long, "stack-a", strings.Repeat("c", 100))
	b := components.AutoScalingGroupName(long, "stack-b", strings.Repeat("c", 100))
	if len(a) != 255 || len(b) != 255 {
		t.Errorf("long names are %d and %d characters, want 255", len(a), len(b))
	}
	if a == b {
		t.Errorf("two stacks share the group name %q", a)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9._-]+$`).MatchString(a) {
		t.Errorf("%q has characters outside [A-Za-z0-9._-]", a)
	}
}
