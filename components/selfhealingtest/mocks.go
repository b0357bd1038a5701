package selfhealingtest

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Monitor is a pulumi.MockResourceMonitor that answers the component's
// lookups from Account and hands everything else to Next.
type Monitor struct {
	// Account answers the lookups. Change it before the program runs, not
	// while it does.
	Account *Account
	// Next gets every resource registration and every invoke Account does
	// not answer. With Next nil, Account answers every registration, and
	// every other invoke fails.
	Next pulumi.MockResourceMonitor

	// mu guards Account: Pulumi calls a monitor from many goroutines, and
	// NewResource adds what the program creates.
	mu sync.Mutex
}

var _ pulumi.MockResourceMonitor = (*Monitor)(nil)

// Option models your own account; see [Mocks].
type Option func(*options)

type options struct {
	region string
	// changes apply in order, to the account NewAccount builds for region.
	changes []func(*Account)
}

// WithRegion puts the account in region instead of DefaultRegion; the
// default VPC's subnets move to the new region's zones a, b and c.
func WithRegion(region string) Option {
	return func(o *options) { o.region = region }
}

// WithAccountID sets the account's id instead of DefaultAccountID.
func WithAccountID(id string) Option {
	return change(func(a *Account) { a.AccountID = id })
}

// WithSubnets adds subnets, such as those of your own VPC that you pass as
// SubnetIDs; each needs its id, VPC and Availability Zone. (Subnets your
// program creates itself need no option: see [Mocks].)
func WithSubnets(subnets ...Subnet) Option {
	return change(func(a *Account) { a.Subnets = append(a.Subnets, subnets...) })
}

// WithHostedZone adds the public hosted zone id for the domain name, for
// DNSArgs.ZoneID.
func WithHostedZone(id, name string) Option {
	return change(func(a *Account) { a.Zones[id] = Zone{Name: strings.TrimSuffix(name, ".")} })
}

// WithInstanceType makes instanceType exist with the given architectures
// ("x86_64", "arm64"), for a type [GuessArchitecture] gets wrong.
func WithInstanceType(instanceType string, architectures ...string) Option {
	return change(func(a *Account) { a.InstanceTypes[instanceType] = architectures })
}

// WithImage adds the AMI id, for SelfHealingInstanceArgs.AmiID.
func WithImage(id string, image Image) Option {
	return change(func(a *Account) { a.Images[id] = image })
}

// WithElasticIP adds an Elastic IP that exists before the deployment, for
// SelfHealingInstanceArgs.AllocationID.
func WithElasticIP(allocationID string, address Address) Option {
	return change(func(a *Account) { a.Addresses[allocationID] = address })
}

// WithVolume adds an EBS volume that exists before the deployment, for a
// data volume that adopts it.
func WithVolume(id string, volume Volume) Option {
	return change(func(a *Account) { a.Volumes[id] = volume })
}

// WithSnapshot adds an EBS snapshot that exists before the deployment, for
// a data volume created from it.
func WithSnapshot(id string, snapshot Snapshot) Option {
	return change(func(a *Account) { a.Snapshots[id] = snapshot })
}

// WithNetworkInterface adds a network interface that exists before the
// deployment, for a network interface that adopts it.
func WithNetworkInterface(id string, n NetworkInterface) Option {
	return change(func(a *Account) { a.NetworkInterfaces[id] = n })
}

func change(f func(*Account)) Option {
	return func(o *options) { o.changes = append(o.changes, f) }
}

// Mocks returns a monitor for pulumi.WithMocks that answers the lookups
// SelfHealingInstance makes from [NewAccount]'s account, as opts change
// it, and hands everything else to next: every resource registration, and
// every invoke that is not one of the component's lookups. next may be
// nil; see [Monitor].Next.
//
// The subnets and Route 53 hosted zones your program creates can be looked
// up once next has given them an id, as on AWS: a subnet with the vpcId
// and availabilityZone outputs next returns (its inputs, for most mocks),
// a zone with its zoneId output (else its id) and name.
func Mocks(next pulumi.MockResourceMonitor, opts ...Option) *Monitor {
	o := options{region: DefaultRegion}
	for _, opt := range opts {
		opt(&o)
	}
	account := NewAccount(o.region)
	for _, f := range o.changes {
		f(account)
	}
	return &Monitor{Account: account, Next: next}
}

// NewResource hands the registration to Next, so your mocks see every
// resource, including the component's own. For a resource the component
// creates, the answer is the account's all the same (see
// [Account.NewResource]), since the component checks the ids and
// attributes AWS would give its resources; unless Next returns an empty
// id, which leaves the resource's id and attributes unknown, as in a
// preview. A subnet or hosted zone that gets an id joins the account.
func (m *Monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outputs, err := m.answer(args)
	if err != nil || id == "" {
		// No id, as in a preview: nothing can look the resource up yet.
		return id, outputs, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch args.TypeToken {
	case "aws:ec2/subnet:Subnet":
		m.Account.Subnets = append(m.Account.Subnets, Subnet{
			ID: id, VpcID: stringArg(outputs, "vpcId"), AvailabilityZone: stringArg(outputs, "availabilityZone"),
		})
	case "aws:route53/zone:Zone":
		zoneID := stringArg(outputs, "zoneId")
		if zoneID == "" {
			zoneID = id
		}
		m.Account.Zones[zoneID] = Zone{Name: strings.TrimSuffix(stringArg(outputs, "name"), ".")}
	}
	return id, outputs, nil
}

// answer is Next's answer to a registration, or the account's for a
// resource the component creates or when there is no Next.
func (m *Monitor) answer(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if m.Next != nil {
		id, outputs, err := m.Next.NewResource(args)
		// An empty id is next's way of saying "unknown", as in a preview;
		// the component's resources stay unknown with the rest.
		if err != nil || id == "" || !createdByTheComponent(args) {
			return id, outputs, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.Account.NewResource(args)
}

// Call answers the component's lookups from the account, and hands every
// other invoke to Next.
func (m *Monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	out, err := m.Account.Call(args)
	m.mu.Unlock()
	if !errors.Is(err, ErrNotALookup) {
		return out, err
	}
	if m.Next == nil {
		return nil, fmt.Errorf("selfhealingtest: %w, and Mocks was given no next monitor to hand it to", err)
	}
	return m.Next.Call(args)
}
