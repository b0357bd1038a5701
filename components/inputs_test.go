package components_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/components/selfhealingtest"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// Values that flow into the component are Pulumi inputs, checked on one of
// two paths (inputs.go): a literal before anything is created, an output
// when it resolves. These tests hold the two paths to the same rules and
// the same messages.

const (
	typeGroup          = "aws:autoscaling/group:Group"
	typeLaunchTemplate = "aws:ec2/launchTemplate:LaunchTemplate"
	typeSecurityGroup  = "aws:ec2/securityGroup:SecurityGroup"
	typeRole           = "aws:iam/role:Role"
	typeRolePolicy     = "aws:iam/rolePolicy:RolePolicy"
	typeEip            = "aws:ec2/eip:Eip"
	typeNotification   = "aws:autoscaling/notification:Notification"
)

// run is one run of a program that creates the component under the mock
// monitor.
type run struct {
	monitor *fake.Monitor
	// constructErr is NewSelfHealingInstance's error: a literal that fails
	// its check, before anything is created.
	constructErr error
	// runErr is the program's error, as pulumi.RunErr returns it: an output
	// that failed its check when it resolved fails the registration of the
	// resources that take it.
	runErr error
}

// runProgram runs a program that creates the component with the arguments
// args returns, under the mock monitor, against a fake account that shape
// may change first; with dryRun, as `pulumi preview` runs it.
func runProgram(t *testing.T, dryRun bool, args func(ctx *pulumi.Context) *components.SelfHealingInstanceArgs,
	shape ...func(*fake.Account),
) run {
	t.Helper()
	account := fake.NewAccount("eu-west-1")
	for _, f := range shape {
		f(account)
	}
	r := run{monitor: fake.NewMonitor(account)}
	r.runErr = pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, r.constructErr = components.NewSelfHealingInstance(ctx, testName, args(ctx))
		return nil
	}, pulumi.WithMocks(testProject, testStack, r.monitor), func(info *pulumi.RunInfo) { info.DryRun = dryRun })
	return r
}

// outputOf hides s behind an apply, as another resource's output carries a
// value: the component cannot see it until it resolves.
func outputOf(s string) pulumi.StringOutput {
	return pulumi.String(s).ToStringOutput().ApplyT(func(v string) string { return v }).(pulumi.StringOutput)
}

func arrayOutputOf(ss ...string) pulumi.StringArrayOutput {
	return pulumi.ToStringArray(ss).ToStringArrayOutput().ApplyT(func(v []string) []string { return v }).(pulumi.StringArrayOutput)
}

func mapOutputOf(m map[string]string) pulumi.StringMapOutput {
	return pulumi.ToStringMap(m).ToStringMapOutput().ApplyT(func(v map[string]string) map[string]string { return v }).(pulumi.StringMapOutput)
}

// inputKind builds the args' inputs one way: as literals, as outputs, or as
// literal lists and maps of outputs.
type inputKind struct {
	name string
	// str builds a string: in both output kinds, an output.
	str  func(string) pulumi.StringInput
	strs func(...string) pulumi.StringArrayInput
	// strMap builds Tags; values builds Parameters and SecretParameters,
	// whose keys are always literal.
	strMap func(map[string]string) pulumi.StringMapInput
	values func(map[string]string) pulumi.StringMap
}

var (
	literalInputs = inputKind{
		name:   "literal",
		str:    func(s string) pulumi.StringInput { return pulumi.String(s) },
		strs:   func(ss ...string) pulumi.StringArrayInput { return pulumi.ToStringArray(ss) },
		strMap: func(m map[string]string) pulumi.StringMapInput { return pulumi.ToStringMap(m) },
		values: pulumi.ToStringMap,
	}
	outputInputs = inputKind{
		name:   "output",
		str:    func(s string) pulumi.StringInput { return outputOf(s) },
		strs:   func(ss ...string) pulumi.StringArrayInput { return arrayOutputOf(ss...) },
		strMap: func(m map[string]string) pulumi.StringMapInput { return mapOutputOf(m) },
		values: outputValues,
	}
	elementOutputInputs = inputKind{
		name: "outputs in a literal list or map",
		str:  func(s string) pulumi.StringInput { return outputOf(s) },
		strs: func(ss ...string) pulumi.StringArrayInput {
			out := pulumi.StringArray{}
			for _, s := range ss {
				out = append(out, outputOf(s))
			}
			return out
		},
		strMap: func(m map[string]string) pulumi.StringMapInput { return outputValues(m) },
		values: outputValues,
	}
)

func outputValues(m map[string]string) pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range m {
		out[k] = outputOf(v)
	}
	return out
}

// literalMessage is the message a literal's error carries, without the
// constructor's prefix naming the component.
func literalMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), `SelfHealingInstance "`+testName+`": `)
	return strings.TrimPrefix(msg, "invalid arguments:\n")
}

const (
	otherRegionKMSKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	otherRegionTopic  = "arn:aws:sns:us-east-1:123456789012:ops-alerts"
)

