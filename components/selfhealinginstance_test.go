package components_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestGroupHoldsExactlyOneInstance(t *testing.T) {
	group := mustDeploy(t, nil).Group()
	for _, field := range []string{"minSize", "maxSize", "desiredCapacity"} {
		if got := group[field]; got != 1.0 {
			t.Errorf("group %s = %v, want 1", field, got)
		}
	}
	if got := group["healthCheckType"]; got != "EC2" {
		t.Errorf("healthCheckType = %v, want EC2", got)
	}
}

func TestGroupNameIsDeterministic(t *testing.T) {
	group := mustDeploy(t, nil).Group()
	want := components.AutoScalingGroupName(testProject, testStack, testName)
	if group["name"] != want || want != "proj-test-bastion" {
		t.Errorf("group name = %v, want %q (= proj-test-bastion)", group["name"], want)
	}
}

func TestGroupLaunchesTheTemplatesExactVersion(t *testing.T) {
	d := mustDeploy(t, nil)
	lt := d.One("aws:ec2/launchTemplate:LaunchTemplate")
	ref := d.Group()["launchTemplate"]
	if got := path(ref, "id"); got != lt.ID {
		t.Errorf("group launchTemplate.id = %v, want %s", got, lt.ID)
	}
	// "$Latest" would hide new template versions from the group.
	if got := path(ref, "version"); got != "1" {
		t.Errorf("group launchTemplate.version = %v, want the template's latestVersion \"1\"", got)
	}
}

func TestLaunchTemplateRequiresIMDSv2(t *testing.T) {
	metadata := mustDeploy(t, nil).LaunchTemplate()["metadataOptions"]
	if got := path(metadata, "httpTokens"); got != "required" {
		t.Errorf("metadataOptions.httpTokens = %v, want required", got)
	}
	if got := path(metadata, "httpEndpoint"); got != "enabled" {
		t.Errorf("metadataOptions.httpEndpoint = %v, want enabled", got)
	}
	if got := path(metadata, "httpPutResponseHopLimit"); got != 1.0 {
		t.Errorf("default hop limit = %v, want 1", got)
	}

	metadata = mustDeploy(t, &components.SelfHealingInstanceArgs{MetadataHopLimit: pulumi.IntRef(2)}).LaunchTemplate()["metadataOptions"]
	if got := path(metadata, "httpPutResponseHopLimit"); got != 2.0 {
		t.Errorf("configured hop limit = %v, want 2", got)
	}
}

func TestRootVolumeIsEncryptedGP3OnTheImagesRootDevice(t *testing.T) {
	sdaImage := func(a *fake.Account) {
		a.Images["ami-0ccccccccccccccc1"] = fake.Image{Architecture: "x86_64", RootDeviceName: "/dev/sda1", SizeGiB: 20}
	}
	for _, tc := range []struct {
		name       string
		args       *components.SelfHealingInstanceArgs
		wantDevice string
		wantSize   any
	}{
		{"amazon linux", nil, "/dev/xvda", nil},
		{"pinned image with another root device", &components.SelfHealingInstanceArgs{AmiID: "ami-0ccccccccccccccc1", RootVolumeSizeGiB: 30}, "/dev/sda1", 30.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mappings, _ := mustDeploy(t, tc.args, sdaImage).LaunchTemplate()["blockDeviceMappings"].([]any)
			if len(mappings) != 1 {
				t.Fatalf("want one block device mapping, got %v", mappings)
			}
			if got := path(mappings, 0, "deviceName"); got != tc.wantDevice {
				t.Errorf("deviceName = %v, want the image's root device %s", got, tc.wantDevice)
			}
			ebs := path(mappings, 0, "ebs")
			for field, want := range map[string]any{"encrypted": "true", "volumeType": "gp3", "deleteOnTermination": "true", "volumeSize": tc.wantSize} {
				if got := path(ebs, field); got != want {
					t.Errorf("ebs.%s = %v, want %v", field, got, want)
				}
			}
		})
	}
}

