// Package fake is a small, self-consistent stand-in for one AWS account,
// for Pulumi's mock monitor (pulumi.WithMocks). It answers the invokes the
// component makes, gives each resource plausible computed attributes, and
// records every registration so tests and the synth command can inspect
// what a deployment would create.
//
// The account itself, its answers and its defaults are the public
// [selfhealingtest.Account], the one users test their own programs with;
// this package adds the record of registrations. Its answers are
// placeholders (account 123456789012, documentation IP ranges); nothing
// here talks to AWS.
package fake

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components/selfhealingtest"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/record"
)

// The fake account and what it holds, from selfhealingtest.
type (
	// Account is what the fake AWS account holds.
	Account = selfhealingtest.Account
	// Subnet is a subnet of the fake account.
	Subnet = selfhealingtest.Subnet
	// NetworkInterface is a network interface that exists before the deployment.
	NetworkInterface = selfhealingtest.NetworkInterface
	// Image is an AMI of the fake account.
	Image = selfhealingtest.Image
	// Volume is an EBS volume that already exists in the account.
	Volume = selfhealingtest.Volume
	// Snapshot is an EBS snapshot that already exists in the account.
	Snapshot = selfhealingtest.Snapshot
	// Address is an Elastic IP that exists before the deployment.
	Address = selfhealingtest.Address
	// Zone is a Route 53 hosted zone of the fake account.
	Zone = selfhealingtest.Zone
)

// StandInZoneID is the public hosted zone for example.com that NewAccount
// holds; the full example stack publishes its DNS record there.
const StandInZoneID = selfhealingtest.HostedZoneID

// NewAccount returns an account in region with a default VPC of three
// subnets, the latest Amazon Linux 2023 images, one spare Elastic IP,
// eipalloc-0123456789abcdef0, and the public hosted zone StandInZoneID for
// example.com; see selfhealingtest.NewAccount.
func NewAccount(region string) *Account {
	return selfhealingtest.NewAccount(region)
}

// Resource is one resource registration the monitor saw.
type Resource = record.Resource

// Monitor implements pulumi.MockResourceMonitor on top of an Account.
type Monitor struct {
	record.Recorder
	Account *Account
}

var _ pulumi.MockResourceMonitor = (*Monitor)(nil)

// NewMonitor returns a monitor for account.
func NewMonitor(account *Account) *Monitor {
	return &Monitor{Account: account}
}

// NewResource records a registration and answers with a fake physical id
// and computed attributes.
func (m *Monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outputs, err := m.Account.NewResource(args)
	if err != nil {
		return "", nil, err
	}
	r := record.FromArgs(args)
	r.ID, r.Outputs = id, outputs
	m.Record(r)
	return id, outputs, nil
}

// Call answers an invoke from the account's contents. An invoke the
// account does not know fails loudly, so a new lookup in the component
// cannot pass a test unanswered.
func (m *Monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return m.Account.Call(args)
}
