package moto

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/record"
)

// CallTimeout bounds each resource creation and each invoke, including the
// SDK's retries. It is a hang bound, not an expectation: moto answers in
// milliseconds.
const CallTimeout = 2 * time.Minute

// Resource is one resource registration the monitor saw.
type Resource = record.Resource

// Monitor implements pulumi.MockResourceMonitor on top of a moto server. It
// is safe for concurrent use, as Pulumi registers resources concurrently.
type Monitor struct {
	ctx       context.Context
	region    string
	partition string
	accountID string

	ec2         *ec2.Client
	iam         *iam.Client
	autoscaling *autoscaling.Client
	ssm         *ssm.Client
	sts         *sts.Client

	record.Recorder

	mu           sync.Mutex
	rolePolicies []RolePolicy
	// maintenancePolicies are the groups' instance maintenance policies,
	// which moto does not keep.
	maintenancePolicies map[string]asgtypes.InstanceMaintenancePolicy
}

var _ pulumi.MockResourceMonitor = (*Monitor)(nil)

// New returns a monitor that deploys into the AWS endpoint cfg points at (a
// moto server: set cfg.BaseEndpoint), in region, which is also what the
// getRegion invoke answers. ctx bounds every AWS call the monitor makes, for
// its whole life.
//
// New asks STS who the caller is, so an unreachable endpoint fails here,
// before a program runs.
func New(ctx context.Context, cfg aws.Config, region string) (*Monitor, error) {
	if region == "" {
		return nil, errors.New("moto monitor: region is empty")
	}
	cfg = cfg.Copy()
	cfg.Region = region
	m := &Monitor{
		ctx:         ctx,
		region:      region,
		partition:   partitionOf(region),
		ec2:         ec2.NewFromConfig(cfg),
		iam:         iam.NewFromConfig(cfg),
		autoscaling: autoscaling.NewFromConfig(cfg),
		ssm:         ssm.NewFromConfig(cfg),
		sts:         sts.NewFromConfig(cfg),

		maintenancePolicies: map[string]asgtypes.InstanceMaintenancePolicy{},
	}
	callCtx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	who, err := m.sts.GetCallerIdentity(callCtx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("moto monitor: asking %s who the caller is: %w", endpointOf(cfg), err)
	}
	m.accountID = aws.ToString(who.Account)
	return m, nil
}

func endpointOf(cfg aws.Config) string {
	if cfg.BaseEndpoint != nil {
		return *cfg.BaseEndpoint
	}
	return "the default AWS endpoint"
}

// Region is the region the monitor deploys into.
func (m *Monitor) Region() string { return m.region }

// AccountID is the account moto answers for.
func (m *Monitor) AccountID() string { return m.accountID }

// Partition is the region's partition, such as "aws".
func (m *Monitor) Partition() string { return m.partition }

// MaintenancePolicy returns the instance maintenance policy the program
// gave group, which moto does not keep, and whether it gave one.
func (m *Monitor) MaintenancePolicy(group string) (asgtypes.InstanceMaintenancePolicy, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.maintenancePolicies[group]
	return p, ok
}

// RolePolicies returns every inline role policy the monitor put into moto,
// in order, each with the document exactly as the program wrote it.
func (m *Monitor) RolePolicies() []RolePolicy {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]RolePolicy(nil), m.rolePolicies...)
}

// created is what a resource creator returns: the physical id, the
// attributes to add to the outputs, and any adjustments it made.
type created struct {
	id          string
	attrs       map[string]any
	adjustments []string
}

// creator creates one resource type in moto from its inputs, under the
// logical name name.
type creator func(m *Monitor, ctx context.Context, name string, in *inputs) (created, error)

