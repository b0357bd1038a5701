// Package standin is a stand-in for the Pulumi AWS provider
// (pulumi-resource-aws), for running the program under the real Pulumi
// engine without AWS. It keeps what it "creates" in a file (see StateEnv),
// invents ids and computed attributes as components/selfhealingtest's fake
// account does, answers the component's lookups from that account, and
// diffs inputs by Rules: which changes update a resource and which replace
// it, as the provider's documentation says. It logs every change it makes
// with the inputs the engine sent (ReadReceived).
//
// What it does not model: the provider's autonaming (names are invented at
// create, from the logical name), default tags and tagsAll, AWS's
// validation of values, eventual consistency, the group's wait for
// capacity, and any property not in Rules (Check refuses it).
package standin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/selfhealing-dev/selfhealing/components/selfhealingtest"
)

// Version is the provider version the Pulumi AWS Go SDK the program builds
// with (github.com/pulumi/pulumi-aws/sdk/v6 v6.83.4) asks the engine for.
const Version = "6.83.4"

// Provider is the stand-in's gRPC server.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	statePath string

	// mu guards account: the engine calls the provider concurrently.
	mu      sync.Mutex
	account *selfhealingtest.Account
}

// New returns a provider that keeps its resources in statePath.
func New(statePath string) *Provider {
	return &Provider{statePath: statePath, account: selfhealingtest.NewAccount(selfhealingtest.DefaultRegion)}
}

// plain reads what the engine sent, secrets unwrapped: to compare values.
var plain = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func unmarshal(s *structpb.Struct, opts plugin.MarshalOptions) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOptions)
}

