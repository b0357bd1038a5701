// Package deploytest runs the component under the fake account's mock
// monitor and reads back what it registered: the one copy of the
// deployment helpers that the component's tests share, beside the
// component (components/) and in the test lab (lab/components/).
package deploytest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// Where every deployment runs: the project, the stack and the region of
// the fake account.
const (
	Project = "proj"
	Stack   = "test"
	Region  = "eu-west-1"
)

// Deployment is what one mock deployment of the component registered.
type Deployment struct {
	T         *testing.T
	Monitor   *fake.Monitor
	Component *components.SelfHealingInstance
	// Outputs are the component's outputs by their pulumi tags, awaited.
	Outputs map[string]any
}

// Deploy runs NewSelfHealingInstance as name under the mock monitor,
// against a fake account that shape may change first, and returns what it
// registered and the error the constructor returned. A failure of the
// program itself fails the test.
func Deploy(t *testing.T, name string, args *components.SelfHealingInstanceArgs, shape ...func(*fake.Account)) (*Deployment, error) {
	t.Helper()
	account := fake.NewAccount(Region)
	for _, f := range shape {
		f(account)
	}
	d := &Deployment{T: t, Monitor: fake.NewMonitor(account), Outputs: map[string]any{}}
	var constructErr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		c, err := components.NewSelfHealingInstance(ctx, name, args)
		if err != nil {
			constructErr = err
			return nil
		}
		d.Component = c
		// Await each output here, in the program: an apply would race the
		// end of the run for outputs that no resource backs.
		for tag, output := range c.Outputs() {
			result, err := internals.UnsafeAwaitOutput(ctx.Context(), output)
			if err != nil {
				return err
			}
			d.Outputs[tag] = result.Value
		}
		return nil
	}, pulumi.WithMocks(Project, Stack, d.Monitor))
	if err != nil {
		t.Fatalf("running the program: %v", err)
	}
	return d, constructErr
}

// MustDeploy is Deploy for arguments that must be accepted.
func MustDeploy(t *testing.T, name string, args *components.SelfHealingInstanceArgs, shape ...func(*fake.Account)) *Deployment {
	t.Helper()
	d, err := Deploy(t, name, args, shape...)
	if err != nil {
		t.Fatalf("NewSelfHealingInstance: %v", err)
	}
	return d
}

// One returns the single registered resource of a type, failing otherwise.
func (d *Deployment) One(typeToken string) fake.Resource {
	d.T.Helper()
	found := d.Monitor.ByType(typeToken)
	if len(found) != 1 {
		d.T.Fatalf("want exactly one %s, got %d", typeToken, len(found))
	}
	return found[0]
}

// Inputs returns a resource's inputs as plain Go values.
func Inputs(r fake.Resource) map[string]any {
	m, _ := synth.Plain(resource.NewProperty(r.Inputs)).(map[string]any)
	return m
}

// LaunchTemplate returns the launch template's inputs.
func (d *Deployment) LaunchTemplate() map[string]any {
	return Inputs(d.One("aws:ec2/launchTemplate:LaunchTemplate"))
}

// Group returns the Auto Scaling group's inputs.
func (d *Deployment) Group() map[string]any {
	return Inputs(d.One("aws:autoscaling/group:Group"))
}

// BootScript decodes the launch template's user data.
func (d *Deployment) BootScript() string {
	d.T.Helper()
	encoded, _ := d.LaunchTemplate()["userData"].(string)
	script, err := userdata.Decode(encoded)
	if err != nil {
		d.T.Fatalf("userData: %v", err)
	}
	return script
}

// RolePolicy parses the instance role's inline policy.
func (d *Deployment) RolePolicy() policy.Document {
	d.T.Helper()
	return ParsePolicy(d.T, Inputs(d.One("aws:iam/rolePolicy:RolePolicy"))["policy"])
}

// ParsePolicy parses a policy input, which must be a JSON policy document
// with no field the document type lacks.
func ParsePolicy(t *testing.T, raw any) policy.Document {
	t.Helper()
	text, ok := raw.(string)
	if !ok {
		t.Fatalf("policy is %T, want a JSON string", raw)
	}
	var doc policy.Document
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("policy is not a policy document: %v\n%s", err, text)
	}
	return doc
}

// Statement returns the policy's statement with sid, failing if absent.
func Statement(t *testing.T, doc policy.Document, sid string) policy.Statement {
	t.Helper()
	for _, st := range doc.Statement {
		if st.Sid == sid {
			return st
		}
	}
	t.Fatalf("the policy has no statement %s: %+v", sid, doc.Statement)
	return policy.Statement{}
}