func TestInstanceGetsAPublicIPv4AtLaunch(t *testing.T) {
	d := mustDeploy(t, nil)
	lt := d.LaunchTemplate()
	nic := path(lt, "networkInterfaces", 0)
	if got := path(nic, "associatePublicIpAddress"); got != "true" {
		t.Errorf("networkInterfaces[0].associatePublicIpAddress = %v, want \"true\"", got)
	}
	if got := path(nic, "deviceIndex"); got != 0.0 {
		t.Errorf("networkInterfaces[0].deviceIndex = %v, want 0", got)
	}
	sg := d.One("aws:ec2/securityGroup:SecurityGroup")
	if got := path(nic, "securityGroups"); !slices.Equal(toStrings(got), []string{sg.ID}) {
		t.Errorf("networkInterfaces[0].securityGroups = %v, want [%s]", got, sg.ID)
	}
	// EC2 rejects vpcSecurityGroupIds beside networkInterfaces, and a
	// subnet in the template would fight the group's subnets.
	for _, field := range []string{"vpcSecurityGroupIds", "securityGroupNames"} {
		if v, ok := lt[field]; ok && len(toStrings(v)) > 0 {
			t.Errorf("launch template sets %s = %v beside networkInterfaces", field, v)
		}
	}
	if got := path(nic, "subnetId"); got != nil {
		t.Errorf("networkInterfaces[0].subnetId = %v, want unset so the group picks subnets", got)
	}
}

func TestLaunchTemplateTagsInstanceAndVolumes(t *testing.T) {
	specs, _ := mustDeploy(t, &components.SelfHealingInstanceArgs{Tags: pulumi.ToStringMap(map[string]string{"team": "ops"})}).LaunchTemplate()["tagSpecifications"].([]any)
	got := map[string]any{}
	for _, spec := range specs {
		got[path(spec, "resourceType").(string)] = path(spec, "tags")
	}
	for _, kind := range []string{"instance", "volume"} {
		if path(got[kind], "team") != "ops" || path(got[kind], "Name") != "proj-test-bastion" {
			t.Errorf("tag specification for %s = %v, want team=ops and Name=proj-test-bastion", kind, got[kind])
		}
	}
}

func TestGroupTagsPropagateAtLaunch(t *testing.T) {
	tags, _ := mustDeploy(t, &components.SelfHealingInstanceArgs{Tags: pulumi.ToStringMap(map[string]string{"team": "ops"})}).Group()["tags"].([]any)
	keys := []string{}
	for _, tag := range tags {
		keys = append(keys, path(tag, "key").(string))
		if path(tag, "propagateAtLaunch") != true {
			t.Errorf("group tag %v does not propagate at launch", tag)
		}
	}
	if !slices.Equal(keys, []string{"Name", "team"}) {
		t.Errorf("group tag keys = %v, want [Name team]", keys)
	}
}

func TestUserDataTakesThisAllocation(t *testing.T) {
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{UserScript: pulumi.String("systemctl start app")})
	eip := d.One("aws:ec2/eip:Eip")
	group, _ := d.Group()["name"].(string)
	publicIP, _ := d.Outputs["publicIp"].(string)
	want, err := userdata.Render(userdata.Params{AllocationID: eip.ID, PublicIP: publicIP, UserScript: "systemctl start app",
		GroupName:  group,
		LaunchGate: &userdata.LaunchGateParams{HookName: components.LaunchGateHookName, TimeoutSeconds: components.DefaultLaunchGateTimeoutSeconds}})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.BootScript(); got != want {
		t.Errorf("user data is not the boot script rendered for %s:\n%s", eip.ID, got)
	}
}

func TestSecretUserScriptsStaySecret(t *testing.T) {
	for _, secret := range []bool{false, true} {
		var script pulumi.StringInput = pulumi.String("echo token")
		if secret {
			script = pulumi.ToSecret(script).(pulumi.StringOutput)
		}
		d := mustDeploy(t, &components.SelfHealingInstanceArgs{UserScript: script})
		userData := d.One("aws:ec2/launchTemplate:LaunchTemplate").Inputs["userData"]
		if got := userData.ContainsSecrets(); got != secret {
			t.Errorf("secret user script=%v: user data secret = %v", secret, got)
		}
	}
}