// badInputCases are bad values for every input that flows, each with what
// its error must say and the resources that take the value (so must not be
// registered when it arrives as an output).
var badInputCases = []struct {
	name  string
	args  func(in inputKind) *components.SelfHealingInstanceArgs
	shape func(*fake.Account)
	want  []string
	// absent must appear in neither error: a secret.
	absent string
	// notRegistered are the resources that take the value, each a type,
	// or a type and a name.
	notRegistered []string
	// wholeOnly: the value has no elements to pass as outputs.
	wholeOnly bool
}{
	{
		name: "subnetIds: not a subnet id",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{SubnetIDs: in.strs("nope")}
		},
		want:          []string{"subnetIds[0]", `"nope"`, "subnet-0123456789abcdef0"},
		notRegistered: []string{typeSecurityGroup, typeGroup},
	},
	{
		name: "subnetIds: empty",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{SubnetIDs: in.strs()}
		},
		want:          []string{"subnetIds", "empty", "leave it unset"},
		notRegistered: []string{typeSecurityGroup, typeGroup},
		wholeOnly:     true,
	},
	{
		name: "subnetIds: not in the account",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{SubnetIDs: in.strs("subnet-0fffffffffffffff1")}
		},
		want:          []string{"subnetIds[0]", "subnet-0fffffffffffffff1", "looking it up"},
		notRegistered: []string{typeSecurityGroup, typeGroup},
	},
	{
		name: "subnetIds: in two VPCs",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{SubnetIDs: in.strs("subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb1")}
		},
		shape:         customVPC,
		want:          []string{"subnetIds[1]", "vpc-0bbbbbbbbbbbbbbb0", "one VPC"},
		notRegistered: []string{typeSecurityGroup, typeGroup},
	},
	{
		name: "subnetIds: none in the data volume's zone",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{
				SubnetIDs:  in.strs(defaultSubnetZoneA, defaultSubnetZoneB),
				DataVolume: &components.DataVolumeArgs{SizeGiB: 5, AvailabilityZone: "eu-west-1c"},
			}
		},
		want:          []string{"subnetIds", "eu-west-1c", "data volume's Availability Zone"},
		notRegistered: []string{typeSecurityGroup, typeGroup, typeVolume},
	},
	{
		name: "ingress cidrBlocks: not a CIDR block",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{
				{Protocol: "tcp", FromPort: 443, ToPort: 443, CidrBlocks: in.strs("0.0.0.0/0")},
				{Protocol: "tcp", FromPort: 80, ToPort: 80, CidrBlocks: in.strs("10.0.0.0/33")},
			}}
		},
		want:          []string{"ingress[1].cidrBlocks[0]", `"10.0.0.0/33"`, "203.0.113.0/24"},
		notRegistered: []string{typeSecurityGroup, typeLaunchTemplate, typeGroup},
	},
	{
		name: "ingress cidrBlocks: host bits",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{
				{Protocol: "tcp", FromPort: 443, ToPort: 443, CidrBlocks: in.strs("10.1.2.3/8")},
			}}
		},
		want:          []string{"ingress[0].cidrBlocks[0]", "10.0.0.0/8"},
		notRegistered: []string{typeSecurityGroup},
	},
	{
		name: "allocationId: not an allocation id",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{AllocationID: in.str("1.2.3.4")}
		},
		want:          []string{"allocationId", `"1.2.3.4"`, "eipalloc-0123456789abcdef0"},
		notRegistered: []string{typeEip, typeRolePolicy, typeLaunchTemplate, typeGroup},
	},
	{
		name: "allocationId: not in the account",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{AllocationID: in.str("eipalloc-0fffffffffffffff0")}
		},
		want:          []string{"allocationId", "eipalloc-0fffffffffffffff0", "looking it up"},
		notRegistered: []string{typeEip, typeRolePolicy, typeLaunchTemplate, typeGroup},
	},
	{
		name: "tags: reserved key",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{Tags: in.strMap(map[string]string{"team": "ops", "aws:owner": "x"})}
		},
		want:          []string{"tags", `"aws:owner"`, "reserved"},
		notRegistered: []string{typeEip, typeRole, typeSecurityGroup, typeLaunchTemplate, typeGroup},
	},
	{
		name: "tags: value too long",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{Tags: in.strMap(map[string]string{"team": strings.Repeat("x", 257)})}
		},
		want:          []string{`tags["team"]`, "257 characters", "at most 256"},
		notRegistered: []string{typeEip, typeRole, typeSecurityGroup, typeLaunchTemplate, typeGroup},
	},
	{
		name: "dns.zoneId: a domain, not a zone id",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withDNS(&components.DNSArgs{ZoneID: in.str("example.com"), RecordName: "app.example.com"})
		},
		want:          []string{"dns.zoneId", `"example.com"`, "Route 53 hosted zone id"},
		notRegistered: []string{recordType},
	},
	{
		name: "dns.zoneId: with the /hostedzone/ prefix",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withDNS(&components.DNSArgs{ZoneID: in.str("/hostedzone/" + fake.StandInZoneID), RecordName: "app.example.com"})
		},
		want:          []string{"dns.zoneId", "without the /hostedzone/ prefix"},
		notRegistered: []string{recordType},
	},
	{
		name: "dns.zoneId: not in the account",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withDNS(&components.DNSArgs{ZoneID: in.str("Z0FFFFFFFFFFFFFFFFFFF"), RecordName: "app.example.com"})
		},
		want:          []string{"dns.zoneId", `"Z0FFFFFFFFFFFFFFFFFFF"`, "looking up the hosted zone", "NoSuchHostedZone"},
		notRegistered: []string{recordType},
	},
	{
		name: "dns.recordName: outside the zone the output names",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withDNS(&components.DNSArgs{ZoneID: in.str(fake.StandInZoneID), RecordName: "app.example.org"})
		},
		want:          []string{"dns.recordName", `"app.example.org"`, "not inside hosted zone", "ending in .example.com"},
		notRegistered: []string{recordType},
	},
	{
		name: "dataVolume.kmsKeyArn: an alias",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withVolume(components.DataVolumeArgs{SizeGiB: 8, KMSKeyARN: in.str("alias/aws/ebs")})
		},
		want:          []string{`dataVolume.kmsKeyArn "alias/aws/ebs"`, "not an alias"},
		notRegistered: []string{typeVolume, typeRolePolicy},
	},
	{
		name: "dataVolume.kmsKeyArn: another region",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withVolume(components.DataVolumeArgs{SizeGiB: 8, KMSKeyARN: in.str(otherRegionKMSKey)})
		},
		want:          []string{"dataVolume.kmsKeyArn", "us-east-1", "eu-west-1"},
		notRegistered: []string{typeVolume, typeRolePolicy},
	},
	{
		name: "dataVolume.snapshots.executionRoleArn: not a role ARN",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withVolume(components.DataVolumeArgs{SizeGiB: 8, Snapshots: &components.SnapshotArgs{TimeUTC: "03:00", ExecutionRoleARN: in.str("dlm-role")}})
		},
		want:          []string{`dataVolume.snapshots.executionRoleArn "dlm-role"`, "IAM role ARN"},
		notRegistered: []string{typeSnapshotPolicy},
	},
	{
		name: "notifications.topicArn: not an SNS topic ARN",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withNotifications(&components.NotificationsArgs{TopicArn: in.str("ops-alerts")})
		},
		want:          []string{"notifications.topicArn", `"ops-alerts"`, "leave it unset to create"},
		notRegistered: []string{typeNotification},
	},
	{
		name: "notifications.topicArn: another region",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withNotifications(&components.NotificationsArgs{TopicArn: in.str(otherRegionTopic)})
		},
		want:          []string{"notifications.topicArn", "us-east-1", "eu-west-1"},
		notRegistered: []string{typeNotification},
	},
	{
		name: "appHealthCheck.url: not on the instance",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{AppHealthCheck: &components.AppHealthCheck{URL: in.str("http://example.com/health")}}
		},
		want:          []string{"appHealthCheck.url", `"http://example.com/health"`, "localhost, 127.0.0.1 or [::1]"},
		notRegistered: []string{typeLaunchTemplate, typeGroup},
	},
	{
		name: "appHealthCheck.command: two lines",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{AppHealthCheck: &components.AppHealthCheck{Command: in.str("true\nfalse")}}
		},
		want:          []string{"appHealthCheck.command", "one line"},
		notRegistered: []string{typeLaunchTemplate, typeGroup},
	},
	{
		name: "parameters: an empty value",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{Parameters: in.values(map[string]string{"greeting": "hello", "empty": ""})}
		},
		want:          []string{`parameters["empty"]`, "the value is empty"},
		notRegistered: []string{typeParameter + " bastion-param-empty"},
	},
	{
		name: "secretParameters: a NUL byte, never quoted",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{SecretParameters: in.values(map[string]string{"k": "a\x00" + secretTestValue})}
		},
		want:          []string{`secretParameters["k"]`, "NUL"},
		absent:        secretTestValue,
		notRegistered: []string{typeParameter},
	},
	{
		name: "parametersKmsKeyArn: an alias",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{
				SecretParameters:    pulumi.StringMap{"db-password": pulumi.String(secretTestValue)},
				ParametersKMSKeyARN: in.str("alias/mine"),
			}
		},
		want:          []string{"parametersKmsKeyArn", `"alias/mine"`, "not an alias"},
		notRegistered: []string{typeParameter, typeRolePolicy},
	},
	{
		name: "parametersKmsKeyArn: another region",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return &components.SelfHealingInstanceArgs{
				SecretParameters:    pulumi.StringMap{"db-password": pulumi.String(secretTestValue)},
				ParametersKMSKeyARN: in.str(otherRegionKMSKey),
			}
		},
		want:          []string{"parametersKmsKeyArn", "us-east-1", "eu-west-1"},
		notRegistered: []string{typeParameter, typeRolePolicy},
	},
	{
		name: "dataVolume.snapshotId: not a snapshot id",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withVolume(components.DataVolumeArgs{SnapshotID: in.str("snapshot-1")})
		},
		want:          []string{"dataVolume.snapshotId", `"snapshot-1"`, "snap-0123456789abcdef0"},
		notRegistered: []string{typeVolume, typeLaunchTemplate, typeGroup},
	},
	{
		name: "dataVolume.snapshotId: not in the account",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withVolume(components.DataVolumeArgs{SnapshotID: in.str("snap-0fffffffffffffff1")})
		},
		want:          []string{"dataVolume.snapshotId", "snap-0fffffffffffffff1", "looking it up"},
		notRegistered: []string{typeVolume, typeLaunchTemplate, typeGroup},
	},
	{
		name: "dataVolume.snapshotId: larger than sizeGiB",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withVolume(components.DataVolumeArgs{SnapshotID: in.str(selfhealingtest.ExistingSnapshotID), SizeGiB: 10})
		},
		want:          []string{"dataVolume.sizeGiB 10", "20 GiB", "leave sizeGiB unset"},
		notRegistered: []string{typeVolume, typeLaunchTemplate, typeGroup},
	},
	{
		name: "logs.kmsKeyArn: another region",
		args: func(in inputKind) *components.SelfHealingInstanceArgs {
			return withLogs(components.LogsArgs{RetentionDays: pulumi.IntRef(7), KMSKeyARN: in.str(otherRegionKMSKey)})
		},
		want:          []string{"logs.kmsKeyArn", "us-east-1", "eu-west-1"},
		notRegistered: []string{typeLogGroup},
	},
}

