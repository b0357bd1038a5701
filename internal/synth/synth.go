// Package synth runs the real program offline, under Pulumi's mock monitor
// with a fake AWS account, and reports every resource it would create with
// its inputs. It needs no AWS account and no Pulumi CLI.
package synth

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/selfhealing-dev/selfhealing/internal/fakeaws"
	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
	"github.com/selfhealing-dev/selfhealing/program"
)

// Report is what a synth run found. It marshals to the JSON that
// `synth --json` prints.
type Report struct {
	Project   string          `json:"project"`
	Stack     string          `json:"stack"`
	Resources []Resource      `json:"resources"`
	Outputs   map[string]any  `json:"outputs"`
	Account   fakeaws.Account `json:"-"`
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
	account := fakeaws.NewAccount(region)
	monitor := fakeaws.NewMonitor(account)

	report := &Report{Project: cfg.Project, Stack: stack, Outputs: map[string]any{}, Account: *account}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		exports, err := program.Deploy(ctx)
		if err != nil {
			return err
		}
		for name, output := range exports {
			value, err := awaitPlain(ctx.Context(), output)
			if err != nil {
				return fmt.Errorf("resolving output %s: %w", name, err)
			}
			report.Outputs[name] = value
		}
		return nil
	}, pulumi.WithMocks(cfg.Project, stack, monitor), asPreview(cfg))
	if err != nil {
		return nil, fmt.Errorf("running the program for stack %s: %w", stack, err)
	}

	for _, r := range monitor.Resources() {
		inputs, _ := Plain(resource.NewProperty(r.Inputs)).(map[string]any)
		report.Resources = append(report.Resources, Resource{Type: r.Type, Name: r.Name, Parent: r.ParentType, Inputs: inputs})
	}
	return report, nil
}

// asPreview gives the program the stack's configuration and runs it as a
// preview, so values only a real deployment knows stay unknown.
func asPreview(cfg *stackconfig.Stack) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config = cfg.Config
		info.ConfigSecretKeys = cfg.SecretKeys
		info.DryRun = true
	}
}

func awaitPlain(ctx context.Context, output pulumi.Output) (any, error) {
	result, err := internals.UnsafeAwaitOutput(ctx, output)
	switch {
	case err != nil:
		return nil, err
	case !result.Known:
		return nil, nil
	case result.Secret:
		return Secret, nil
	}
	return result.Value, nil
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
