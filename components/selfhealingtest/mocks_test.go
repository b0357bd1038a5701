package selfhealingtest_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/components/selfhealingtest"
)

// consumerMocks are a consumer's own mocks, as Pulumi's unit-testing guide
// writes them: each resource gets the id "<name>_id" (or one from ids) and
// its inputs as outputs, and each invoke its arguments back. They record
// what they were asked.
type consumerMocks struct {
	ids map[string]string // by resource name

	mu        sync.Mutex
	resources map[string]resource.PropertyMap // by "type::name"
	invokes   []string
}

func newConsumerMocks() *consumerMocks {
	return &consumerMocks{ids: map[string]string{}, resources: map[string]resource.PropertyMap{}}
}

func (m *consumerMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resources[args.TypeToken+"::"+args.Name] = args.Inputs
	if id, ok := m.ids[args.Name]; ok {
		return id, args.Inputs, nil
	}
	return args.Name + "_id", args.Inputs, nil
}

func (m *consumerMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.invokes = append(m.invokes, args.Token)
	return args.Args, nil
}

// registered returns the inputs of the resource typeToken called name, or
// fails the test.
func (m *consumerMocks) registered(t *testing.T, typeToken, name string) resource.PropertyMap {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.resources[typeToken+"::"+name]
	if !ok {
		t.Fatalf("the consumer's mocks never saw %s %q; they saw %v", typeToken, name, slices.Sorted(mapsKeys(m.resources)))
	}
	return r
}

func mapsKeys(m map[string]resource.PropertyMap) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// emptyMocks answer every invoke with empty outputs.
type emptyMocks struct{ *consumerMocks }

func (emptyMocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// runComponent runs a program that calls NewSelfHealingInstance "web" with
// args under monitor, and returns the run's error.
func runComponent(monitor pulumi.MockResourceMonitor, args *components.SelfHealingInstanceArgs) error {
	return pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := components.NewSelfHealingInstance(ctx, "web", args)
		return err
	}, pulumi.WithMocks("consumer", "test", monitor))
}