// TestABadLiteralIsRefusedBeforeAnythingIsCreated: a literal is checked
// while the program runs, so `pulumi preview` fails with nothing created.
func TestABadLiteralIsRefusedBeforeAnythingIsCreated(t *testing.T) {
	for _, tc := range badInputCases {
		t.Run(tc.name, func(t *testing.T) {
			var shape []func(*fake.Account)
			if tc.shape != nil {
				shape = append(shape, tc.shape)
			}
			r := runProgram(t, true, func(*pulumi.Context) *components.SelfHealingInstanceArgs { return tc.args(literalInputs) }, shape...)
			if r.runErr != nil {
				t.Fatalf("the program failed: %v", r.runErr)
			}
			if r.constructErr == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(r.constructErr.Error(), want) {
					t.Errorf("error %q does not mention %q", r.constructErr, want)
				}
			}
			if tc.absent != "" && strings.Contains(r.constructErr.Error(), tc.absent) {
				t.Errorf("error %q quotes the secret value", r.constructErr)
			}
			// Arguments are checked before the component registers; what
			// needs a lookup, after, but before any child.
			for _, res := range r.monitor.Resources() {
				if res.Custom || strings.Contains(r.constructErr.Error(), "invalid arguments") {
					t.Errorf("%s %s was registered before the error", res.Type, res.Name)
				}
			}
		})
	}
}

