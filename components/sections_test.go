package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

func TestOptionalChildrenAreParentedToTheComponent(t *testing.T) {
	args := withParameters()
	args.Logs = &components.LogsArgs{RetentionDays: pulumi.IntRef(14)}
	d := mustDeploy(t, args)
	var seen int
	for _, r := range d.Monitor.Resources() {
		if r.Type != typeParameter && r.Type != typeLogGroup {
			continue
		}
		seen++
		if r.ParentType != components.TypeToken || !strings.HasPrefix(r.Name, testName+"-") {
			t.Errorf("%s %s: parent %q; want the component, and a name starting %q", r.Type, r.Name, r.ParentType, testName+"-")
		}
	}
	if seen != 4 {
		t.Errorf("saw %d parameters and log groups, want 3 and 1", seen)
	}
}