// Without the package, a consumer's mocks leave the component's lookups
// unanswered, and the error misleads: it blames the default VPC, or, with
// subnets given, the AMI, not the mocks.
func TestANaiveMockAloneFails(t *testing.T) {
	ownSubnet := selfhealingtest.Subnet{ID: "subnet-0123456789abcdef0", VpcID: "vpc-0123456789abcdef0", AvailabilityZone: "us-east-1a"}
	withSubnets := &components.SelfHealingInstanceArgs{SubnetIDs: pulumi.ToStringArray([]string{ownSubnet.ID})}
	for _, tc := range []struct {
		name    string
		naive   pulumi.MockResourceMonitor
		args    *components.SelfHealingInstanceArgs
		message string
	}{
		{"echoing arguments, default args", newConsumerMocks(), &components.SelfHealingInstanceArgs{},
			"subnetIds: unset, and the lookup of the default VPC (aws:ec2/getVpc:getVpc) answered no VPC; set subnetIds, or, under Pulumi's mocks, answer the component's lookups (components/selfhealingtest)"},
		{"echoing arguments, subnets given", newConsumerMocks(), withSubnets,
			`instanceType "t3.micro": the lookup of the instance type (aws:ec2/getInstanceType:getInstanceType) answered no architecture; under Pulumi's mocks, answer the component's lookups (components/selfhealingtest)`},
		{"empty outputs, default args", emptyMocks{newConsumerMocks()}, &components.SelfHealingInstanceArgs{},
			"subnetIds: unset, and the lookup of the default VPC (aws:ec2/getVpc:getVpc) answered no VPC; set subnetIds, or, under Pulumi's mocks, answer the component's lookups (components/selfhealingtest)"},
		{"empty outputs, subnets given", emptyMocks{newConsumerMocks()}, withSubnets,
			`instanceType "t3.micro": the lookup of the instance type (aws:ec2/getInstanceType:getInstanceType) answered no architecture; under Pulumi's mocks, answer the component's lookups (components/selfhealingtest)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runComponent(tc.naive, tc.args)
			if err == nil {
				t.Fatal("the component ran under mocks that answer none of its lookups; the package would not be needed")
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("the naive mocks fail with %q; want %q", err, tc.message)
			}
			// The same program and mocks run once the package answers the lookups.
			if err := runComponent(selfhealingtest.Mocks(tc.naive, selfhealingtest.WithSubnets(ownSubnet)), tc.args); err != nil {
				t.Errorf("with the package: %v", err)
			}
		})
	}
}

// A consumer's program runs under its own mocks composed with the package,
// and those mocks see every resource the component registers.
func TestTheComponentRunsUnderTheConsumersMocks(t *testing.T) {
	for _, tc := range []struct {
		name string
		args *components.SelfHealingInstanceArgs
		want []string // "type::name" the consumer's mocks must see
	}{
		{"default args", &components.SelfHealingInstanceArgs{},
			[]string{"aws:autoscaling/group:Group::web-asg", "aws:ec2/eip:Eip::web-eip"}},
		{"a data volume and DNS", &components.SelfHealingInstanceArgs{
			DataVolume: &components.DataVolumeArgs{SizeGiB: 8},
			DNS:        &components.DNSArgs{ZoneID: pulumi.String(selfhealingtest.HostedZoneID), RecordName: "app." + selfhealingtest.HostedZoneName},
		}, []string{"aws:autoscaling/group:Group::web-asg", "aws:ec2/eip:Eip::web-eip", "aws:ebs/volume:Volume::web-data", "aws:route53/record:Record::web-dns"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mine := newConsumerMocks()
			if err := runComponent(selfhealingtest.Mocks(mine), tc.args); err != nil {
				t.Fatalf("the program failed: %v", err)
			}
			for _, want := range tc.want {
				typeToken, name, _ := strings.Cut(want, "::")
				mine.registered(t, typeToken, name)
			}
			if len(mine.invokes) != 0 {
				t.Errorf("the consumer's mocks were asked %v; the package answers all of the component's lookups", mine.invokes)
			}
		})
	}
}

// An invoke that is not one of the component's lookups goes to the
// consumer's mocks, and their answer comes back to the program.
func TestAnUnknownInvokeGoesToNext(t *testing.T) {
	mine := newConsumerMocks()
	var got struct {
		Value string `pulumi:"value"`
	}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if _, err := components.NewSelfHealingInstance(ctx, "web", &components.SelfHealingInstanceArgs{}); err != nil {
			return err
		}
		return ctx.Invoke("consumer:index:getThing", map[string]any{"value": "from my mocks"}, &got)
	}, pulumi.WithMocks("consumer", "test", selfhealingtest.Mocks(mine)))
	if err != nil {
		t.Fatalf("the program failed: %v", err)
	}
	if !slices.Equal(mine.invokes, []string{"consumer:index:getThing"}) || got.Value != "from my mocks" {
		t.Errorf("the consumer's mocks were asked %v and the program got %q; want only consumer:index:getThing, answered %q",
			mine.invokes, got.Value, "from my mocks")
	}
}

// Without next, resources get invented ids and an unknown invoke fails,
// naming the token.
func TestWithoutNext(t *testing.T) {
	if err := runComponent(selfhealingtest.Mocks(nil), &components.SelfHealingInstanceArgs{}); err != nil {
		t.Errorf("the component failed under Mocks(nil): %v", err)
	}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var out map[string]any
		return ctx.Invoke("consumer:index:getThing", map[string]any{}, &out)
	}, pulumi.WithMocks("consumer", "test", selfhealingtest.Mocks(nil)))
	if err == nil || !strings.Contains(err.Error(), "consumer:index:getThing: not one of the component's lookups, and Mocks was given no next monitor") {
		t.Errorf("an unknown invoke under Mocks(nil) returned %v; want it to fail, naming the token", err)
	}
}

// The defaults: the instance type's architecture picks the Amazon Linux
// 2023 image, and the group launches into the default VPC's subnets.
func TestTheDefaults(t *testing.T) {
	for instanceType, image := range map[string]string{
		"t3.micro":   selfhealingtest.AmazonLinux2023X86AMI,
		"t4g.small":  selfhealingtest.AmazonLinux2023ArmAMI,
		"c7gn.large": selfhealingtest.AmazonLinux2023ArmAMI,
	} {
		t.Run(instanceType, func(t *testing.T) {
			mine := newConsumerMocks()
			if err := runComponent(selfhealingtest.Mocks(mine), &components.SelfHealingInstanceArgs{InstanceType: instanceType}); err != nil {
				t.Fatalf("the program failed: %v", err)
			}
			if got := mine.registered(t, "aws:ec2/launchTemplate:LaunchTemplate", "web-lt")["imageId"]; got.StringValue() != image {
				t.Errorf("imageId = %v, want %s", got, image)
			}
			want := []string{"subnet-0de1a0000000000a1", "subnet-0de1a0000000000b1", "subnet-0de1a0000000000c1"}
			if got := stringsOf(mine.registered(t, "aws:autoscaling/group:Group", "web-asg")["vpcZoneIdentifiers"]); !slices.Equal(got, want) {
				t.Errorf("the group launches into %v, want the default VPC's subnets %v", got, want)
			}
		})
	}
}

// The options model the consumer's own account: its region and id, its
// own VPC's subnets, its own hosted zone, an instance type the guess gets
// wrong.
func TestOptionsModelTheConsumersAccount(t *testing.T) {
	own := []selfhealingtest.Subnet{
		{ID: "subnet-0aaaaaaaaaaaaaaa1", VpcID: "vpc-0aaaaaaaaaaaaaaa0", AvailabilityZone: "eu-west-1a"},
		{ID: "subnet-0aaaaaaaaaaaaaaa2", VpcID: "vpc-0aaaaaaaaaaaaaaa0", AvailabilityZone: "eu-west-1b"},
	}
	mine := newConsumerMocks()
	monitor := selfhealingtest.Mocks(mine,
		selfhealingtest.WithAccountID("210987654321"),
		selfhealingtest.WithSubnets(own...),
		selfhealingtest.WithHostedZone("Z0OWNZONE0000000000", "corp.example.net."),
		selfhealingtest.WithInstanceType("x9z.large", "arm64"),
		// After the other options: the region applies first all the same.
		selfhealingtest.WithRegion("eu-west-1"),
	)
	err := runComponent(monitor, &components.SelfHealingInstanceArgs{
		InstanceType: "x9z.large",
		SubnetIDs:    pulumi.ToStringArray([]string{own[0].ID, own[1].ID}),
		DataVolume:   &components.DataVolumeArgs{SizeGiB: 8, AvailabilityZone: "eu-west-1b"},
		DNS:          &components.DNSArgs{ZoneID: pulumi.String("Z0OWNZONE0000000000"), RecordName: "app.corp.example.net"},
	})
	if err != nil {
		t.Fatalf("the program failed: %v", err)
	}
	if got := stringsOf(mine.registered(t, "aws:autoscaling/group:Group", "web-asg")["vpcZoneIdentifiers"]); !slices.Equal(got, []string{own[1].ID}) {
		t.Errorf("the group launches into %v, want the own subnet in the volume's zone, %s", got, own[1].ID)
	}
	if got := mine.registered(t, "aws:ec2/securityGroup:SecurityGroup", "web-sg")["vpcId"]; got.StringValue() != own[0].VpcID {
		t.Errorf("the security group is in %v, want the own VPC %s", got, own[0].VpcID)
	}
	if got := mine.registered(t, "aws:ec2/launchTemplate:LaunchTemplate", "web-lt")["imageId"]; got.StringValue() != selfhealingtest.AmazonLinux2023ArmAMI {
		t.Errorf("imageId = %v, want the arm64 image for x9z.large", got)
	}
	if got := mine.registered(t, "aws:route53/record:Record", "web-dns")["zoneId"]; got.StringValue() != "Z0OWNZONE0000000000" {
		t.Errorf("the record is in zone %v, want the own zone", got)
	}
	if got := monitor.Account.Subnets[0].AvailabilityZone; got != "eu-west-1a" {
		t.Errorf("the default VPC's first subnet is in %s, want eu-west-1a: WithRegion must apply before the other options", got)
	}
	if got := mine.registered(t, "aws:iam/rolePolicy:RolePolicy", "web-policy")["policy"].StringValue(); !strings.Contains(got, ":eu-west-1:210987654321:") {
		t.Errorf("the instance's policy names no resource in eu-west-1 and account 210987654321:\n%s", got)
	}
}

// Subnets and hosted zones the program creates can be looked up, as on
// AWS, once the consumer's mocks give them an id.
func TestWhatTheProgramCreatesCanBeLookedUp(t *testing.T) {
	mine := newConsumerMocks()
	mine.ids["app"] = "vpc-0123456789abcdef0"
	mine.ids["public-b"] = "subnet-0123456789abcdef1"
	mine.ids["zone"] = "Z0CREATED0000000000"
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		vpc, err := ec2.NewVpc(ctx, "app", &ec2.VpcArgs{CidrBlock: pulumi.String("10.20.0.0/16")})
		if err != nil {
			return err
		}
		subnet, err := ec2.NewSubnet(ctx, "public-b", &ec2.SubnetArgs{
			VpcId: vpc.ID(), CidrBlock: pulumi.String("10.20.1.0/24"), AvailabilityZone: pulumi.String("us-east-1b"),
		})
		if err != nil {
			return err
		}
		zone, err := route53.NewZone(ctx, "zone", &route53.ZoneArgs{Name: pulumi.String("app.example.org")})
		if err != nil {
			return err
		}
		_, err = components.NewSelfHealingInstance(ctx, "web", &components.SelfHealingInstanceArgs{
			SubnetIDs: pulumi.StringArray{subnet.ID()},
			DNS:       &components.DNSArgs{ZoneID: zone.ID(), RecordName: "app.example.org"},
		})
		return err
	}, pulumi.WithMocks("consumer", "test", selfhealingtest.Mocks(mine)))
	if err != nil {
		t.Fatalf("the program failed: %v", err)
	}
	if got := stringsOf(mine.registered(t, "aws:autoscaling/group:Group", "web-asg")["vpcZoneIdentifiers"]); !slices.Equal(got, []string{"subnet-0123456789abcdef1"}) {
		t.Errorf("the group launches into %v, want the program's subnet", got)
	}
	if got := mine.registered(t, "aws:route53/record:Record", "web-dns")["zoneId"]; got.StringValue() != "Z0CREATED0000000000" {
		t.Errorf("the record is in zone %v, want the program's zone", got)
	}
}

// When the consumer's mocks leave ids unknown, as a preview's do, the
// component's resources stay unknown too, and the program still runs.
func TestAPreviewKeepsTheComponentsIDsUnknown(t *testing.T) {
	mine := &previewMocks{newConsumerMocks()}
	var allocationID pulumi.StringOutput
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		web, err := components.NewSelfHealingInstance(ctx, "web", &components.SelfHealingInstanceArgs{})
		if err != nil {
			return err
		}
		allocationID = web.AllocationID
		result, err := internals.UnsafeAwaitOutput(ctx.Context(), allocationID)
		if err != nil {
			return err
		}
		if result.Known {
			return fmt.Errorf("the Elastic IP's allocation id is %v in a preview; want it unknown", result.Value)
		}
		return nil
	}, pulumi.WithMocks("consumer", "test", selfhealingtest.Mocks(mine)), func(info *pulumi.RunInfo) { info.DryRun = true })
	if err != nil {
		t.Fatalf("the preview failed: %v", err)
	}
	mine.registered(t, "aws:autoscaling/group:Group", "web-asg")
}

// previewMocks give every resource an unknown id.
type previewMocks struct{ *consumerMocks }

func (m *previewMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	_, outputs, err := m.consumerMocks.NewResource(args)
	return "", outputs, err
}

// stringsOf returns an array property's strings.
func stringsOf(v resource.PropertyValue) []string {
	var out []string
	if v.IsArray() {
		for _, e := range v.ArrayValue() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func TestWithSnapshotAddsOneToRestoreFrom(t *testing.T) {
	const id = "snap-0aaaaaaaaaaaaaaa1"
	mine := newConsumerMocks()
	monitor := selfhealingtest.Mocks(mine, selfhealingtest.WithSnapshot(id, selfhealingtest.Snapshot{VolumeSizeGiB: 30, Encrypted: true}))
	if err := runComponent(monitor, &components.SelfHealingInstanceArgs{
		DataVolume: &components.DataVolumeArgs{SnapshotID: pulumi.String(id)},
	}); err != nil {
		t.Fatalf("the program failed: %v", err)
	}
	if got := mine.registered(t, "aws:ebs/volume:Volume", "web-data")["snapshotId"]; got.StringValue() != id {
		t.Errorf("the volume's snapshotId = %v, want %s", got, id)
	}
	// A size below the snapshot's is refused, as AWS would refuse it.
	err := runComponent(selfhealingtest.Mocks(newConsumerMocks(), selfhealingtest.WithSnapshot(id, selfhealingtest.Snapshot{VolumeSizeGiB: 30})),
		&components.SelfHealingInstanceArgs{DataVolume: &components.DataVolumeArgs{SnapshotID: pulumi.String(id), SizeGiB: 20}})
	if err == nil || !strings.Contains(err.Error(), "30 GiB") {
		t.Errorf("a 20 GiB volume from a 30 GiB snapshot: %v, want it refused", err)
	}
}