// TestABadOutputFailsTheDeploymentWithTheSameMessage: an output is checked
// when it resolves. The constructor cannot see it, and succeeds; the
// resources that take the value fail to register, and the deployment fails
// with the message the same literal gets, naming the same field.
func TestABadOutputFailsTheDeploymentWithTheSameMessage(t *testing.T) {
	for _, tc := range badInputCases {
		for _, kind := range []inputKind{outputInputs, elementOutputInputs} {
			if tc.wholeOnly && kind.name != outputInputs.name {
				continue
			}
			t.Run(tc.name+"/"+kind.name, func(t *testing.T) {
				var shape []func(*fake.Account)
				if tc.shape != nil {
					shape = append(shape, tc.shape)
				}
				literal := runProgram(t, true, func(*pulumi.Context) *components.SelfHealingInstanceArgs { return tc.args(literalInputs) }, shape...)
				if literal.constructErr == nil {
					t.Fatal("the literal was accepted")
				}
				want := literalMessage(literal.constructErr)

				r := runProgram(t, false, func(*pulumi.Context) *components.SelfHealingInstanceArgs { return tc.args(kind) }, shape...)
				if r.constructErr != nil {
					t.Fatalf("NewSelfHealingInstance refused an output it cannot see yet: %v", r.constructErr)
				}
				if r.runErr == nil {
					t.Fatal("the deployment succeeded")
				}
				if !strings.Contains(r.runErr.Error(), want) {
					t.Errorf("the deployment failed with\n%v\nwant the literal's message\n%s", r.runErr, want)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.runErr.Error(), w) {
						t.Errorf("error %q does not mention %q", r.runErr, w)
					}
				}
				if tc.absent != "" && strings.Contains(r.runErr.Error(), tc.absent) {
					t.Errorf("error %q quotes the secret value", r.runErr)
				}
				for _, which := range tc.notRegistered {
					typ, name, _ := strings.Cut(which, " ")
					for _, res := range r.monitor.ByType(typ) {
						if name == "" || res.Name == name {
							t.Errorf("%s %s was registered with the bad value", typ, res.Name)
						}
					}
				}
			})
		}
	}
}

// An output user script is checked with the boot script, once both are
// known: one too big fails the launch template.
func TestAUserScriptOutputThatDoesNotFitFailsTheLaunchTemplate(t *testing.T) {
	script := randomText(16 * 1024)
	literal := runProgram(t, true, func(*pulumi.Context) *components.SelfHealingInstanceArgs {
		return &components.SelfHealingInstanceArgs{UserScript: pulumi.String(script)}
	})
	r := runProgram(t, false, func(*pulumi.Context) *components.SelfHealingInstanceArgs {
		return &components.SelfHealingInstanceArgs{UserScript: outputOf(script)}
	})
	if r.constructErr != nil {
		t.Fatalf("NewSelfHealingInstance: %v", r.constructErr)
	}
	for _, err := range []error{literal.constructErr, r.runErr} {
		if err == nil || !strings.Contains(err.Error(), "gzip-compressed") || !strings.Contains(err.Error(), "16384-byte") {
			t.Errorf("err = %v, want a refusal naming the user-data limit", err)
		}
	}
	if n := len(r.monitor.ByType(typeLaunchTemplate)); n != 0 {
		t.Errorf("%d launch templates registered with a user script that does not fit", n)
	}
}

