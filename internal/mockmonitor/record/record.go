// Package record records what a Pulumi program registers with a mock
// resource monitor (pulumi.WithMocks), so tests, offline synth and the
// end-to-end harness can inspect it. Both of the project's monitors,
// internal/mockmonitor/fake and internal/mockmonitor/moto, keep their registrations here.
package record

import (
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Resource is one resource registration a monitor saw.
type Resource struct {
	// Type is the resource's type token, such as "aws:ec2/eip:Eip".
	Type string
	// Name is its logical name.
	Name string
	// ParentType is the type token of its parent, empty for the stack.
	ParentType string
	// ParentURN is its parent's URN: the stack's for a top-level resource.
	ParentURN string
	// ID is the physical id the monitor gave it, empty for components.
	ID string
	// Custom is false for component resources, which exist only in Pulumi.
	Custom bool
	// Inputs are the registered inputs, exactly as the program set them,
	// with unknowns and secrets as Pulumi marks them.
	Inputs resource.PropertyMap
	// Outputs are the inputs plus the attributes the monitor computed.
	Outputs resource.PropertyMap
	// Dependencies are the URNs of explicit and implicit dependencies.
	Dependencies []string
	// PropertyDependencies are the implicit ones: for each input, the URNs
	// of the resources its value came from.
	PropertyDependencies map[string][]string
	// URN is the resource's own URN.
	URN string
	// RetainOnDelete, Protect and DeleteBeforeReplace report those
	// resource options.
	RetainOnDelete, Protect, DeleteBeforeReplace bool
	// IgnoreChanges lists the properties the ignoreChanges option names.
	IgnoreChanges []string
	// ReplaceOnChanges lists the properties the replaceOnChanges option names.
	ReplaceOnChanges []string
	// Aliases are the resource's former identities, each as a URN or as
	// the alias's fields.
	Aliases []string
	// Adjustments describe where what the monitor's backend got differs
	// from the inputs, and why. Empty means it got exactly the inputs.
	Adjustments []string
}

// FromArgs returns the registration args describes, without ID or Outputs,
// which the monitor decides.
func FromArgs(args pulumi.MockResourceArgs) Resource {
	r := Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		ID:     args.ID,
		Custom: args.Custom,
		Inputs: args.Inputs,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		r.ParentType = TypeOfURN(rpc.GetParent())
		r.ParentURN = rpc.GetParent()
		r.Dependencies = rpc.GetDependencies()
		for key, deps := range rpc.GetPropertyDependencies() {
			if r.PropertyDependencies == nil {
				r.PropertyDependencies = map[string][]string{}
			}
			r.PropertyDependencies[key] = deps.GetUrns()
		}
		r.RetainOnDelete = rpc.GetRetainOnDelete()
		r.Protect = rpc.GetProtect()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		r.Aliases = append(r.Aliases, rpc.GetAliasURNs()...)
		for _, alias := range rpc.GetAliases() {
			r.Aliases = append(r.Aliases, describeAlias(alias))
		}
		r.URN = ChildURN(rpc.GetParent(), args.TypeToken, args.Name)
	}
	return r
}

// describeAlias writes an alias as its URN, or as the fields its spec
// sets, such as "name=old type=aws:ec2/eip:Eip".
func describeAlias(a *pulumirpc.Alias) string {
	if urn := a.GetUrn(); urn != "" {
		return urn
	}
	spec := a.GetSpec()
	var fields []string
	for _, f := range []struct{ key, value string }{
		{"name", spec.GetName()}, {"type", spec.GetType()}, {"stack", spec.GetStack()},
		{"project", spec.GetProject()}, {"parent", spec.GetParentUrn()},
	} {
		if f.value != "" {
			fields = append(fields, f.key+"="+f.value)
		}
	}
	if spec.GetNoParent() {
		fields = append(fields, "noParent")
	}
	return strings.Join(fields, " ")
}

// Recorder keeps registrations in order. It is safe for concurrent use, as
// Pulumi registers resources concurrently. The zero value is ready.
type Recorder struct {
	mu        sync.Mutex
	resources []Resource
}

// Record appends a registration.
func (rec *Recorder) Record(r Resource) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.resources = append(rec.resources, r)
}

// Resources returns the registrations seen so far, in order.
func (rec *Recorder) Resources() []Resource {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Resource(nil), rec.resources...)
}

// ByType returns the registrations of one type token, in order.
func (rec *Recorder) ByType(typeToken string) []Resource {
	var out []Resource
	for _, r := range rec.Resources() {
		if r.Type == typeToken {
			out = append(out, r)
		}
	}
	return out
}

// TypeOfURN returns the type token of the resource a URN names, or "" for
// an empty or malformed URN.
func TypeOfURN(urn string) string {
	if !resource.URN(urn).IsValid() {
		return ""
	}
	return string(resource.URN(urn).Type())
}

// ChildURN builds the URN Pulumi's mock monitor gives a resource registered
// under parent, or "" if parent is not a URN.
func ChildURN(parent, typeToken, name string) string {
	p := resource.URN(parent)
	if !p.IsValid() {
		return ""
	}
	var parentType tokens.Type
	if p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(p.Stack(), p.Project(), parentType, tokens.Type(typeToken), name))
}
