// Package synth runs the real program offline, as `pulumi preview` would,
// under Pulumi's mock monitor with a fake AWS account, and reports every
// resource it would create with its options and inputs. It needs no AWS
// account and no Pulumi CLI.
//
// A preview knows no resource's id, address or generated name: the fake
// account invents them so that the program can run, and the report shows
// each of them, wherever it appears (inside the IAM policy and the boot
// script too), as [Unknown].
package synth

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/record"
	"github.com/selfhealing-dev/selfhealing/internal/programrun"
	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
	"github.com/selfhealing-dev/selfhealing/userdata"
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
	Parent string `json:"parent"`
	// URN and ParentURN place the resource in the tree.
	URN       string `json:"urn"`
	ParentURN string `json:"parentUrn"`
	// Options are the resource options that change what `pulumi up` and
	// `pulumi destroy` do with it.
	Options Options `json:"options"`
	// Inputs are the registered inputs, with Unknown for what only a
	// deployment knows and Secret for secrets.
	Inputs map[string]any `json:"inputs"`
	// BootScript is the userData input, decoded, when there is one.
	BootScript *BootScript `json:"bootScript,omitempty"`
}

// Options are a resource's options; one not listed is off.
type Options struct {
	Protect             bool     `json:"protect,omitempty"`
	RetainOnDelete      bool     `json:"retainOnDelete,omitempty"`
	DeleteBeforeReplace bool     `json:"deleteBeforeReplace,omitempty"`
	IgnoreChanges       []string `json:"ignoreChanges,omitempty"`
	ReplaceOnChanges    []string `json:"replaceOnChanges,omitempty"`
	// DependsOn lists, as "type name", the resources this one waits for
	// beyond those its inputs come from.
	DependsOn []string `json:"dependsOn,omitempty"`
	Aliases   []string `json:"aliases,omitempty"`
}

// BootScript is a launch template's user data, decoded.
type BootScript struct {
	// UserDataBytes is the size EC2 counts against its user-data limit,
	// userdata.MaxBytes: the gzip-compressed script, before base64.
	UserDataBytes int `json:"userDataBytes"`
	// ScriptBytes is the size of the script the instance runs.
	ScriptBytes int `json:"scriptBytes"`
	// Text is the script, with Unknown for what only a deployment knows.
	Text string `json:"text"`
}

// Secret replaces every secret value in a Report.
const Secret = stackconfig.SecretPlaceholder

// Unknown replaces every value in a Report that only a deployment knows,
// as `pulumi preview` shows it.
const Unknown = "[unknown]"

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
	records := monitor.Resources()
	unknown := newInventions(records)
	report := &Report{Project: cfg.Project, Stack: stack, Resources: resources(records, unknown), Outputs: map[string]any{}, Account: *account}
	for name, value := range exports {
		if value == nil {
			// programrun resolves an unknown output to nil; the program
			// exports no null.
			value = Unknown
		}
		report.Outputs[name] = unknown.mark(value)
	}
	return report, nil
}

// Resources converts what a monitor recorded into a report's resources, as
// Run does: a program run by other means (the component provider, say)
// reports the same.
func Resources(records []record.Resource) []Resource {
	return resources(records, newInventions(records))
}

func resources(records []record.Resource, unknown *inventions) []Resource {
	// Pulumi registers resources concurrently, so the monitor's order
	// changes from run to run; type and name order does not.
	records = slices.Clone(records)
	slices.SortStableFunc(records, func(a, b record.Resource) int {
		return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name))
	})
	out := make([]Resource, 0, len(records))
	for _, r := range records {
		inputs, _ := unknown.mark(plain(resource.NewProperty(r.Inputs), Unknown)).(map[string]any)
		res := Resource{
			Type: r.Type, Name: r.Name, Parent: r.ParentType, URN: r.URN, ParentURN: r.ParentURN,
			Options: options(r), Inputs: inputs,
		}
		if b64, ok := r.Inputs["userData"]; ok && b64.IsString() {
			if script, err := userdata.Decode(b64.StringValue()); err == nil {
				res.BootScript = &BootScript{
					UserDataBytes: base64.StdEncoding.DecodedLen(len(b64.StringValue())) - strings.Count(b64.StringValue(), "="),
					ScriptBytes:   len(script), Text: unknown.markString(script),
				}
				if res.BootScript.Text != script {
					// The base64 holds what the marks replaced; a preview
					// knows it no more than they.
					inputs["userData"] = Unknown
				}
			}
		}
		out = append(out, res)
	}
	return out
}

// options reads r's resource options. Its explicit dependencies are those
// no input implies: the SDK sends the union.
func options(r record.Resource) Options {
	implied := map[string]bool{}
	for _, urns := range r.PropertyDependencies {
		for _, urn := range urns {
			implied[urn] = true
		}
	}
	o := Options{
		Protect: r.Protect, RetainOnDelete: r.RetainOnDelete, DeleteBeforeReplace: r.DeleteBeforeReplace,
		IgnoreChanges: r.IgnoreChanges, ReplaceOnChanges: r.ReplaceOnChanges, Aliases: r.Aliases,
	}
	for _, urn := range r.Dependencies {
		if !implied[urn] && urn != r.ParentURN {
			u := resource.URN(urn)
			o.DependsOn = append(o.DependsOn, string(u.Type())+" "+u.Name())
		}
	}
	return o
}

// Plain converts a Pulumi property value to plain JSON-able Go values:
// unknowns become nil, and secrets become Secret.
func Plain(v resource.PropertyValue) any {
	return plain(v, nil)
}

// plain is Plain with unknown for unknowns.
func plain(v resource.PropertyValue, unknown any) any {
	switch {
	case v.IsComputed():
		return unknown
	case v.IsOutput():
		out := v.OutputValue()
		switch {
		case !out.Known:
			return unknown
		case out.Secret:
			return Secret
		}
		return plain(out.Element, unknown)
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
			out = append(out, plain(e, unknown))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = plain(e, unknown)
		}
		return out
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return fmt.Sprintf("[%s]", v.TypeString())
}
