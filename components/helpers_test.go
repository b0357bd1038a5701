package components_test

import (
	"encoding/json"
	"fmt"
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

const (
	testProject = "proj"
	testStack   = "test"
	testName    = "bastion"
)

// deployment is what one mock deployment of the component registered.
type deployment struct {
	t         *testing.T
	monitor   *fake.Monitor
	component *components.SelfHealingInstance
	outputs   map[string]any
}

// deploy runs NewSelfHealingInstance under the mock monitor against a fake
// account that shape may change first, and returns what it registered and
// the error the constructor returned.
func deploy(t *testing.T, args *components.SelfHealingInstanceArgs, shape ...func(*fake.Account)) (*deployment, error) {
	t.Helper()
	account := fake.NewAccount("eu-west-1")
	for _, f := range shape {
		f(account)
	}
	d := &deployment{t: t, monitor: fake.NewMonitor(account), outputs: map[string]any{}}
	var constructErr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		c, err := components.NewSelfHealingInstance(ctx, testName, args)
		if err != nil {
			constructErr = err
			return nil
		}
		d.component = c
		outputs := map[string]pulumi.StringOutput{
			"publicIp": c.PublicIP, "publicDns": c.PublicDNS, "allocationId": c.AllocationID,
			"autoScalingGroupName": c.AutoScalingGroupName, "launchTemplateId": c.LaunchTemplateID,
			"instanceRoleArn": c.InstanceRoleArn, "securityGroupId": c.SecurityGroupID,
			"dataVolumeId": c.DataVolumeID,
			"url":          c.URL, "notificationTopicArn": c.NotificationTopicArn,
		}
		// Await each output here, in the program: an apply would race the
		// end of the run for outputs that no resource backs.
		for name, output := range outputs {
			result, err := internals.UnsafeAwaitOutput(ctx.Context(), output)
			if err != nil {
				return err
			}
			d.outputs[name] = result.Value
		}
		return nil
	}, pulumi.WithMocks(testProject, testStack, d.monitor))
	if err != nil {
		t.Fatalf("running the program: %v", err)
	}
	return d, constructErr
}

// runNamed runs NewSelfHealingInstance with default arguments under name,
// and returns the constructor's error.
func runNamed(t *testing.T, name string) error {
	t.Helper()
	var constructErr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, constructErr = components.NewSelfHealingInstance(ctx, name, nil)
		return nil
	}, pulumi.WithMocks(testProject, testStack, fake.NewMonitor(fake.NewAccount("eu-west-1"))))
	if err != nil {
		t.Fatalf("running the program: %v", err)
	}
	return constructErr
}

// mustDeploy is deploy for arguments that must be accepted.
func mustDeploy(t *testing.T, args *components.SelfHealingInstanceArgs, shape ...func(*fake.Account)) *deployment {
	t.Helper()
	d, err := deploy(t, args, shape...)
	if err != nil {
		t.Fatalf("NewSelfHealingInstance: %v", err)
	}
	return d
}

// one returns the single registered resource of a type, failing otherwise.
func (d *deployment) one(typeToken string) fake.Resource {
	d.t.Helper()
	found := d.monitor.ByType(typeToken)
	if len(found) != 1 {
		d.t.Fatalf("want exactly one %s, got %d", typeToken, len(found))
	}
	return found[0]
}

// inputs returns a resource's inputs as plain Go values.
func inputs(r fake.Resource) map[string]any {
	m, _ := synth.Plain(resource.NewProperty(r.Inputs)).(map[string]any)
	return m
}

// launchTemplate returns the launch template's inputs.
func (d *deployment) launchTemplate() map[string]any {
	return inputs(d.one("aws:ec2/launchTemplate:LaunchTemplate"))
}

// group returns the Auto Scaling group's inputs.
func (d *deployment) group() map[string]any {
	return inputs(d.one("aws:autoscaling/group:Group"))
}

// bootScript decodes the launch template's user data.
func (d *deployment) bootScript() string {
	d.t.Helper()
	encoded, _ := d.launchTemplate()["userData"].(string)
	script, err := userdata.Decode(encoded)
	if err != nil {
		d.t.Fatalf("userData: %v", err)
	}
	return script
}

// rolePolicy parses the instance role's inline policy.
func (d *deployment) rolePolicy() policy.Document {
	d.t.Helper()
	return parsePolicy(d.t, inputs(d.one("aws:iam/rolePolicy:RolePolicy"))["policy"])
}

func parsePolicy(t *testing.T, raw any) policy.Document {
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