// creators maps each supported type token to its creator.
var creators = map[string]creator{
	typeEip:                  (*Monitor).createEip,
	typeSecurityGroup:        (*Monitor).createSecurityGroup,
	typeLaunchTemplate:       (*Monitor).createLaunchTemplate,
	typeRole:                 (*Monitor).createRole,
	typeRolePolicy:           (*Monitor).createRolePolicy,
	typeRolePolicyAttachment: (*Monitor).createRolePolicyAttachment,
	typeInstanceProfile:      (*Monitor).createInstanceProfile,
	typeGroup:                (*Monitor).createGroup,
	typeLifecycleHook:        (*Monitor).createLifecycleHook,
	typeVolume:               (*Monitor).createVolume,
	typeParameter:            (*Monitor).createParameter,
	typeNetworkInterface:     (*Monitor).createNetworkInterface,
	typeEipAssociation:       (*Monitor).createEipAssociation,
	typeSchedule:             (*Monitor).createSchedule,
}

// SupportedTypes lists the custom resource types the monitor can create.
func SupportedTypes() []string {
	return []string{
		typeEip, typeSecurityGroup, typeLaunchTemplate,
		typeRole, typeRolePolicy, typeRolePolicyAttachment, typeInstanceProfile,
		typeGroup, typeLifecycleHook, typeVolume, typeParameter, typeNetworkInterface, typeEipAssociation, typeSchedule,
	}
}

// NewResource creates a custom resource in moto and answers with moto's id
// and attributes; a component resource is only recorded. An unsupported
// type, an input the monitor does not translate, an unknown input value,
// reading an existing resource, or an error from moto fails the
// registration, and so the program.
func (m *Monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := record.FromArgs(args)
	if args.ReadRPC != nil {
		return "", nil, fmt.Errorf("moto monitor: %s %q: reading an existing resource (id %q) is not supported; the monitor only creates",
			args.TypeToken, args.Name, args.ID)
	}

	outputs := args.Inputs.Copy()
	if args.Custom {
		create, ok := creators[args.TypeToken]
		if !ok {
			return "", nil, fmt.Errorf("moto monitor: %s %q: resource type %s is not supported (supported: %s); teach internal/mockmonitor/moto to create it in moto",
				args.TypeToken, args.Name, args.TypeToken, strings.Join(SupportedTypes(), ", "))
		}
		if args.ID != "" {
			return "", nil, fmt.Errorf("moto monitor: %s %q: importing existing id %q is not supported", args.TypeToken, args.Name, args.ID)
		}
		ctx, cancel := context.WithTimeout(m.ctx, CallTimeout)
		defer cancel()
		c, err := create(m, ctx, args.Name, newInputs("", args.Inputs))
		if err != nil {
			return "", nil, fmt.Errorf("moto monitor: creating %s %q in moto: %w", args.TypeToken, args.Name, err)
		}
		for k, v := range c.attrs {
			outputs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
		r.ID = c.id
		r.Adjustments = c.adjustments
	}
	r.Outputs = outputs

	m.Record(r)
	return r.ID, outputs, nil
}

// physicalName returns the AWS name for a resource: its name input, else
// namePrefix plus a random suffix, else the logical name plus a random
// suffix, as Pulumi's auto-naming does. autoNamed reports that the name was
// generated here, and so must be added to the outputs.
func physicalName(in *inputs, logical string) (name string, autoNamed bool) {
	if n, ok := in.str("name"); ok && n != "" {
		return n, false
	}
	if prefix, ok := in.str("namePrefix"); ok && prefix != "" {
		return prefix + randomHex(13), true
	}
	return logical + "-" + randomHex(7), true
}

// randomHex returns n random lowercase hex digits.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)[:n]
}

// partitionOf returns the AWS partition a region belongs to.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// dnsSuffixOf returns a partition's DNS suffix.
func dnsSuffixOf(partition string) string {
	switch partition {
	case "aws-cn":
		return "amazonaws.com.cn"
	case "aws-iso":
		return "c2s.ic.gov"
	case "aws-iso-b":
		return "sc2s.sgov.gov"
	}
	return "amazonaws.com"
}

// arn builds an ARN in the monitor's partition and account.
func (m *Monitor) arn(service, region, resourcePath string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", m.partition, service, region, m.accountID, resourcePath)
}
