package moto_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/internal/programrun"
	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/mockmonitor/moto"
	"github.com/selfhealing-dev/selfhealing/program"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// testTimeout bounds a whole deployment test. It only guards against hangs:
// moto answers in milliseconds.
const testTimeout = 5 * time.Minute

// devStack is the stack the end-to-end test deploys.
const devStack = "dev"

// typeVolumeToken is the EBS volume's resource type.
const typeVolumeToken = "aws:ebs/volume:Volume"

func TestMotoPolicyDocument(t *testing.T) {
	original := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"A","Effect":"Allow","Action":["ec2:AssociateAddress"],"Resource":["arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-1","arn:aws:ec2:us-east-1:123456789012:instance/*"]},` +
		`{"Sid":"B","Effect":"Deny","Action":"ec2:DescribeAddresses","Resource":"arn:aws:ec2:us-east-1:123456789012:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},` +
		`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}`
	got, err := moto.MotoPolicyDocument(original)
	if err != nil {
		t.Fatalf("MotoPolicyDocument: %v", err)
	}
	want := parsePolicy(t, original)
	for i := range want.Statement {
		want.Statement[i]["Resource"] = "*"
	}
	if g := parsePolicy(t, got); !jsonEqual(t, g, want) {
		t.Errorf("MotoPolicyDocument(...) =\n%s\nwant every Resource \"*\" and everything else unchanged:\n%s", got, mustJSON(t, want))
	}

	single, err := moto.MotoPolicyDocument(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"arn:aws:ec2:*:*:*"}}`)
	if err != nil {
		t.Fatalf("MotoPolicyDocument(one statement object): %v", err)
	}
	if want := `{"Statement":{"Action":"ec2:*","Effect":"Allow","Resource":"*"},"Version":"2012-10-17"}`; single != want {
		t.Errorf("MotoPolicyDocument(one statement object) = %s, want %s", single, want)
	}

	for _, bad := range []string{
		`not json`,
		`{"Version":"2012-10-17"}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","NotResource":"arn:aws:ec2:*:*:instance/*"}]}`,
	} {
		if got, err := moto.MotoPolicyDocument(bad); err == nil {
			t.Errorf("MotoPolicyDocument(%s) = %s, want an error", bad, got)
		}
	}
}

// deployment is the dev stack deployed into a fresh moto.
type deployment struct {
	moto    *emulator.Moto
	cfg     aws.Config
	monitor *moto.Monitor
	stack   *stackconfig.Stack
	exports map[string]string

	ec2         *ec2.Client
	iam         *iam.Client
	autoscaling *autoscaling.Client
	ssm         *ssm.Client
}

// startMoto starts a moto_server for a deployment. The Session Manager
// policy attachment needs AWS managed policies, which moto loads only when
// asked to.
func startMoto(t *testing.T) *emulator.Moto {
	t.Helper()
	return emulator.StartMoto(t, emulator.MotoOptions{LoadManagedPolicies: true})
}

// loadDevStack reads the dev stack's configuration, with overrides (full
// keys, such as "selfhealing:retainOnDelete") applied.
func loadDevStack(t *testing.T, overrides map[string]string) *stackconfig.Stack {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	stack, err := stackconfig.Load(root, devStack)
	if err != nil {
		t.Fatalf("loading the %s stack: %v", devStack, err)
	}
	maps.Copy(stack.Config, overrides)
	return stack
}

// deployDevStack runs the real program for stack under the moto monitor
// pointed at moto, as `pulumi up` would.
func deployDevStack(t *testing.T, ctx context.Context, server *emulator.Moto, stack *stackconfig.Stack) *deployment {
	t.Helper()
	region := stack.Config["aws:region"]
	if region == "" {
		t.Fatalf("%s: aws:region is not set", stack.StackFile)
	}

	cfg := server.AWSConfig()
	monitor, err := moto.New(ctx, cfg, region)
	if err != nil {
		t.Fatalf("moto.New: %v", err)
	}

	values, err := programrun.Run(stack, monitor, programrun.Deploy)
	if err != nil {
		t.Fatalf("deploying the %s stack into moto: %v", devStack, err)
	}
	exports := map[string]string{}
	for name, value := range values {
		s, ok := value.(string)
		if !ok || s == "" {
			t.Errorf("export %s = %#v after a deployment, want a string", name, value)
		}
		exports[name] = s
	}

	cfg.Region = region
	return &deployment{
		moto: server, cfg: cfg, monitor: monitor, stack: stack, exports: exports,
		ec2: ec2.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg),
		autoscaling: autoscaling.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg),
	}
}

func TestDeployDevStackIntoMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d := deployDevStack(t, ctx, startMoto(t), loadDevStack(t, nil))
	groupName := components.AutoScalingGroupName(d.stack.Project, devStack, program.ComponentName)
	allocationID := d.exports["allocationId"]
	tags := map[string]string{"Name": groupName}
	if raw := d.stack.Config["selfhealing:tags"]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &tags); err != nil {
			t.Fatalf("selfhealing:tags: %v", err)
		}
	}

	t.Run("exports are moto's", func(t *testing.T) {
		for _, name := range []string{"publicIp", "allocationId", "autoScalingGroupName", "launchTemplateId", "instanceRoleArn", "securityGroupId", "publicDns", "dataVolumeId"} {
			if d.exports[name] == "" {
				t.Errorf("export %s is empty", name)
			}
		}
		if got := d.exports["autoScalingGroupName"]; got != groupName {
			t.Errorf("autoScalingGroupName = %q, want %q", got, groupName)
		}
	})

	t.Run("the maintenance policy moto drops is kept", func(t *testing.T) {
		// The dev stack has a data volume: terminate first, 0/100.
		p, ok := d.monitor.MaintenancePolicy(groupName)
		if !ok || aws.ToInt32(p.MinHealthyPercentage) != 0 || aws.ToInt32(p.MaxHealthyPercentage) != 100 {
			t.Errorf("MaintenancePolicy(%s) = %v/%v (kept %v), want 0/100", groupName, aws.ToInt32(p.MinHealthyPercentage), aws.ToInt32(p.MaxHealthyPercentage), ok)
		}
	})
	t.Run("registrations are recorded", func(t *testing.T) {
		counts := map[string]int{}
		for _, r := range d.monitor.Resources() {
			counts[r.Type]++
			switch {
			case r.Type == components.TypeToken:
				if r.Custom || r.ID != "" || r.ParentType != "pulumi:pulumi:Stack" {
					t.Errorf("component %s: custom=%v id=%q parent=%q, want a component with no id under the stack", r.Name, r.Custom, r.ID, r.ParentType)
				}
			case r.Custom:
				if r.ID == "" || r.ParentType != components.TypeToken || r.URN == "" || len(r.Outputs) < len(r.Inputs) {
					t.Errorf("%s %s: id=%q parent=%q urn=%q, want moto's id under the component", r.Type, r.Name, r.ID, r.ParentType, r.URN)
				}
			}
		}
		// The Go SDK does not register the root stack resource under mocks.
		want := map[string]int{
			components.TypeToken: 1,
			"aws:ec2/eip:Eip":    1, "aws:iam/role:Role": 1, "aws:iam/rolePolicy:RolePolicy": 1,
			// No managed policy: Session Manager's statement is inline,
			// and the dev stack takes no snapshots (no DLM role).
			"aws:iam/rolePolicyAttachment:RolePolicyAttachment": 0, "aws:iam/instanceProfile:InstanceProfile": 1,
			"aws:ec2/securityGroup:SecurityGroup": 1, "aws:ec2/launchTemplate:LaunchTemplate": 1,
			"aws:autoscaling/group:Group": 1, "aws:ebs/volume:Volume": 1,
			// The data volume's hand-over hook, a resource of its own.
			"aws:autoscaling/lifecycleHook:LifecycleHook": 1,
		}
		for typ, n := range want {
			if counts[typ] != n {
				t.Errorf("%d registrations of %s, want %d (all: %v)", counts[typ], typ, n, counts)
			}
		}
		groups := d.monitor.ByType("aws:autoscaling/group:Group")
		if len(groups) == 1 && len(groups[0].Dependencies) == 0 {
			t.Errorf("the group's registration records no dependencies")
		}
		for _, r := range d.monitor.Resources() {
			wantAdjusted := r.Type == "aws:iam/rolePolicy:RolePolicy" || r.Type == "aws:ec2/launchTemplate:LaunchTemplate"
			if got := len(r.Adjustments) > 0; got != wantAdjusted {
				t.Errorf("%s %s: adjustments %q; want them only for the role policy (Resource \"*\") and the launch template (root volume size)",
					r.Type, r.Name, r.Adjustments)
			}
		}
		if eips := d.monitor.ByType("aws:ec2/eip:Eip"); len(eips) == 1 && eips[0].RetainOnDelete {
			t.Errorf("the Elastic IP is retained on delete, but the dev stack does not set retainOnDelete")
		}
	})

	t.Run("elastic IP", func(t *testing.T) {
		out, err := d.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{allocationID}})
		if err != nil {
			t.Fatalf("DescribeAddresses %s: %v", allocationID, err)
		}
		if len(out.Addresses) != 1 {
			t.Fatalf("DescribeAddresses %s: %d addresses, want 1", allocationID, len(out.Addresses))
		}
		a := out.Addresses[0]
		if got := aws.ToString(a.PublicIp); got != d.exports["publicIp"] {
			t.Errorf("moto's address is %s, but the stack exports publicIp %s", got, d.exports["publicIp"])
		}
		if a.Domain != ec2types.DomainTypeVpc {
			t.Errorf("domain = %q, want vpc", a.Domain)
		}
		wantDNS := "ec2-" + strings.ReplaceAll(d.exports["publicIp"], ".", "-") + ".compute-1.amazonaws.com"
		if got := d.exports["publicDns"]; got != wantDNS {
			t.Errorf("publicDns = %q, want %q", got, wantDNS)
		}
		checkTags(t, "the Elastic IP", ec2TagMap(a.Tags), tags)
	})

	var roleName string
	t.Run("instance role and its policies", func(t *testing.T) {
		roles := d.monitor.ByType("aws:iam/role:Role")
		if len(roles) != 1 {
			t.Fatalf("%d roles registered, want 1", len(roles))
		}
		roleName = roles[0].ID
		role, err := d.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: &roleName})
		if err != nil {
			t.Fatalf("GetRole %s: %v", roleName, err)
		}
		if got := aws.ToString(role.Role.Arn); got != d.exports["instanceRoleArn"] {
			t.Errorf("role ARN = %s, but the stack exports instanceRoleArn %s", got, d.exports["instanceRoleArn"])
		}
		trust := parsePolicy(t, decodePolicy(t, aws.ToString(role.Role.AssumeRolePolicyDocument)))
		if len(trust.Statement) != 1 || !slices.Equal(actions(trust.Statement[0]), []string{"sts:AssumeRole"}) {
			t.Errorf("trust policy = %+v, want one sts:AssumeRole statement", trust)
		}

		// The program's own document, exactly as it rendered it.
		policies := d.monitor.RolePolicies()
		if len(policies) != 1 {
			t.Fatalf("%d inline policies recorded, want 1", len(policies))
		}
		written := policies[0]
		if written.Role != roleName {
			t.Errorf("inline policy is on role %q, want %q", written.Role, roleName)
		}
		expected, err := policy.Instance(policy.Scope{
			Partition: "aws", DNSSuffix: "amazonaws.com", Region: d.monitor.Region(),
			AccountID: d.monitor.AccountID(), AllocationID: allocationID,
			// The dev stack keeps the launch gate and Session Manager, on
			// by default, and has a data volume, with forceDetach on by
			// default, and its hand-over.
			AutoScalingGroupName: groupName, LaunchGate: true, SessionManager: true,
			DataVolume: &policy.DataVolumeScope{VolumeID: d.exports["dataVolumeId"], ForceDetach: true, MayFormat: true, Handover: true},
		}).JSON()
		if err != nil {
			t.Fatal(err)
		}
		if written.Document != expected {
			t.Errorf("recorded policy document:\n%s\nwant the program's:\n%s", written.Document, expected)
		}

		// What moto holds: same statements, same effects and actions, every
		// resource "*".
		got, err := d.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &roleName, PolicyName: &written.Name})
		if err != nil {
			t.Fatalf("GetRolePolicy %s %s: %v", roleName, written.Name, err)
		}
		inMoto := parsePolicy(t, decodePolicy(t, aws.ToString(got.PolicyDocument)))
		want := parsePolicy(t, expected)
		if len(inMoto.Statement) != len(want.Statement) {
			t.Fatalf("moto's policy has %d statements, the program's %d:\n%s", len(inMoto.Statement), len(want.Statement), aws.ToString(got.PolicyDocument))
		}
		for i, s := range inMoto.Statement {
			w := want.Statement[i]
			if s["Effect"] != w["Effect"] || !slices.Equal(actions(s), actions(w)) || s["Sid"] != w["Sid"] {
				t.Errorf("moto's statement %d = %v, want Sid %v, Effect %v and Action %v exactly", i, s, w["Sid"], w["Effect"], actions(w))
			}
			if s["Resource"] != "*" {
				t.Errorf("moto's statement %d has Resource %v, want \"*\"", i, s["Resource"])
			}
			// Conditions go to moto as written; moto evaluates few (see
			// MotoPolicyDocument), and the harness's inspector the rest.
			if !jsonEqual(t, s["Condition"], w["Condition"]) {
				t.Errorf("moto's statement %d has Condition %v, want the program's %v", i, s["Condition"], w["Condition"])
			}
		}

		attached, err := d.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &roleName})
		if err != nil {
			t.Fatalf("ListAttachedRolePolicies %s: %v", roleName, err)
		}
		var arns []string
		for _, p := range attached.AttachedPolicies {
			arns = append(arns, aws.ToString(p.PolicyArn))
		}
		if len(arns) != 0 {
			t.Errorf("attached policies = %v, want none: Session Manager's statement is in the inline policy", arns)
		}
	})

	var profileARN string
	t.Run("instance profile", func(t *testing.T) {
		profiles := d.monitor.ByType("aws:iam/instanceProfile:InstanceProfile")
		if len(profiles) != 1 {
			t.Fatalf("%d instance profiles registered, want 1", len(profiles))
		}
		name := profiles[0].ID
		out, err := d.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: &name})
		if err != nil {
			t.Fatalf("GetInstanceProfile %s: %v", name, err)
		}
		profileARN = aws.ToString(out.InstanceProfile.Arn)
		var roles []string
		for _, r := range out.InstanceProfile.Roles {
			roles = append(roles, aws.ToString(r.RoleName))
		}
		if roleName != "" && !slices.Equal(roles, []string{roleName}) {
			t.Errorf("instance profile %s holds roles %v, want [%s]", name, roles, roleName)
		}
	})

	t.Run("security group", func(t *testing.T) {
		id := d.exports["securityGroupId"]
		out, err := d.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
		if err != nil {
			t.Fatalf("DescribeSecurityGroups %s: %v", id, err)
		}
		if len(out.SecurityGroups) != 1 {
			t.Fatalf("DescribeSecurityGroups %s: %d groups", id, len(out.SecurityGroups))
		}
		sg := out.SecurityGroups[0]
		vpcs, err := d.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
		if err != nil || len(vpcs.Vpcs) != 1 {
			t.Fatalf("DescribeVpcs default: %v (%d)", err, len(vpcs.Vpcs))
		}
		if got, want := aws.ToString(sg.VpcId), aws.ToString(vpcs.Vpcs[0].VpcId); got != want {
			t.Errorf("security group is in %s, want the default VPC %s", got, want)
		}
		wantIngress := []string{
			"tcp 443-443 0.0.0.0/0", "tcp 443-443 ::/0",
			"tcp 80-80 0.0.0.0/0", "tcp 80-80 ::/0",
		}
		if got := rules(sg.IpPermissions); !slices.Equal(got, wantIngress) {
			t.Errorf("ingress = %v, want %v", got, wantIngress)
		}
		if got, want := rules(sg.IpPermissionsEgress), []string{"-1 all 0.0.0.0/0", "-1 all ::/0"}; !slices.Equal(got, want) {
			t.Errorf("egress = %v, want %v", got, want)
		}
		checkTags(t, "the security group", ec2TagMap(sg.Tags), tags)
	})

	var template ec2types.ResponseLaunchTemplateData
	t.Run("launch template", func(t *testing.T) {
		id := d.exports["launchTemplateId"]
		out, err := d.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
			LaunchTemplateId: &id, Versions: []string{"$Latest"},
		})
		if err != nil {
			t.Fatalf("DescribeLaunchTemplateVersions %s: %v", id, err)
		}
		if len(out.LaunchTemplateVersions) != 1 {
			t.Fatalf("DescribeLaunchTemplateVersions %s: %d versions", id, len(out.LaunchTemplateVersions))
		}
		version := out.LaunchTemplateVersions[0]
		if n := aws.ToInt64(version.VersionNumber); n != 1 {
			t.Errorf("latest version is %d, want 1", n)
		}
		template = *version.LaunchTemplateData

		params := devBootParams(t, d)
		script, err := userdata.Render(params)
		if err != nil {
			t.Fatalf("rendering the expected boot script: %v", err)
		}
		decoded, err := userdata.Decode(aws.ToString(template.UserData))
		if err != nil {
			t.Fatalf("user data in moto: %v", err)
		}
		if decoded != script {
			t.Errorf("user data in moto decodes to:\n%s\nwant the boot script the program rendered:\n%s", decoded, script)
		}
		encoded, err := userdata.Encode(params)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(template.UserData), encoded; got != want {
			t.Errorf("user data is not byte-for-byte the base64 the program sent")
		}
		lts := d.monitor.ByType("aws:ec2/launchTemplate:LaunchTemplate")
		if len(lts) == 1 {
			if sent := lts[0].Inputs["userData"]; !sent.IsString() || sent.StringValue() != aws.ToString(template.UserData) {
				t.Errorf("user data in moto differs from the registered userData input")
			}
		}

		wantImage := ssmParameter(t, ctx, d.ssm, components.AmazonLinux2023Parameter("arm64"))
		if got := aws.ToString(template.ImageId); got != wantImage {
			t.Errorf("image = %s, want the latest arm64 Amazon Linux 2023 %s (the dev stack runs t4g.small)", got, wantImage)
		}
		if got, want := string(template.InstanceType), d.stack.Config["selfhealing:instanceType"]; got != want {
			t.Errorf("instance type = %s, want %s", got, want)
		}
		if p := template.IamInstanceProfile; p == nil || aws.ToString(p.Arn) != profileARN || profileARN == "" {
			t.Errorf("instance profile = %+v, want ARN %q", p, profileARN)
		}
		if o := template.MetadataOptions; o == nil || o.HttpTokens != "required" || aws.ToInt32(o.HttpPutResponseHopLimit) != 1 || o.HttpEndpoint != "enabled" {
			t.Errorf("metadata options = %+v, want IMDSv2 required, hop limit 1", o)
		}
		if n := template.NetworkInterfaces; len(n) != 1 || !slices.Equal(n[0].Groups, []string{d.exports["securityGroupId"]}) ||
			!aws.ToBool(n[0].AssociatePublicIpAddress) || aws.ToInt32(n[0].DeviceIndex) != 0 {
			t.Errorf("network interfaces = %+v, want one public interface in %s", n, d.exports["securityGroupId"])
		}
		if b := template.BlockDeviceMappings; len(b) != 1 || aws.ToString(b[0].DeviceName) != "/dev/xvda" || b[0].Ebs == nil ||
			b[0].Ebs.VolumeType != ec2types.VolumeTypeGp3 || !aws.ToBool(b[0].Ebs.Encrypted) || !aws.ToBool(b[0].Ebs.DeleteOnTermination) {
			t.Errorf("block device mappings = %+v, want an encrypted gp3 /dev/xvda", b)
		}
		var specs []string
		for _, s := range template.TagSpecifications {
			if s.ResourceType == ec2types.ResourceTypeLaunchTemplate {
				// moto copies the template's own tags into its data
				// (see the package documentation).
				continue
			}
			specs = append(specs, string(s.ResourceType))
			checkTags(t, "tag specification "+string(s.ResourceType), ec2TagMap(s.Tags), tags)
		}
		if want := []string{"instance", "volume", "network-interface"}; !slices.Equal(specs, want) {
			t.Errorf("tag specifications for %v, want %v", specs, want)
		}
	})

	t.Run("auto scaling group of one", func(t *testing.T) {
		group := describeGroup(t, ctx, d.autoscaling, groupName)
		if aws.ToInt32(group.MinSize) != 1 || aws.ToInt32(group.MaxSize) != 1 || aws.ToInt32(group.DesiredCapacity) != 1 {
			t.Errorf("min/max/desired = %d/%d/%d, want 1/1/1", aws.ToInt32(group.MinSize), aws.ToInt32(group.MaxSize), aws.ToInt32(group.DesiredCapacity))
		}
		if lt := group.LaunchTemplate; lt == nil || aws.ToString(lt.LaunchTemplateId) != d.exports["launchTemplateId"] || aws.ToString(lt.Version) != "1" {
			t.Errorf("launch template = %+v, want %s version 1", lt, d.exports["launchTemplateId"])
		}
		// The dev stack's data volume turns on the EBS health check.
		if aws.ToString(group.HealthCheckType) != components.HealthCheckTypeEBS || aws.ToInt32(group.HealthCheckGracePeriod) != int32(components.DefaultHealthCheckGracePeriodSeconds) {
			t.Errorf("health check = %s after %ds, want EBS after %ds", aws.ToString(group.HealthCheckType), aws.ToInt32(group.HealthCheckGracePeriod), components.DefaultHealthCheckGracePeriodSeconds)
		}
		hooks, err := d.autoscaling.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: &groupName})
		if err != nil {
			t.Fatalf("DescribeLifecycleHooks: %v", err)
		}
		byName := map[string]asgtypes.LifecycleHook{}
		for _, h := range hooks.LifecycleHooks {
			byName[aws.ToString(h.LifecycleHookName)] = h
		}
		if h, ok := byName[components.LaunchGateHookName]; len(byName) != 2 || !ok ||
			aws.ToString(h.LifecycleTransition) != "autoscaling:EC2_INSTANCE_LAUNCHING" || aws.ToString(h.DefaultResult) != "ABANDON" ||
			aws.ToInt32(h.HeartbeatTimeout) != components.DefaultLaunchGateTimeoutSeconds {
			t.Errorf("lifecycle hooks = %+v, want the launch gate: launching, ABANDON after %ds, and the hand-over's", hooks.LifecycleHooks, components.DefaultLaunchGateTimeoutSeconds)
		}
		// The data volume's hand-over: terminating, CONTINUE after the stop
		// timeout and the reserve.
		if h, ok := byName[components.HandoverHookName]; !ok || aws.ToString(h.LifecycleTransition) != "autoscaling:EC2_INSTANCE_TERMINATING" ||
			aws.ToString(h.DefaultResult) != "CONTINUE" || aws.ToInt32(h.HeartbeatTimeout) != int32(components.DefaultStopTimeoutSeconds+userdata.HandoverReserveSeconds) {
			t.Errorf("the hand-over hook = %+v, want terminating, CONTINUE after %ds", h, components.DefaultStopTimeoutSeconds+userdata.HandoverReserveSeconds)
		}
		// The data volume pins the group to the volume's zone.
		zone := volumeZone(t, ctx, d.ec2, d.exports["dataVolumeId"])
		subnets := defaultSubnetsIn(t, ctx, d.ec2, zone)
		if got, want := aws.ToString(group.VPCZoneIdentifier), strings.Join(subnets, ","); got != want || len(subnets) == 0 {
			t.Errorf("VPCZoneIdentifier = %s, want the default subnets in the data volume's zone %s: %s", got, zone, want)
		}
		for _, tag := range group.Tags {
			if !aws.ToBool(tag.PropagateAtLaunch) {
				t.Errorf("group tag %s does not propagate at launch", aws.ToString(tag.Key))
			}
		}

		instance := onlyInstance(t, group)
		if lt := instance.LaunchTemplate; lt == nil || aws.ToString(lt.LaunchTemplateId) != d.exports["launchTemplateId"] {
			t.Errorf("instance %s was launched from %+v, want %s", aws.ToString(instance.InstanceId), lt, d.exports["launchTemplateId"])
		}
		ec2Instance := describeInstance(t, ctx, d.ec2, aws.ToString(instance.InstanceId))
		if state := ec2Instance.State.Name; state != ec2types.InstanceStateNameRunning && state != ec2types.InstanceStateNamePending {
			t.Errorf("instance %s is %s, want running or pending", aws.ToString(instance.InstanceId), state)
		}
		if template.ImageId != nil && aws.ToString(ec2Instance.ImageId) != aws.ToString(template.ImageId) {
			t.Errorf("instance runs %s, want the template's %s", aws.ToString(ec2Instance.ImageId), aws.ToString(template.ImageId))
		}
		if got := instanceUserData(t, ctx, d.ec2, aws.ToString(instance.InstanceId)); template.UserData != nil && got != aws.ToString(template.UserData) {
			t.Errorf("instance user data differs from the template's")
		}
		if got := ec2TagMap(ec2Instance.Tags)["aws:autoscaling:groupName"]; got != groupName {
			t.Errorf("instance tag aws:autoscaling:groupName = %q, want %q", got, groupName)
		}
	})

	t.Run("unsupported things fail loudly", func(t *testing.T) {
		_, _, err := d.monitor.NewResource(pulumi.MockResourceArgs{TypeToken: "aws:s3/bucket:Bucket", Name: "b", Custom: true})
		if err == nil || !strings.Contains(err.Error(), "aws:s3/bucket:Bucket") {
			t.Errorf("NewResource(aws:s3/bucket:Bucket) error = %v, want one naming the type", err)
		}
		_, _, err = d.monitor.NewResource(pulumi.MockResourceArgs{
			TypeToken: "aws:ec2/eip:Eip", Name: "e", Custom: true,
			Inputs: resource.PropertyMap{"domain": resource.NewProperty("vpc"), "instance": resource.NewProperty("i-0123456789abcdef0")},
		})
		if err == nil || !strings.Contains(err.Error(), "instance") {
			t.Errorf("NewResource(Eip with instance) error = %v, want one naming the unsupported input", err)
		}
		_, _, err = d.monitor.NewResource(pulumi.MockResourceArgs{
			TypeToken: "aws:ec2/eip:Eip", Name: "e", Custom: true,
			Inputs: resource.PropertyMap{"domain": resource.MakeComputed(resource.NewProperty(""))},
		})
		if err == nil || !strings.Contains(err.Error(), "unknown") {
			t.Errorf("NewResource(Eip with an unknown input) error = %v, want one about the unknown value", err)
		}
		_, err = d.monitor.Call(pulumi.MockCallArgs{Token: "aws:s3/getBucket:getBucket"})
		if err == nil || !strings.Contains(err.Error(), "aws:s3/getBucket:getBucket") {
			t.Errorf("Call(aws:s3/getBucket:getBucket) error = %v, want one naming the invoke", err)
		}
		_, err = d.monitor.Call(pulumi.MockCallArgs{
			Token: "aws:ec2/getInstanceType:getInstanceType",
			Args:  resource.PropertyMap{"instanceType": resource.NewProperty("t9z.nonexistent")},
		})
		if err == nil {
			t.Errorf("getInstanceType(t9z.nonexistent) succeeded, want moto's error")
		}
	})

	// This one changes moto's state, so it runs last.
	t.Run("moto replaces a terminated instance at once and keeps its EIP association", func(t *testing.T) {
		old := aws.ToString(onlyInstance(t, describeGroup(t, ctx, d.autoscaling, groupName)).InstanceId)
		if _, err := d.ec2.AssociateAddress(ctx, &ec2.AssociateAddressInput{
			AllocationId: &allocationID, InstanceId: &old, AllowReassociation: aws.Bool(true),
		}); err != nil {
			t.Fatalf("AssociateAddress %s to %s: %v", allocationID, old, err)
		}
		if _, err := d.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{old}}); err != nil {
			t.Fatalf("TerminateInstances %s: %v", old, err)
		}

		// No wait: moto replaces the instance inside TerminateInstances.
		group := describeGroup(t, ctx, d.autoscaling, groupName)
		replacement := onlyInstance(t, group)
		if id := aws.ToString(replacement.InstanceId); id == old {
			t.Fatalf("the group still holds terminated %s", old)
		}
		if replacement.LifecycleState != asgtypes.LifecycleStateInService {
			t.Errorf("replacement is %s, want InService", replacement.LifecycleState)
		}
		if state := describeInstance(t, ctx, d.ec2, old).State.Name; state != ec2types.InstanceStateNameTerminated {
			t.Errorf("old instance %s is %s, want terminated", old, state)
		}
		if template.UserData != nil {
			if got := instanceUserData(t, ctx, d.ec2, aws.ToString(replacement.InstanceId)); got != aws.ToString(template.UserData) {
				t.Errorf("replacement user data differs from the template's")
			}
		}

		// Unlike AWS, moto leaves the address on the terminated instance.
		out, err := d.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{allocationID}})
		if err != nil || len(out.Addresses) != 1 {
			t.Fatalf("DescribeAddresses %s: %v", allocationID, err)
		}
		if got := aws.ToString(out.Addresses[0].InstanceId); got != old {
			t.Errorf("after termination the address is on %q; moto used to keep it on the terminated %s "+
				"(update the package documentation if moto changed)", got, old)
		}
		_, err = d.ec2.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &allocationID, InstanceId: replacement.InstanceId})
		if err == nil {
			t.Errorf("AssociateAddress without AllowReassociation succeeded; moto used to refuse it while the " +
				"terminated instance holds the address (update the package documentation if moto changed)")
		}
	})
}

// policyDocument is an IAM policy document, loosely typed.
type policyDocument struct {
	Version   string           `json:"Version"`
	Statement []map[string]any `json:"Statement"`
}

func parsePolicy(t *testing.T, document string) policyDocument {
	t.Helper()
	var p policyDocument
	if err := json.Unmarshal([]byte(document), &p); err != nil {
		t.Fatalf("policy document %s: %v", document, err)
	}
	return p
}

// decodePolicy undoes the URL encoding IAM applies to policy documents.
func decodePolicy(t *testing.T, document string) string {
	t.Helper()
	if strings.HasPrefix(document, "{") {
		return document
	}
	decoded, err := url.QueryUnescape(document)
	if err != nil {
		t.Fatalf("policy document %q: %v", document, err)
	}
	return decoded
}

// actions returns a statement's Action as a list.
func actions(statement map[string]any) []string {
	switch a := statement["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, e := range a {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonEqual(t *testing.T, a, b any) bool {
	return mustJSON(t, a) == mustJSON(t, b)
}

func ec2TagMap(tags []ec2types.Tag) map[string]string {
	out := map[string]string{}
	for _, tag := range tags {
		out[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return out
}

// checkTags checks that got holds every tag in want.
func checkTags(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: tag %s = %q, want %q (tags: %v)", what, k, got[k], v, got)
		}
	}
}

// rules lists a security group's permissions as "protocol from-to cidr",
// sorted.
func rules(perms []ec2types.IpPermission) []string {
	var out []string
	for _, p := range perms {
		ports := "all"
		if p.FromPort != nil || p.ToPort != nil {
			ports = strconv.Itoa(int(aws.ToInt32(p.FromPort))) + "-" + strconv.Itoa(int(aws.ToInt32(p.ToPort)))
		}
		if aws.ToString(p.IpProtocol) == "-1" {
			ports = "all"
		}
		for _, r := range p.IpRanges {
			out = append(out, aws.ToString(p.IpProtocol)+" "+ports+" "+aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, aws.ToString(p.IpProtocol)+" "+ports+" "+aws.ToString(r.CidrIpv6))
		}
		if len(p.UserIdGroupPairs) > 0 || len(p.PrefixListIds) > 0 {
			out = append(out, aws.ToString(p.IpProtocol)+" "+ports+" groups/prefix lists")
		}
	}
	slices.Sort(out)
	return out
}

func ssmParameter(t *testing.T, ctx context.Context, client *ssm.Client, name string) string {
	t.Helper()
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: &name})
	if err != nil {
		t.Fatalf("GetParameter %s: %v", name, err)
	}
	return aws.ToString(out.Parameter.Value)
}

// devBootParams are the boot script's parameters the dev stack's
// deployment d must have rendered: its user script, and its data volume
// with the mount path it sets and the component's defaults otherwise.
func devBootParams(t *testing.T, d *deployment) userdata.Params {
	t.Helper()
	var volume struct {
		MountPath string `json:"mountPath"`
	}
	if err := json.Unmarshal([]byte(d.stack.Config["selfhealing:dataVolume"]), &volume); err != nil || volume.MountPath == "" {
		t.Fatalf("selfhealing:dataVolume = %s (%v), want the dev stack's volume with a mountPath", d.stack.Config["selfhealing:dataVolume"], err)
	}
	return userdata.Params{
		AllocationID: d.exports["allocationId"],
		PublicIP:     d.exports["publicIp"],
		UserScript:   d.stack.Config["selfhealing:userScript"],
		DataVolume: &userdata.DataVolumeParams{
			VolumeID:    d.exports["dataVolumeId"],
			DeviceName:  components.DataVolumeDeviceName,
			MountPath:   volume.MountPath,
			FSType:      components.DefaultDataVolumeFSType,
			WaitSeconds: components.DefaultDataVolumeAttachTimeoutSeconds,
			ForceDetach: true,
			MayFormat:   true, // the dev stack creates its volume
		},
		// Every data volume has its hand-over, with the default stop
		// timeout and no stop script in the dev stack.
		Handover: &userdata.HandoverParams{
			HookName:           components.HandoverHookName,
			StopTimeoutSeconds: components.DefaultStopTimeoutSeconds,
		},
		// The dev stack keeps the launch gate, on by default.
		LaunchGate: &userdata.LaunchGateParams{
			HookName:       components.LaunchGateHookName,
			TimeoutSeconds: components.DefaultLaunchGateTimeoutSeconds,
		},
		// A failed boot that no launch action waits for reports itself.
		GroupName: d.exports["autoScalingGroupName"],
	}
}

// volumeZone returns the availability zone of volume id in moto.
func volumeZone(t *testing.T, ctx context.Context, client *ec2.Client, id string) string {
	t.Helper()
	out, err := client.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	if err != nil || len(out.Volumes) != 1 {
		t.Fatalf("DescribeVolumes %s: %v", id, err)
	}
	return aws.ToString(out.Volumes[0].AvailabilityZone)
}

// defaultSubnetsIn returns the ids of the default subnets in zone, sorted.
func defaultSubnetsIn(t *testing.T, ctx context.Context, client *ec2.Client, zone string) []string {
	t.Helper()
	out, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("default-for-az"), Values: []string{"true"}},
		{Name: aws.String("availability-zone"), Values: []string{zone}},
	}})
	if err != nil {
		t.Fatalf("DescribeSubnets: %v", err)
	}
	var ids []string
	for _, s := range out.Subnets {
		ids = append(ids, aws.ToString(s.SubnetId))
	}
	slices.Sort(ids)
	return ids
}

func describeGroup(t *testing.T, ctx context.Context, client *autoscaling.Client, name string) asgtypes.AutoScalingGroup {
	t.Helper()
	out, err := client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		t.Fatalf("DescribeAutoScalingGroups %s: %v", name, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		t.Fatalf("DescribeAutoScalingGroups %s: %d groups, want 1", name, len(out.AutoScalingGroups))
	}
	return out.AutoScalingGroups[0]
}

// onlyInstance returns the group's one instance, which must be InService
// or Pending.
func onlyInstance(t *testing.T, group asgtypes.AutoScalingGroup) asgtypes.Instance {
	t.Helper()
	if len(group.Instances) != 1 {
		t.Fatalf("group %s has %d instances, want 1: %+v", aws.ToString(group.AutoScalingGroupName), len(group.Instances), group.Instances)
	}
	i := group.Instances[0]
	if i.LifecycleState != asgtypes.LifecycleStateInService && i.LifecycleState != asgtypes.LifecycleStatePending {
		t.Fatalf("instance %s is %s, want InService or Pending", aws.ToString(i.InstanceId), i.LifecycleState)
	}
	return i
}

func describeInstance(t *testing.T, ctx context.Context, client *ec2.Client, id string) ec2types.Instance {
	t.Helper()
	out, err := client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatalf("DescribeInstances %s: %v", id, err)
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("DescribeInstances %s: found %d reservations", id, len(out.Reservations))
	}
	return out.Reservations[0].Instances[0]
}

func instanceUserData(t *testing.T, ctx context.Context, client *ec2.Client, id string) string {
	t.Helper()
	out, err := client.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
		InstanceId: &id, Attribute: ec2types.InstanceAttributeNameUserData,
	})
	if err != nil {
		t.Fatalf("DescribeInstanceAttribute %s userData: %v", id, err)
	}
	if out.UserData == nil {
		return ""
	}
	return aws.ToString(out.UserData.Value)
}

func TestDeployDevStackVariantsIntoMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	server := startMoto(t)

	t.Run("an existing Elastic IP is looked up, not allocated", func(t *testing.T) {
		if err := server.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		cfg := server.AWSConfig()
		existing, err := ec2.NewFromConfig(cfg).AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
		if err != nil {
			t.Fatalf("AllocateAddress: %v", err)
		}
		id, ip := aws.ToString(existing.AllocationId), aws.ToString(existing.PublicIp)
		d := deployDevStack(t, ctx, server, loadDevStack(t, map[string]string{"selfhealing:allocationId": id}))

		if eips := d.monitor.ByType("aws:ec2/eip:Eip"); len(eips) != 0 {
			t.Errorf("registered %d Elastic IPs, want none: the stack brings its own", len(eips))
		}
		if d.exports["allocationId"] != id || d.exports["publicIp"] != ip {
			t.Errorf("exports allocationId %s, publicIp %s; want moto's %s, %s", d.exports["allocationId"], d.exports["publicIp"], id, ip)
		}
		addresses, err := d.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
		if err != nil || len(addresses.Addresses) != 1 {
			t.Errorf("moto holds %d addresses (%v), want only the existing one", len(addresses.Addresses), err)
		}
		policies := d.monitor.RolePolicies()
		if len(policies) != 1 || !strings.Contains(policies[0].Document, "elastic-ip/"+id) {
			t.Errorf("inline policies %+v, want one scoped to elastic-ip/%s", policies, id)
		}
	})

	t.Run("retainOnDelete is recorded on the Elastic IP", func(t *testing.T) {
		if err := server.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		d := deployDevStack(t, ctx, server, loadDevStack(t, map[string]string{"selfhealing:retainOnDelete": "true"}))
		eips := d.monitor.ByType("aws:ec2/eip:Eip")
		if len(eips) != 1 || !eips[0].RetainOnDelete {
			t.Fatalf("Elastic IP registrations %+v, want one with RetainOnDelete", eips)
		}
		if eips[0].ID != d.exports["allocationId"] {
			t.Errorf("Elastic IP id %s, want the exported allocation id %s", eips[0].ID, d.exports["allocationId"])
		}
	})

	t.Run("a data volume from a snapshot is created from it, and a size below the snapshot's refused first", func(t *testing.T) {
		if err := server.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		cfg := server.AWSConfig()
		cfg.Region = loadDevStack(t, nil).Config["aws:region"]
		client := ec2.NewFromConfig(cfg)
		source, err := client.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(cfg.Region + "a"), Size: aws.Int32(12), Encrypted: aws.Bool(true)})
		if err != nil {
			t.Fatalf("CreateVolume: %v", err)
		}
		snap, err := client.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: source.VolumeId})
		if err != nil {
			t.Fatalf("CreateSnapshot: %v", err)
		}
		id := aws.ToString(snap.SnapshotId)

		monitor, err := moto.New(ctx, cfg, cfg.Region)
		if err != nil {
			t.Fatal(err)
		}
		small := loadDevStack(t, map[string]string{"selfhealing:dataVolume": `{"snapshotId": "` + id + `", "sizeGiB": 8}`})
		if _, err := programrun.Run(small, monitor, programrun.Deploy); err == nil || !strings.Contains(err.Error(), "dataVolume.sizeGiB 8") ||
			!strings.Contains(err.Error(), "12 GiB") {
			t.Errorf("deploying a volume of 8 GiB from a snapshot of 12: %v, want the size refused", err)
		}
		if n := len(monitor.ByType(typeVolumeToken)); n != 0 {
			t.Errorf("%d volumes registered before the refusal", n)
		}

		d := deployDevStack(t, ctx, server, loadDevStack(t, map[string]string{"selfhealing:dataVolume": `{"snapshotId": "` + id + `"}`}))
		volumes, err := d.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{d.exports["dataVolumeId"]}})
		if err != nil || len(volumes.Volumes) != 1 {
			t.Fatalf("moto holds %d volumes named %s (%v), want the data volume", len(volumes.Volumes), d.exports["dataVolumeId"], err)
		}
		v := volumes.Volumes[0]
		if aws.ToString(v.SnapshotId) != id || aws.ToInt32(v.Size) != 12 || !aws.ToBool(v.Encrypted) {
			t.Errorf("volume snapshot %s, size %d, encrypted %v; want created from %s at its 12 GiB, encrypted",
				aws.ToString(v.SnapshotId), aws.ToInt32(v.Size), aws.ToBool(v.Encrypted), id)
		}
	})

	t.Run("the warm pool is put on the group", func(t *testing.T) {
		if err := server.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		d := deployDevStack(t, ctx, server, loadDevStack(t, map[string]string{"selfhealing:warmPool": "true"}))
		group := d.exports["autoScalingGroupName"]
		out, err := d.autoscaling.DescribeWarmPool(ctx, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String(group)})
		if err != nil {
			t.Fatal(err)
		}
		c := out.WarmPoolConfiguration
		if c == nil || c.PoolState != asgtypes.WarmPoolStateStopped || aws.ToInt32(c.MinSize) != 1 {
			t.Errorf("the warm pool of %s is %+v, want Stopped with MinSize 1", group, c)
		}
	})

	t.Run("the office-hours schedule's actions are put on the group, which without a volume spans zones", func(t *testing.T) {
		if err := server.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		stack := loadDevStack(t, map[string]string{"selfhealing:schedule": `{"stop": "0 19 * * mon-fri", "start": "0 8 * * MON-FRI", "timeZone": "Europe/Berlin"}`})
		delete(stack.Config, "selfhealing:dataVolume")
		d := deployDevStack(t, ctx, server, stack)
		group := d.exports["autoScalingGroupName"]
		out, err := d.autoscaling.DescribeScheduledActions(ctx, &autoscaling.DescribeScheduledActionsInput{AutoScalingGroupName: aws.String(group)})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, a := range out.ScheduledUpdateGroupActions {
			got[aws.ToString(a.ScheduledActionName)] = fmt.Sprintf("%s %s %d/%d/%d", aws.ToString(a.Recurrence), aws.ToString(a.TimeZone),
				aws.ToInt32(a.MinSize), aws.ToInt32(a.MaxSize), aws.ToInt32(a.DesiredCapacity))
		}
		want := map[string]string{
			"office-hours-stop":  "0 19 * * MON-FRI Europe/Berlin 0/0/0",
			"office-hours-start": "0 8 * * MON-FRI Europe/Berlin 1/1/1",
		}
		if !maps.Equal(got, want) {
			t.Errorf("scheduled actions of %s: %v, want %v", group, got, want)
		}
		groups := d.monitor.ByType("aws:autoscaling/group:Group")
		if len(groups) != 1 {
			t.Fatalf("%d groups", len(groups))
		}
		var ids []string
		for _, v := range groups[0].Inputs["vpcZoneIdentifiers"].ArrayValue() {
			ids = append(ids, v.StringValue())
		}
		subnets, err := d.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
		if err != nil {
			t.Fatal(err)
		}
		zones := map[string]bool{}
		for _, s := range subnets.Subnets {
			zones[aws.ToString(s.AvailabilityZone)] = true
		}
		if len(zones) < 2 {
			t.Errorf("without a data volume the group's subnets %v span zones %v, want two at least (the lab's zone loss needs them)", ids, zones)
		}
	})

	t.Run("the dev stack's data volume is created in moto and the group pinned to its zone", func(t *testing.T) {
		if err := server.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		d := deployDevStack(t, ctx, server, loadDevStack(t, nil))
		volumes, err := d.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{
			{Name: aws.String("tag:Name"), Values: []string{"selfhealing-dev-instance"}},
		}})
		if err != nil || len(volumes.Volumes) != 1 {
			t.Fatalf("moto holds %d tagged volumes (%v), want the data volume", len(volumes.Volumes), err)
		}
		v := volumes.Volumes[0]
		if aws.ToString(v.VolumeId) != d.exports["dataVolumeId"] || !aws.ToBool(v.Encrypted) || v.VolumeType != ec2types.VolumeTypeGp3 || aws.ToInt32(v.Size) != 8 {
			t.Errorf("volume %s encrypted=%v type=%s size=%d; want the exported %s, encrypted gp3 of 8 GiB",
				aws.ToString(v.VolumeId), aws.ToBool(v.Encrypted), v.VolumeType, aws.ToInt32(v.Size), d.exports["dataVolumeId"])
		}
		policies := d.monitor.RolePolicies()
		if len(policies) != 1 || !strings.Contains(policies[0].Document, "volume/"+aws.ToString(v.VolumeId)) {
			t.Errorf("inline policies %+v, want one scoped to volume/%s", policies, aws.ToString(v.VolumeId))
		}
		groups := d.monitor.ByType("aws:autoscaling/group:Group")
		if len(groups) != 1 {
			t.Fatalf("%d groups", len(groups))
		}
		subnets := groups[0].Inputs["vpcZoneIdentifiers"].ArrayValue()
		if len(subnets) != 1 {
			t.Fatalf("group subnets %v, want the one in the volume's zone", subnets)
		}
		subnet, err := d.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnets[0].StringValue()}})
		if err != nil || len(subnet.Subnets) != 1 || aws.ToString(subnet.Subnets[0].AvailabilityZone) != aws.ToString(v.AvailabilityZone) {
			t.Errorf("group subnet %v is not in the volume's zone %s (%v)", subnets, aws.ToString(v.AvailabilityZone), err)
		}
	})
}
