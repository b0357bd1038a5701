// Package synth runs the real program offline, under Pulumi's mock monitor
// with a fake AWS account, and reports every resource it would create with
// its inputs. It needs no AWS account and no Pulumi CLI.
package synth

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/programrun"
	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
)

// Report is what a synth run found. It marshals to the JSON that
// `synth --json` prints.
type Report struct {
	Project   string         `json:"project"`
	Stack     string         `json:"stack"`
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
	Account   fake.Account   `json:"-"`
}

// Resource is one resource the program registers.
type Resource struct {
	Type string `json:"type"`
	Name string `json:"name"`
	// Parent is the type token of the resource's parent, empty for none.
	Parent string         `json:"parent"`
	Inputs map[string]any `json:"inputs"`
}

// Secret replaces every secret value in a Report.
const Secret = stackconfig.SecretPlaceholder

// Run runs the program in dir for stack, as `pulumi preview` would, and
// reports what it registers.
func Run(dir, stack string) (*Report, error) {
	cfg, err := stackconfig.Load(dir, stack)
	if err != nil {
		return nil, err
	}
	region := cfg.Config["aws:region"]
	if region == "" {
		return nil, fmt.Errorf("%s: aws:region is not set; set it with `pulumi config set aws:region us-east-1 --stack %s`", cfg.StackFile, stack)
	}
	account := fake.NewAccount(region)
	monitor := fake.NewMonitor(account)

	exports, err := programrun.Run(cfg, monitor, programrun.Preview)
	if err != nil {
		return nil, err
	}
	report := &Report{Project: cfg.Project, Stack: stack, Outputs: exports, Account: *account}
	for _, r := range monitor.Resources() {
		inputs, _ := Plain(resource.NewProperty(r.Inputs)).(map[string]any)
		report.Resources = append(report.Resources, Resource{Type: r.Type, Name: r.Name, Parent: r.ParentType, Inputs: inputs})
	}
	return report, nil
}

// Plain converts a Pulumi property value to plain JSON-able Go values:
// unknowns become nil, and secrets become Secret.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsComputed():
		return nil
	case v.IsOutput():
		out := v.OutputValue()
		switch {
		case !out.Known:
			return nil
		case out.Secret:
			return Secret
		}
		return Plain(out.Element)
	case v.IsSecret():
		return Secret
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		out := []any{}
		for _, e := range v.ArrayValue() {
			out = append(out, Plain(e))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = Plain(e)
		}
		return out
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return fmt.Sprintf("[%s]", v.TypeString())
}