func TestEveryChildIsParentedToTheComponent(t *testing.T) {
	// With every optional child: a data volume and its snapshot policy.
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, Snapshots: &components.SnapshotArgs{TimeUTC: "03:00"}}))
	resources := d.Monitor.Resources()
	if len(resources) < 12 {
		t.Fatalf("want the component and at least 11 children, got %d resources", len(resources))
	}
	for _, r := range resources {
		want := components.TypeToken
		if r.Type == components.TypeToken {
			want = "pulumi:pulumi:Stack"
		}
		if r.ParentType != want {
			t.Errorf("%s %s has parent %q, want %q", r.Type, r.Name, r.ParentType, want)
		}
		if !strings.HasPrefix(r.Name, testName) {
			t.Errorf("%s %s: child names start with the component's name so two components do not collide", r.Type, r.Name)
		}
	}
}

func TestOutputsAreExportedAndRegistered(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5}))
	eip := d.One("aws:ec2/eip:Eip")
	want := map[string]any{
		"publicIp":             path(fakeOutputs(eip), "publicIp"),
		"publicDns":            path(fakeOutputs(eip), "publicDns"),
		"allocationId":         eip.ID,
		"autoScalingGroupName": "proj-test-bastion",
		"launchTemplateId":     d.One("aws:ec2/launchTemplate:LaunchTemplate").ID,
		"instanceRoleArn":      path(fakeOutputs(d.One("aws:iam/role:Role")), "arn"),
		"instanceRoleName":     path(fakeOutputs(d.One("aws:iam/role:Role")), "name"),
		"securityGroupId":      d.One("aws:ec2/securityGroup:SecurityGroup").ID,
		"dataVolumeId":         d.One(typeVolume).ID,
		"dataVolumeMountPath":  "/data",
		"url":                  "http://" + path(fakeOutputs(eip), "publicIp").(string),
	}
	for name, value := range want {
		if value == nil || value == "" {
			t.Fatalf("test setup: no expected value for %s", name)
		}
		if d.Outputs[name] != value {
			t.Errorf("output %s = %v, want %v", name, d.Outputs[name], value)
		}
	}
	// Off by default, and empty rather than missing.
	off := []string{"notificationTopicArn", "networkInterfaceId", "privateIp"}
	for _, name := range off {
		if got, ok := d.Outputs[name]; !ok || got != "" {
			t.Errorf("output %s = %#v, want \"\"", name, got)
		}
	}
	if len(d.Outputs) != len(want)+len(off) {
		t.Errorf("outputs = %v, want exactly %d", d.Outputs, len(want)+len(off))
	}
}

func TestRetainOnDeleteKeepsTheAddress(t *testing.T) {
	if mustDeploy(t, nil).One("aws:ec2/eip:Eip").RetainOnDelete {
		t.Error("the Elastic IP is retained on delete by default")
	}
	if !mustDeploy(t, &components.SelfHealingInstanceArgs{RetainOnDelete: true}).One("aws:ec2/eip:Eip").RetainOnDelete {
		t.Error("retainOnDelete: the Elastic IP is not retained")
	}
	eip := inputs(mustDeploy(t, nil).One("aws:ec2/eip:Eip"))
	if eip["domain"] != "vpc" {
		t.Errorf("eip domain = %v, want vpc", eip["domain"])
	}
}

func TestExistingAllocationIsUsedNotCreated(t *testing.T) {
	const existing = "eipalloc-0123456789abcdef0"
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{AllocationID: pulumi.String(existing)})
	if eips := d.Monitor.ByType("aws:ec2/eip:Eip"); len(eips) != 0 {
		t.Errorf("created %d Elastic IPs, want none with an existing allocationId", len(eips))
	}
	if d.Outputs["allocationId"] != existing || d.Outputs["publicIp"] != "198.51.100.10" {
		t.Errorf("outputs allocationId=%v publicIp=%v, want %s and the address's own IP", d.Outputs["allocationId"], d.Outputs["publicIp"], existing)
	}
	if !strings.Contains(d.BootScript(), "allocation_id='"+existing+"'") {
		t.Error("the boot script does not take the existing allocation")
	}
	resources := d.RolePolicy().Statement[0].Resource
	if !slices.Contains(resources, "arn:aws:ec2:eu-west-1:123456789012:elastic-ip/"+existing) {
		t.Errorf("policy resources %v do not name the existing allocation", resources)
	}
}