// TestAnOutputThatResolvesEmptyIsNotTakenForUnset: nil or a literal ""
// leaves an id unset, and the component creates what it names (an Elastic
// IP, a topic, a snapshot role). An output is set even before it resolves,
// so the component adopts instead of creating; if it then resolves to "",
// the deployment must fail naming the field, not adopt nothing (or, with
// AWS's lookup of an empty allocation id, whatever address it finds).
func TestAnOutputThatResolvesEmptyIsNotTakenForUnset(t *testing.T) {
	for _, tc := range []struct {
		name          string
		args          *components.SelfHealingInstanceArgs
		field         string
		notRegistered []string
		shape         []func(*fake.Account)
	}{
		{"allocationId", &components.SelfHealingInstanceArgs{AllocationID: outputOf("")}, "allocationId",
			[]string{typeEip, typeRolePolicy, typeLaunchTemplate, typeGroup},
			// AWS answers a lookup without an allocation id with the
			// region's only address, if it holds one.
			[]func(*fake.Account){func(a *fake.Account) { a.Addresses[""] = a.Addresses["eipalloc-0123456789abcdef0"] }}},
		{"notifications.topicArn", withNotifications(&components.NotificationsArgs{TopicArn: outputOf("")}), "notifications.topicArn",
			[]string{"aws:sns/topic:Topic", typeNotification}, nil},
		{"dataVolume.snapshots.executionRoleArn", withVolume(components.DataVolumeArgs{
			SizeGiB: 8, Snapshots: &components.SnapshotArgs{TimeUTC: "03:00", ExecutionRoleARN: outputOf("")},
		}), "dataVolume.snapshots.executionRoleArn", []string{typeSnapshotPolicy}, nil},
		{"dns.zoneId", withDNS(&components.DNSArgs{ZoneID: outputOf(""), RecordName: "app.example.com"}), "dns.zoneId",
			[]string{recordType}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runProgram(t, false, func(*pulumi.Context) *components.SelfHealingInstanceArgs { return tc.args }, tc.shape...)
			if r.constructErr != nil {
				t.Fatalf("NewSelfHealingInstance: %v", r.constructErr)
			}
			if r.runErr == nil || !strings.Contains(r.runErr.Error(), tc.field) {
				t.Errorf("err = %v, want the deployment to fail naming %s", r.runErr, tc.field)
			}
			for _, typ := range tc.notRegistered {
				for _, res := range r.monitor.ByType(typ) {
					t.Errorf("%s %s was registered: %v", typ, res.Name, inputs(res))
				}
			}
		})
	}
}

// reveal is a registered string input's value, secret or not.
func reveal(v resource.PropertyValue) string {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			v = v.OutputValue().Element
		case v.IsString():
			return v.StringValue()
		default:
			return ""
		}
	}
}

func TestSubnetsAsAnOutputPlaceTheGroupAndTheSecurityGroup(t *testing.T) {
	subnets := []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}
	for _, kind := range []inputKind{outputInputs, elementOutputInputs} {
		t.Run(kind.name, func(t *testing.T) {
			d := mustDeploy(t, &components.SelfHealingInstanceArgs{SubnetIDs: kind.strs(subnets...)}, customVPC)
			if got := toStrings(d.Group()["vpcZoneIdentifiers"]); !slices.Equal(got, subnets) {
				t.Errorf("vpcZoneIdentifiers = %v, want %v", got, subnets)
			}
			if got := inputs(d.One(typeSecurityGroup))["vpcId"]; got != "vpc-0aaaaaaaaaaaaaaa0" {
				t.Errorf("security group vpcId = %v, want the subnets' VPC vpc-0aaaaaaaaaaaaaaa0", got)
			}
		})
	}
	t.Run("narrowed to the data volume's zone", func(t *testing.T) {
		d := mustDeploy(t, &components.SelfHealingInstanceArgs{
			SubnetIDs:  arrayOutputOf(defaultSubnetZoneA, defaultSubnetZoneB),
			DataVolume: &components.DataVolumeArgs{SizeGiB: 5, AvailabilityZone: "eu-west-1b"},
		})
		if got := toStrings(d.Group()["vpcZoneIdentifiers"]); !slices.Equal(got, []string{defaultSubnetZoneB}) {
			t.Errorf("vpcZoneIdentifiers = %v, want [%s]", got, defaultSubnetZoneB)
		}
		if got := inputs(d.One(typeVolume))["availabilityZone"]; got != "eu-west-1b" {
			t.Errorf("volume availabilityZone = %v, want eu-west-1b", got)
		}
	})
}