// GetPluginInfo reports the version the SDK asks for.
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// CheckConfig accepts the provider's configuration as it is.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig reports no change: the stand-in's account is the same in
// every configuration.
func (p *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure puts the account in the configured region (aws:region).
func (p *Provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	region := req.GetVariables()["aws:config:region"]
	if args, err := unmarshal(req.GetArgs(), plain); err == nil && region == "" {
		region = stringProp(args, "region")
	}
	if region == "" {
		return nil, errors.New("the stand-in AWS provider needs a region: set aws:region")
	}
	p.mu.Lock()
	p.account = selfhealingtest.NewAccount(region)
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// Check refuses an input the stand-in has no rule for, naming it, and
// otherwise returns the inputs unchanged.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews(), plain)
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	for _, key := range news.StableKeys() {
		if _, err := RuleFor(typeOf(req.GetType(), req.GetUrn()), string(key)); err != nil {
			failures = append(failures, &pulumirpc.CheckFailure{Property: string(key), Reason: err.Error()})
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

func typeOf(typ, urn string) string {
	if typ != "" {
		return typ
	}
	return string(resource.URN(urn).Type())
}

// Diff compares the old inputs with the new, property by property, and
// says for each change whether it updates or replaces the resource, by
// Rules.
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	oldsStruct := req.GetOldInputs()
	if oldsStruct == nil {
		oldsStruct = req.GetOlds()
	}
	olds, err := unmarshal(oldsStruct, plain)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), plain)
	if err != nil {
		return nil, err
	}
	changes, err := DiffInputs(typ, olds, news)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true,
		DetailedDiff: map[string]*pulumirpc.PropertyDiff{},
	}
	for _, c := range changes {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		resp.Diffs = append(resp.Diffs, c.Property)
		kind := c.Kind
		if c.Rule.Change == Replace {
			resp.Replaces = append(resp.Replaces, c.Property)
			kind += pulumirpc.PropertyDiff_ADD_REPLACE - pulumirpc.PropertyDiff_ADD
		}
		resp.DetailedDiff[c.Property] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return resp, nil
}

// PropertyChange is one changed input and the rule it falls under.
type PropertyChange struct {
	Property string
	Kind     pulumirpc.PropertyDiff_Kind
	Rule     Rule
}

// DiffInputs lists the top-level inputs of a resource of typ that differ
// between olds and news, with their rules; a changed input with no rule is
// an error naming it.
func DiffInputs(typ string, olds, news resource.PropertyMap) ([]PropertyChange, error) {
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var changes []PropertyChange
	var errs []error
	for _, key := range slices.Sorted(func(yield func(resource.PropertyKey) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		old, hadOld := olds[key]
		new, hasNew := news[key]
		var kind pulumirpc.PropertyDiff_Kind
		switch {
		case hadOld && !hasNew:
			kind = pulumirpc.PropertyDiff_DELETE
		case !hadOld && hasNew:
			kind = pulumirpc.PropertyDiff_ADD
		case new.ContainsUnknowns() || !old.DeepEquals(new):
			kind = pulumirpc.PropertyDiff_UPDATE
		default:
			continue
		}
		rule, err := RuleFor(typ, string(key))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		changes = append(changes, PropertyChange{Property: string(key), Kind: kind, Rule: rule})
	}
	return changes, errors.Join(errs...)
}

// Create invents the resource's id and computed attributes as the fake
// account does, stores it and logs its inputs (ReadReceived); in a preview
// the attributes are unknown.
func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	urn := resource.URN(req.GetUrn())
	inputs, err := unmarshal(req.GetProperties(), marshalOptions)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		_, computed, err := p.invent(typ, urn.Name(), inputs, 0)
		if err != nil {
			return nil, err
		}
		outputs := inputs.Copy()
		for k := range computed {
			if _, given := inputs[k]; !given {
				outputs[k] = resource.MakeComputed(resource.NewProperty(""))
			}
		}
		props, err := marshal(outputs)
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	var id string
	var outputs resource.PropertyMap
	err = withWorld(p.statePath, func(w World) error {
		// AWS refuses a second resource of the same name; an invented id
		// that is already taken gets another seed, unless the id is the
		// name (a group's, a scheduled action's).
		for attempt := 0; ; attempt++ {
			previous := id
			var err error
			id, outputs, err = p.invent(typ, urn.Name(), inputs, attempt)
			if err != nil {
				return err
			}
			if _, taken := w[id]; !taken {
				break
			}
			if id == previous || attempt == 8 {
				return fmt.Errorf("creating %s %s: AlreadyExists: a resource with this name exists", typ, id)
			}
		}
		if err := w.received(p.statePath, "create", id, typ, string(urn), inputs, nil); err != nil {
			return err
		}
		return w.set(id, typ, string(urn), inputs, outputs)
	})
	if err != nil {
		return nil, err
	}
	props, err := marshal(outputs)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

// invent asks the fake account for an id and attributes; attempt varies
// the seed for a name whose first id is taken.
func (p *Provider) invent(typ, name string, inputs resource.PropertyMap, attempt int) (string, resource.PropertyMap, error) {
	if attempt > 0 {
		name = fmt.Sprintf("%s#%d", name, attempt)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.account.NewResource(pulumi.MockResourceArgs{TypeToken: typ, Name: name, Inputs: inputs.Copy(), Custom: true})
}

// Read returns what the stand-in holds for the id, inputs included, as
// they are now; a resource it no longer holds is gone.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	world, err := ReadWorld(p.statePath)
	if err != nil {
		return nil, err
	}
	o, ok := world[req.GetId()]
	if !ok {
		return &pulumirpc.ReadResponse{}, nil
	}
	in, out := &structpb.Struct{}, &structpb.Struct{}
	inputs, err := o.InputMap()
	if err != nil {
		return nil, err
	}
	outputs, err := o.OutputMap()
	if err != nil {
		return nil, err
	}
	if in, err = marshal(inputs); err != nil {
		return nil, err
	}
	if out, err = marshal(outputs); err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: out, Inputs: in}, nil
}

// Update applies the new inputs over the resource's attributes; a launch
// template gets a new version, the default one when updateDefaultVersion
// is set. It logs the old and new inputs (ReadReceived).
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	olds, err := unmarshal(req.GetOlds(), marshalOptions)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), marshalOptions)
	if err != nil {
		return nil, err
	}
	outputs := olds.Copy()
	oldInputs, err := unmarshal(req.GetOldInputs(), marshalOptions)
	if err != nil {
		return nil, err
	}
	// An input the program no longer sets is gone from the attributes too.
	for k := range oldInputs {
		if _, kept := news[k]; !kept {
			delete(outputs, k)
		}
	}
	for k, v := range news {
		outputs[k] = v
	}
	if typ == "aws:ec2/launchTemplate:LaunchTemplate" {
		latest := 1.0
		if v, ok := olds["latestVersion"]; ok && v.IsNumber() {
			latest = v.NumberValue()
		}
		if req.GetPreview() {
			outputs["latestVersion"] = resource.MakeComputed(resource.NewProperty(""))
		} else {
			outputs["latestVersion"] = resource.NewProperty(latest + 1)
			if v, ok := news["updateDefaultVersion"]; ok && v.IsBool() && v.BoolValue() {
				outputs["defaultVersion"] = resource.NewProperty(latest + 1)
			}
		}
	}
	if !req.GetPreview() {
		err := withWorld(p.statePath, func(w World) error {
			if _, ok := w[req.GetId()]; !ok {
				return fmt.Errorf("updating %s %s: NotFound: it no longer exists", typ, req.GetId())
			}
			if err := w.received(p.statePath, "update", req.GetId(), typ, req.GetUrn(), news, oldInputs); err != nil {
				return err
			}
			return w.set(req.GetId(), typ, req.GetUrn(), news, outputs)
		})
		if err != nil {
			return nil, err
		}
	}
	props, err := marshal(outputs)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

// Delete removes the resource from the stand-in, and logs it.
func (p *Provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	err := withWorld(p.statePath, func(w World) error {
		if _, ok := w[req.GetId()]; ok {
			if err := w.received(p.statePath, "delete", req.GetId(), typeOf(req.GetType(), req.GetUrn()), req.GetUrn(), nil, nil); err != nil {
				return err
			}
		}
		delete(w, req.GetId())
		return nil
	})
	return &emptypb.Empty{}, err
}

// Invoke answers the component's lookups as the fake account does; any
// other function fails, naming it.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := unmarshal(req.GetArgs(), plain)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	out, err := p.account.Call(pulumi.MockCallArgs{Token: req.GetTok(), Args: args})
	p.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("the stand-in AWS provider: %w", err)
	}
	ret, err := marshal(out)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

// Cancel has nothing to stop: every call returns at once.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