func TestSubnets(t *testing.T) {
	t.Run("default VPC, every zone", func(t *testing.T) {
		d := mustDeploy(t, nil, func(a *fake.Account) {
			// A non-default subnet in the default VPC must not be used.
			a.Subnets = append(a.Subnets, fake.Subnet{ID: "subnet-0de1a0000000000d9", VpcID: a.DefaultVpcID, AvailabilityZone: "eu-west-1a"})
		})
		got := toStrings(d.Group()["vpcZoneIdentifiers"])
		want := []string{"subnet-0de1a0000000000a1", "subnet-0de1a0000000000b1", "subnet-0de1a0000000000c1"}
		if !slices.Equal(got, want) {
			t.Errorf("vpcZoneIdentifiers = %v, want the default subnets %v", got, want)
		}
		if sg := inputs(d.One("aws:ec2/securityGroup:SecurityGroup")); sg["vpcId"] != "vpc-0de1a0000000000f1" {
			t.Errorf("security group vpcId = %v, want the default VPC", sg["vpcId"])
		}
	})
	t.Run("configured", func(t *testing.T) {
		d := mustDeploy(t, &components.SelfHealingInstanceArgs{SubnetIDs: pulumi.ToStringArray([]string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"})}, customVPC)
		if got := toStrings(d.Group()["vpcZoneIdentifiers"]); !slices.Equal(got, []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}) {
			t.Errorf("vpcZoneIdentifiers = %v, want the configured subnets", got)
		}
		if sg := inputs(d.One("aws:ec2/securityGroup:SecurityGroup")); sg["vpcId"] != "vpc-0aaaaaaaaaaaaaaa0" {
			t.Errorf("security group vpcId = %v, want the subnets' VPC", sg["vpcId"])
		}
	})
}

func customVPC(a *fake.Account) {
	a.Subnets = append(a.Subnets,
		fake.Subnet{ID: "subnet-0aaaaaaaaaaaaaaa1", VpcID: "vpc-0aaaaaaaaaaaaaaa0", AvailabilityZone: "eu-west-1a"},
		fake.Subnet{ID: "subnet-0aaaaaaaaaaaaaaa2", VpcID: "vpc-0aaaaaaaaaaaaaaa0", AvailabilityZone: "eu-west-1b"},
		fake.Subnet{ID: "subnet-0bbbbbbbbbbbbbbb1", VpcID: "vpc-0bbbbbbbbbbbbbbb0", AvailabilityZone: "eu-west-1a"},
	)
}

func TestImageFollowsTheInstanceTypesArchitecture(t *testing.T) {
	for _, tc := range []struct{ instanceType, archs, wantImage string }{
		{"t3.micro", "x86_64", "ami-0a120230000000861"},
		{"t4g.small", "arm64", "ami-0a120230000000a64"},
		// A name that does not look like Graviton: only AWS's data tells.
		{"x9z.large", "arm64", "ami-0a120230000000a64"},
		{"t2.micro", "i386 x86_64", "ami-0a120230000000861"},
	} {
		t.Run(tc.instanceType, func(t *testing.T) {
			d := mustDeploy(t, &components.SelfHealingInstanceArgs{InstanceType: tc.instanceType}, func(a *fake.Account) {
				a.ArchitectureFor = nil
				a.InstanceTypes[tc.instanceType] = strings.Fields(tc.archs)
			})
			if got := d.LaunchTemplate()["imageId"]; got != tc.wantImage {
				t.Errorf("imageId = %v, want %s (Amazon Linux 2023 for %s)", got, tc.wantImage, tc.archs)
			}
		})
	}
	t.Run("explicit AMI overrides", func(t *testing.T) {
		d := mustDeploy(t, &components.SelfHealingInstanceArgs{AmiID: "ami-0ccccccccccccccc2"}, func(a *fake.Account) {
			a.Images["ami-0ccccccccccccccc2"] = fake.Image{Architecture: "x86_64", RootDeviceName: "/dev/xvda", SizeGiB: 8}
		})
		if got := d.LaunchTemplate()["imageId"]; got != "ami-0ccccccccccccccc2" {
			t.Errorf("imageId = %v, want the pinned AMI", got)
		}
	})
}

func TestGroupWaitsForTheInstancePermissions(t *testing.T) {
	d := mustDeploy(t, nil)
	deps := d.One("aws:autoscaling/group:Group").Dependencies
	for _, typeToken := range []string{
		"aws:iam/rolePolicy:RolePolicy",
		"aws:iam/instanceProfile:InstanceProfile",
	} {
		urn := d.One(typeToken).URN
		if urn == "" || !slices.Contains(deps, urn) {
			t.Errorf("the group does not depend on %s (%s); its dependencies are %v", typeToken, urn, deps)
		}
	}
}

func TestSecurityGroup(t *testing.T) {
	t.Run("opens nothing by default", func(t *testing.T) {
		sg := inputs(mustDeploy(t, nil).One("aws:ec2/securityGroup:SecurityGroup"))
		if ingress, ok := sg["ingress"]; ok && len(ingress.([]any)) > 0 {
			t.Errorf("default ingress = %v, want none", ingress)
		}
		egress := path(sg, "egress", 0)
		if path(egress, "protocol") != "-1" || !slices.Equal(toStrings(path(egress, "cidrBlocks")), []string{"0.0.0.0/0"}) {
			t.Errorf("egress = %v, want all traffic to anywhere", sg["egress"])
		}
	})
	t.Run("configured rules, IPv4 and IPv6 apart", func(t *testing.T) {
		sg := inputs(mustDeploy(t, &components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{
			{Description: "HTTPS", Protocol: "tcp", FromPort: 443, ToPort: 443, CidrBlocks: pulumi.ToStringArray([]string{"203.0.113.0/24", "2001:db8::/32"})},
		}}).One("aws:ec2/securityGroup:SecurityGroup"))
		rule := path(sg, "ingress", 0)
		if path(rule, "fromPort") != 443.0 || path(rule, "toPort") != 443.0 || path(rule, "protocol") != "tcp" {
			t.Errorf("ingress[0] = %v, want tcp 443", rule)
		}
		if got := toStrings(path(rule, "cidrBlocks")); !slices.Equal(got, []string{"203.0.113.0/24"}) {
			t.Errorf("ingress[0].cidrBlocks = %v", got)
		}
		if got := toStrings(path(rule, "ipv6CidrBlocks")); !slices.Equal(got, []string{"2001:db8::/32"}) {
			t.Errorf("ingress[0].ipv6CidrBlocks = %v", got)
		}
	})
}

// ec2Text is what EC2 accepts in security group and rule descriptions.
var ec2Text = regexp.MustCompile(`^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}$`)

func TestSecurityGroupTextsUseOnlyCharactersEC2Accepts(t *testing.T) {
	sg := inputs(mustDeploy(t, &components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{
		{Description: "HTTPS (public)", Protocol: "tcp", FromPort: 443, ToPort: 443, CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"})},
	}}).One("aws:ec2/securityGroup:SecurityGroup"))
	texts := []any{sg["description"], path(sg, "egress", 0, "description"), path(sg, "ingress", 0, "description")}
	for _, text := range texts {
		if s, ok := text.(string); !ok || !ec2Text.MatchString(s) {
			t.Errorf("description %q has characters EC2 refuses", text)
		}
	}
}

func TestNoRuleEverOpensSSH(t *testing.T) {
	for _, rule := range []components.IngressRule{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"})},
		{Protocol: "tcp", FromPort: 0, ToPort: 1024, CidrBlocks: pulumi.ToStringArray([]string{"10.0.0.0/8"})},
	} {
		_, err := deploy(t, &components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{rule}})
		if err == nil || !strings.Contains(err.Error(), "port 22") {
			t.Errorf("rule %+v: err = %v, want a refusal naming port 22", rule, err)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	a, _ := v.([]any)
	for _, e := range a {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

func fakeOutputs(r fake.Resource) map[string]any {
	m, _ := plainOutputs(r).(map[string]any)
	return m
}