func TestTagsAsAnOutputReachTheResources(t *testing.T) {
	for _, kind := range []inputKind{outputInputs, elementOutputInputs} {
		t.Run(kind.name, func(t *testing.T) {
			d := mustDeploy(t, &components.SelfHealingInstanceArgs{Tags: kind.strMap(map[string]string{"team": "ops"})})
			want := map[string]any{"Name": "proj-test-bastion", "team": "ops"}
			for _, typ := range []string{typeEip, typeRole, "aws:iam/instanceProfile:InstanceProfile", typeSecurityGroup, typeLaunchTemplate} {
				got, _ := inputs(d.One(typ))["tags"].(map[string]any)
				if !maps.Equal(got, want) {
					t.Errorf("%s tags = %v, want %v", typ, got, want)
				}
			}
			specs, _ := d.LaunchTemplate()["tagSpecifications"].([]any)
			if len(specs) == 0 {
				t.Error("the launch template tags nothing it launches")
			}
			for _, spec := range specs {
				if got, _ := path(spec, "tags").(map[string]any); !maps.Equal(got, want) {
					t.Errorf("launch template tags %v with %v, want %v", path(spec, "resourceType"), got, want)
				}
			}
			var team any
			groupTags, _ := d.Group()["tags"].([]any)
			for _, tag := range groupTags {
				if path(tag, "key") == "team" {
					team = tag
				}
			}
			if path(team, "value") != "ops" || path(team, "propagateAtLaunch") != true {
				t.Errorf("group tags = %v, want team=ops propagated at launch", groupTags)
			}
		})
	}
}

func TestUserScriptAsAnOutput(t *testing.T) {
	const script = "systemctl start app"
	for _, tc := range []struct {
		name   string
		script pulumi.StringInput
		secret bool
	}{
		{"literal", pulumi.String(script), false},
		{"output", outputOf(script), false},
		{"secret", pulumi.ToSecret(pulumi.String(script)).(pulumi.StringOutput), true},
		{"secret output", pulumi.ToSecret(outputOf(script)).(pulumi.StringOutput), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDeploy(t, &components.SelfHealingInstanceArgs{UserScript: tc.script})
			userData := d.One(typeLaunchTemplate).Inputs["userData"]
			if got := userData.ContainsSecrets(); got != tc.secret {
				t.Errorf("user data secret = %v, want %v", got, tc.secret)
			}
			eip := d.One(typeEip)
			params := components.BootParamsInGroup(components.SelfHealingInstanceArgs{UserScript: pulumi.String(script)}, "proj-test-bastion", eip.ID, "")
			params.PublicIP, _ = d.Outputs["publicIp"].(string)
			want, err := userdata.Render(params)
			if err != nil {
				t.Fatal(err)
			}
			got, err := userdata.Decode(reveal(userData))
			if err != nil {
				t.Fatalf("userData: %v", err)
			}
			if got != want {
				t.Errorf("user data is not the boot script with the user script:\n%s", got)
			}
		})
	}
}

