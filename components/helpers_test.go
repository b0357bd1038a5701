package components_test

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/deploytest"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
)

const (
	testProject = deploytest.Project
	testStack   = deploytest.Stack
	testName    = "bastion"
)

// deployment is what one mock deployment of the component registered
// (internal/deploytest, which the test lab's component tests share).
type deployment = deploytest.Deployment

// deploy runs NewSelfHealingInstance as testName under the mock monitor
// against a fake account that shape may change first, and returns what it
// registered and the error the constructor returned.
func deploy(t *testing.T, args *components.SelfHealingInstanceArgs, shape ...func(*fake.Account)) (*deployment, error) {
	t.Helper()
	return deploytest.Deploy(t, testName, args, shape...)
}

// runNamed runs NewSelfHealingInstance with default arguments under name,
// and returns the constructor's error.
func runNamed(t *testing.T, name string) error {
	t.Helper()
	_, err := deploytest.Deploy(t, name, nil)
	return err
}

// mustDeploy is deploy for arguments that must be accepted.
func mustDeploy(t *testing.T, args *components.SelfHealingInstanceArgs, shape ...func(*fake.Account)) *deployment {
	t.Helper()
	return deploytest.MustDeploy(t, testName, args, shape...)
}

// inputs returns a resource's inputs as plain Go values.
func inputs(r fake.Resource) map[string]any { return deploytest.Inputs(r) }

// statement returns the policy's statement with sid, failing if absent.
func statement(t *testing.T, doc policy.Document, sid string) policy.Statement {
	return deploytest.Statement(t, doc, sid)
}

// parsePolicy parses a policy input as a policy document.
func parsePolicy(t *testing.T, raw any) policy.Document { return deploytest.ParsePolicy(t, raw) }

// path walks nested maps and slices: path(m, "metadataOptions", "httpTokens"),
// path(m, "networkInterfaces", 0, "deviceIndex").
func path(v any, steps ...any) any {
	for _, step := range steps {
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[s]
		case int:
			a, ok := v.([]any)
			if !ok || s >= len(a) {
				return nil
			}
			v = a[s]
		}
	}
	return v
}

func intPtr(i int) *int { return &i }

// show prints an optional argument for a test's message: its value, or
// "unset".
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func plainOutputs(r fake.Resource) any {
	return synth.Plain(resource.NewProperty(r.Outputs))
}