// Every other input that flows, as an output with a good value, reaches
// the resource that takes it.
func TestGoodOutputsReachTheirResources(t *testing.T) {
	t.Run("allocationId", func(t *testing.T) {
		d := mustDeploy(t, &components.SelfHealingInstanceArgs{AllocationID: outputOf("eipalloc-0123456789abcdef0")})
		if n := len(d.Monitor.ByType(typeEip)); n != 0 {
			t.Errorf("allocated %d Elastic IPs, want none with an existing allocationId", n)
		}
		if d.Outputs["allocationId"] != "eipalloc-0123456789abcdef0" || d.Outputs["publicIp"] != "198.51.100.10" {
			t.Errorf("outputs = %v, want the existing address", d.Outputs)
		}
		if !strings.Contains(d.BootScript(), "eipalloc-0123456789abcdef0") {
			t.Error("the boot script does not take the existing address")
		}
	})
	t.Run("dns.zoneId", func(t *testing.T) {
		d := mustDeploy(t, withDNS(&components.DNSArgs{ZoneID: outputOf(fake.StandInZoneID), RecordName: "App.Example.com."}))
		record := inputs(d.One(recordType))
		if record["zoneId"] != fake.StandInZoneID || record["name"] != "app.example.com" {
			t.Errorf("record zoneId %v name %v, want %s and the normalized app.example.com", record["zoneId"], record["name"], fake.StandInZoneID)
		}
		if got := d.Outputs["url"]; got != "http://app.example.com" {
			t.Errorf("url = %v", got)
		}
	})
	t.Run("dataVolume.kmsKeyArn", func(t *testing.T) {
		d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, KMSKeyARN: outputOf(testKMSKeyARN)}))
		if got := inputs(d.One(typeVolume))["kmsKeyId"]; got != testKMSKeyARN {
			t.Errorf("volume kmsKeyId = %v, want %s", got, testKMSKeyARN)
		}
		if _, ok := statementsByAction(d.RolePolicy())["kms:CreateGrant"]; !ok {
			t.Error("the role may not use the volume's key")
		}
	})
	t.Run("dataVolume.kmsKeyArn empty", func(t *testing.T) {
		d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, KMSKeyARN: outputOf("")}))
		if got, ok := inputs(d.One(typeVolume))["kmsKeyId"]; ok && got != nil {
			t.Errorf("volume kmsKeyId = %v, want unset for the default key", got)
		}
	})
	t.Run("notifications.topicArn", func(t *testing.T) {
		d := mustDeploy(t, withNotifications(&components.NotificationsArgs{TopicArn: outputOf(existingTopic)}))
		if n := len(d.Monitor.ByType("aws:sns/topic:Topic")); n != 0 {
			t.Errorf("created %d topics, want none with a topicArn", n)
		}
		if got := inputs(d.One(typeNotification))["topicArn"]; got != existingTopic {
			t.Errorf("notification topicArn = %v, want %s", got, existingTopic)
		}
		if got := d.Outputs["notificationTopicArn"]; got != existingTopic {
			t.Errorf("notificationTopicArn = %v, want %s", got, existingTopic)
		}
	})
	t.Run("appHealthCheck.url", func(t *testing.T) {
		const url = "http://localhost:8080/healthz"
		if script := mustDeploy(t, &components.SelfHealingInstanceArgs{AppHealthCheck: &components.AppHealthCheck{URL: outputOf(url)}}).BootScript(); !strings.Contains(script, url) {
			t.Errorf("the boot script does not check %s", url)
		}
	})
	t.Run("ingress cidrBlocks", func(t *testing.T) {
		sg := inputs(mustDeploy(t, &components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{
			{Protocol: "tcp", FromPort: 443, ToPort: 443, CidrBlocks: arrayOutputOf("203.0.113.0/24", "2001:db8::/32")},
		}}).One(typeSecurityGroup))
		rule := path(sg, "ingress", 0)
		if got := toStrings(path(rule, "cidrBlocks")); !slices.Equal(got, []string{"203.0.113.0/24"}) {
			t.Errorf("cidrBlocks = %v", got)
		}
		if got := toStrings(path(rule, "ipv6CidrBlocks")); !slices.Equal(got, []string{"2001:db8::/32"}) {
			t.Errorf("ipv6CidrBlocks = %v", got)
		}
	})
	t.Run("parameters, secret parameters and their key", func(t *testing.T) {
		d := mustDeploy(t, &components.SelfHealingInstanceArgs{
			Parameters:          pulumi.StringMap{"greeting": outputOf("hello")},
			SecretParameters:    pulumi.StringMap{"db-password": outputOf(secretTestValue)},
			ParametersKMSKeyARN: outputOf(ssmKeyARNInStack),
		})
		byName := map[string]resource.PropertyMap{}
		for _, p := range d.Monitor.ByType(typeParameter) {
			byName[reveal(p.Inputs["name"])] = p.Inputs
		}
		greeting, secret := byName["/proj/test/bastion/greeting"], byName["/proj/test/bastion/db-password"]
		if greeting == nil || secret == nil {
			t.Fatalf("parameters = %v", slices.Collect(maps.Keys(byName)))
		}
		if got := reveal(greeting["insecureValue"]); got != "hello" {
			t.Errorf("greeting = %q, want hello", got)
		}
		if !secret["value"].ContainsSecrets() || reveal(secret["value"]) != secretTestValue {
			t.Errorf("db-password value = %v, want the value, secret", secret["value"])
		}
		if got := reveal(secret["keyId"]); got != ssmKeyARNInStack {
			t.Errorf("db-password keyId = %q, want %s", got, ssmKeyARNInStack)
		}
	})
}

// unknown is a value not known during preview, such as the id of a resource
// that does not exist yet.
func unknown() pulumi.StringOutput {
	return pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) string { return "" }).(pulumi.StringOutput)
}

// TestPreviewWithUnknownInputs: during `pulumi preview` an input from a
// resource not created yet is unknown; the component cannot check it, and
// must register its resources all the same.
func TestPreviewWithUnknownInputs(t *testing.T) {
	preview := func(t *testing.T, args *components.SelfHealingInstanceArgs) run {
		t.Helper()
		r := runProgram(t, true, func(*pulumi.Context) *components.SelfHealingInstanceArgs { return args })
		if r.constructErr != nil {
			t.Fatalf("NewSelfHealingInstance: %v", r.constructErr)
		}
		if r.runErr != nil {
			t.Fatalf("the preview failed: %v", r.runErr)
		}
		for _, typ := range []string{typeRole, typeRolePolicy, typeSecurityGroup, typeLaunchTemplate, typeGroup} {
			if n := len(r.monitor.ByType(typ)); n != 1 {
				t.Errorf("%d %s registered, want 1", n, typ)
			}
		}
		// The user data carries every unknown value, and the boot script
		// cannot be rendered without them. (Pulumi's mock monitor drops an
		// unknown input; the engine gets it as unknown.)
		for _, lt := range r.monitor.ByType(typeLaunchTemplate) {
			if v, ok := lt.Inputs["userData"]; ok && !v.ContainsUnknowns() {
				t.Errorf("launch template userData = %v during preview, want unknown", v)
			}
		}
		return r
	}

	t.Run("every input that flows", func(t *testing.T) {
		r := preview(t, &components.SelfHealingInstanceArgs{
			SubnetIDs: pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) []string { return nil }).(pulumi.StringArrayOutput),
			Ingress: []components.IngressRule{
				{Protocol: "tcp", FromPort: 443, ToPort: 443, CidrBlocks: pulumi.StringArray{unknown()}},
			},
			AllocationID: unknown(),
			UserScript:   unknown(),
			Tags:         pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) map[string]string { return nil }).(pulumi.StringMapOutput),
			DataVolume: &components.DataVolumeArgs{
				SizeGiB: 8, KMSKeyARN: unknown(),
				Snapshots: &components.SnapshotArgs{TimeUTC: "03:00", ExecutionRoleARN: unknown()},
			},
			DNS:           &components.DNSArgs{ZoneID: unknown(), RecordName: "app.example.com"},
			Notifications: &components.NotificationsArgs{TopicArn: unknown()},
			Parameters:    pulumi.StringMap{"greeting": unknown()},
			// Known: Pulumi's mock monitor cannot take a secret whose
			// value is unknown.
			SecretParameters:    pulumi.StringMap{"db-password": pulumi.String(secretTestValue)},
			ParametersKMSKeyARN: unknown(),
			Logs:                &components.LogsArgs{RetentionDays: pulumi.IntRef(7), KMSKeyARN: unknown()},
		})
		for _, typ := range []string{typeVolume, typeSnapshotPolicy, recordType, typeNotification, typeLogGroup} {
			if n := len(r.monitor.ByType(typ)); n != 1 {
				t.Errorf("%d %s registered, want 1", n, typ)
			}
		}
		if n := len(r.monitor.ByType(typeParameter)); n != 2 {
			t.Errorf("%d parameters registered, want 2", n)
		}
		if n := len(r.monitor.ByType(typeEip)); n != 0 {
			t.Errorf("%d Elastic IPs registered, want none with an allocationId", n)
		}
		for typ, field := range map[string]string{
			typeGroup: "vpcZoneIdentifiers", typeSecurityGroup: "vpcId", recordType: "zoneId", typeVolume: "kmsKeyId",
		} {
			for _, res := range r.monitor.ByType(typ) {
				if v, ok := res.Inputs[resource.PropertyKey(field)]; ok && !v.ContainsUnknowns() {
					t.Errorf("%s %s = %v during preview, want unknown", typ, field, v)
				}
			}
		}
	})
	t.Run("appHealthCheck.url", func(t *testing.T) {
		preview(t, &components.SelfHealingInstanceArgs{AppHealthCheck: &components.AppHealthCheck{URL: unknown()}})
	})
	t.Run("appHealthCheck.command", func(t *testing.T) {
		preview(t, &components.SelfHealingInstanceArgs{AppHealthCheck: &components.AppHealthCheck{Command: unknown()}})
	})
}

// TestTheZeroValueOfTheArgsIsValid: the zero value is a t3.micro in the
// default VPC, as nil args are.
func TestTheZeroValueOfTheArgsIsValid(t *testing.T) {
	zero := mustDeploy(t, &components.SelfHealingInstanceArgs{})
	none := mustDeploy(t, nil)
	types := func(d *deployment) []string {
		var out []string
		for _, r := range d.Monitor.Resources() {
			out = append(out, r.Type+" "+r.Name)
		}
		slices.Sort(out)
		return out
	}
	if got, want := types(zero), types(none); !slices.Equal(got, want) {
		t.Errorf("zero args registered %v, nil args %v", got, want)
	}
	if got := zero.LaunchTemplate()["instanceType"]; got != components.DefaultInstanceType {
		t.Errorf("instanceType = %v, want %s", got, components.DefaultInstanceType)
	}
	if got := toStrings(zero.Group()["vpcZoneIdentifiers"]); len(got) != 3 {
		t.Errorf("vpcZoneIdentifiers = %v, want the default VPC's 3 default subnets", got)
	}
	d := components.SelfHealingInstanceArgs{}.WithDefaults()
	if d.InstanceType != components.DefaultInstanceType || d.MetadataHopLimit == nil || *d.MetadataHopLimit != components.DefaultMetadataHopLimit ||
		d.EnableSessionManager == nil || !*d.EnableSessionManager || d.LaunchGate == nil || !*d.LaunchGate ||
		d.InstanceRefresh == nil || !*d.InstanceRefresh ||
		d.LaunchGateTimeoutSeconds == nil || *d.LaunchGateTimeoutSeconds != components.DefaultLaunchGateTimeoutSeconds {
		t.Errorf("WithDefaults() = %+v, want every default filled in", d)
	}
}

// A secret output that fails its check is named, never quoted.
func TestASecretOutputIsNotQuotedInItsError(t *testing.T) {
	const token = "s3cr3t-token-value"
	url := pulumi.ToSecret(pulumi.String("http://example.com/?token=" + token)).(pulumi.StringOutput)
	r := runProgram(t, false, func(*pulumi.Context) *components.SelfHealingInstanceArgs {
		return &components.SelfHealingInstanceArgs{AppHealthCheck: &components.AppHealthCheck{URL: url}}
	})
	if r.constructErr != nil {
		t.Fatalf("NewSelfHealingInstance: %v", r.constructErr)
	}
	if err := r.runErr; err == nil || !strings.Contains(err.Error(), "appHealthCheck.url") || strings.Contains(err.Error(), token) {
		t.Errorf("error %v; want it to name appHealthCheck.url without quoting the secret", err)
	}
}
