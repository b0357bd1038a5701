package components_test

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestInvalidArgumentsAreRefusedBeforeAnythingIsCreated(t *testing.T) {
	tcp := func(port int, cidrs ...string) components.IngressRule {
		return components.IngressRule{Protocol: "tcp", FromPort: port, ToPort: port, CidrBlocks: pulumi.ToStringArray(cidrs)}
	}
	for _, tc := range []struct {
		name string
		args components.SelfHealingInstanceArgs
		// want are substrings of the error: the field, the value, what is allowed.
		want []string
	}{
		{"instance type", components.SelfHealingInstanceArgs{InstanceType: "large"}, []string{"instanceType", `"large"`, "t3.micro"}},
		{"ami id", components.SelfHealingInstanceArgs{AmiID: "ubuntu"}, []string{"amiId", `"ubuntu"`, "ami-0123456789abcdef0"}},
		{"empty subnet list", components.SelfHealingInstanceArgs{SubnetIDs: pulumi.ToStringArray([]string{})}, []string{"subnetIds", "empty", "leave it unset"}},
		{"subnet id", components.SelfHealingInstanceArgs{SubnetIDs: pulumi.ToStringArray([]string{"subnet-0aaaaaaaaaaaaaaa1", "sn-1"})}, []string{"subnetIds[1]", `"sn-1"`, "subnet-0123456789abcdef0"}},
		{"duplicate subnet", components.SelfHealingInstanceArgs{SubnetIDs: pulumi.ToStringArray([]string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa1"})}, []string{"subnetIds[1]", "twice"}},
		{"malformed cidr", components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{tcp(443, "10.0.0.0/33")}}, []string{"ingress[0].cidrBlocks[0]", `"10.0.0.0/33"`, "203.0.113.0/24"}},
		{"cidr with host bits", components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{tcp(443, "10.1.2.3/8")}}, []string{"ingress[0].cidrBlocks[0]", "10.0.0.0/8"}},
		{"no cidrs", components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{tcp(443)}}, []string{"ingress[0].cidrBlocks", "empty"}},
		{"port range", components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{{Protocol: "tcp", FromPort: 90, ToPort: 80, CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"})}}}, []string{"ingress[0].fromPort/toPort", "90-80", "65535"}},
		{"ssh", components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{tcp(22, "0.0.0.0/0")}}, []string{"ingress[0]", "port 22", "Session Manager"}},
		{"all protocols", components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{{Protocol: "-1", CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"})}}}, []string{"ingress[0].protocol", `"-1"`, "tcp, udp or icmp"}},
		{"allocation id", components.SelfHealingInstanceArgs{AllocationID: pulumi.String("1.2.3.4")}, []string{"allocationId", `"1.2.3.4"`, "eipalloc-"}},
		{"retain with existing", components.SelfHealingInstanceArgs{AllocationID: pulumi.String("eipalloc-0123456789abcdef0"), RetainOnDelete: true}, []string{"retainOnDelete", "never released"}},
		{"hop limit", components.SelfHealingInstanceArgs{MetadataHopLimit: pulumi.IntRef(65)}, []string{"metadataHopLimit", "65", "1 to 64"}},
		{"grace period", components.SelfHealingInstanceArgs{HealthCheckGracePeriodSeconds: intPtr(-1)}, []string{"healthCheckGracePeriodSeconds", "-1"}},
		{"root volume", components.SelfHealingInstanceArgs{RootVolumeSizeGiB: 20000}, []string{"rootVolumeSizeGiB", "20000", "16384"}},
		{"user script too big", components.SelfHealingInstanceArgs{UserScript: pulumi.String(randomText(16 * 1024))}, []string{"userScript", "gzip-compressed", "16384-byte"}},
		{"reserved tag", components.SelfHealingInstanceArgs{Tags: pulumi.ToStringMap(map[string]string{"aws:owner": "x"})}, []string{"tags", `"aws:owner"`, "reserved"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, &tc.args)
			if err == nil {
				t.Fatalf("accepted %+v", tc.args)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := len(d.Monitor.Resources()); n != 0 {
				t.Errorf("%d resources were registered before the error", n)
			}
		})
	}
}

func TestComponentNamesThatAWSWouldRefuseAreRefused(t *testing.T) {
	for _, name := range []string{"", "my app", "web/1", strings.Repeat("n", 52), "-lead"} {
		err := runNamed(t, name)
		if err == nil || !strings.Contains(err.Error(), "1 to 51") {
			t.Errorf("name %q: err = %v, want a refusal saying what is allowed", name, err)
		}
	}
	if err := runNamed(t, strings.Repeat("n", 51)); err != nil {
		t.Errorf("a 51-character name was refused: %v", err)
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, err := deploy(t, &components.SelfHealingInstanceArgs{InstanceType: "big", MetadataHopLimit: pulumi.IntRef(99), AmiID: "x"})
	for _, field := range []string{"instanceType", "metadataHopLimit", "amiId"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v does not report %s", err, field)
		}
	}
}

func TestLookupsThatContradictTheArgumentsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  components.SelfHealingInstanceArgs
		shape func(*fake.Account)
		want  []string
	}{
		{"no default VPC", components.SelfHealingInstanceArgs{}, func(a *fake.Account) { a.DefaultVpcID = "" }, []string{"subnetIds", "default VPC", "set subnetIds"}},
		{"subnets in two VPCs", components.SelfHealingInstanceArgs{SubnetIDs: pulumi.ToStringArray([]string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb1"})}, customVPC, []string{"subnetIds[1]", "vpc-0bbbbbbbbbbbbbbb0", "one VPC"}},
		{"unknown subnet", components.SelfHealingInstanceArgs{SubnetIDs: pulumi.ToStringArray([]string{"subnet-0fffffffffffffff1"})}, nil, []string{"subnetIds[0]", "subnet-0fffffffffffffff1"}},
		{"unknown instance type", components.SelfHealingInstanceArgs{InstanceType: "zz9.huge"}, func(a *fake.Account) { a.ArchitectureFor = nil }, []string{"instanceType", "zz9.huge"}},
		{"image of the other architecture", components.SelfHealingInstanceArgs{InstanceType: "t4g.small", AmiID: "ami-0a120230000000861"}, nil, []string{"amiId", "x86_64", "arm64"}},
		{"root volume smaller than the image", components.SelfHealingInstanceArgs{AmiID: "ami-0ccccccccccccccc1", RootVolumeSizeGiB: 10}, func(a *fake.Account) {
			a.Images["ami-0ccccccccccccccc1"] = fake.Image{Architecture: "x86_64", RootDeviceName: "/dev/sda1", SizeGiB: 20}
		}, []string{"rootVolumeSizeGiB", "10", "20 GiB"}},
		{"unknown existing address", components.SelfHealingInstanceArgs{AllocationID: pulumi.String("eipalloc-0fffffffffffffff0")}, nil, []string{"allocationId", "eipalloc-0fffffffffffffff0"}},
		{"mac instance type", components.SelfHealingInstanceArgs{InstanceType: "mac2.metal"}, func(a *fake.Account) { a.InstanceTypes["mac2.metal"] = []string{"arm64_mac"} }, []string{"instanceType", "arm64_mac", "set amiId"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var shapes []func(*fake.Account)
			if tc.shape != nil {
				shapes = append(shapes, tc.shape)
			}
			d, err := deploy(t, &tc.args, shapes...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			for _, r := range d.Monitor.Resources() {
				if r.Custom {
					t.Errorf("%s %s was created before the error", r.Type, r.Name)
				}
			}
		})
	}
}

// randomText returns n printable bytes that gzip cannot shrink much, as a
// user script that embeds a key or an archive would be; user data limits
// apply to the compressed script.
func randomText(n int) string {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('!' + r.IntN('~'-'!'+1))
	}
	return string(b)
}

// TestTheBootScriptChecksTheDataVolumeAtPreview: what only the boot script
// knows about the volume (room in the user data, mount paths it refuses)
// fails validation, before anything is created.
func TestTheBootScriptChecksTheDataVolumeAtPreview(t *testing.T) {
	// Fits alone, not with the volume's section of the boot script.
	script := randomText(12 * 1024)
	if _, err := deploy(t, &components.SelfHealingInstanceArgs{UserScript: pulumi.String(script)}); err != nil {
		t.Fatalf("a %d-byte script without a volume: %v", len(script), err)
	}
	for _, tc := range []struct {
		name string
		args components.SelfHealingInstanceArgs
		want []string
	}{
		{"no room with the volume", components.SelfHealingInstanceArgs{UserScript: pulumi.String(script), DataVolume: &components.DataVolumeArgs{SizeGiB: 8}},
			[]string{"userScript", "gzip-compressed", "16384-byte"}},
		{"mount path the boot script refuses", components.SelfHealingInstanceArgs{DataVolume: &components.DataVolumeArgs{SizeGiB: 8, MountPath: "/home/ec2-user"}},
			[]string{"dataVolume.mountPath \"/home/ec2-user\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, &tc.args)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			for _, r := range d.Monitor.Resources() {
				if r.Custom {
					t.Errorf("%s %s was created before the error", r.Type, r.Name)
				}
			}
		})
	}
	// A volume the component already refuses is reported once.
	_, err := deploy(t, &components.SelfHealingInstanceArgs{DataVolume: &components.DataVolumeArgs{SizeGiB: 8, FSType: "btrfs"}})
	if err == nil || strings.Count(err.Error(), "dataVolume.fsType") != 1 {
		t.Errorf("err = %v, want dataVolume.fsType reported exactly once", err)
	}
}

// A protocol the rule cannot take says what it can, and a wrong case says
// which spelling, instead of speaking of port 22, which only "all
// protocols" ("-1") would open.
func TestAnIngressProtocolIsNamedAsAllowed(t *testing.T) {
	for protocol, want := range map[string]string{
		"TCP":  `ingress[0].protocol "TCP": use lowercase "tcp"`,
		"Icmp": `ingress[0].protocol "Icmp": use lowercase "icmp"`,
		"sctp": `ingress[0].protocol "sctp": want tcp, udp or icmp`,
		"-1":   `ingress[0].protocol "-1": want tcp, udp or icmp; all protocols would open SSH's port 22`,
	} {
		rule := components.IngressRule{Protocol: protocol, FromPort: 443, ToPort: 443, CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"})}
		_, err := deploy(t, &components.SelfHealingInstanceArgs{Ingress: []components.IngressRule{rule}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("protocol %q: err = %v, want %q", protocol, err, want)
		}
		if err != nil && protocol != "-1" && strings.Contains(err.Error(), "22") {
			t.Errorf("protocol %q: the error speaks of port 22: %v", protocol, err)
		}
	}
}

// When every value the boot script carries is known, the check before
// anything is created renders it with the real values (the group's name,
// the Elastic IP and its address, looked up), so that it agrees with the
// launch template's user data byte for byte: the longest user script that
// fits is accepted, and one byte more is refused before any resource
// exists.
func TestTheBootScriptIsCheckedWithTheRealValues(t *testing.T) {
	group := components.AutoScalingGroupName(testProject, testStack, testName)
	const existing, address = "eipalloc-0123456789abcdef0", "198.51.100.10" // the fake account's spare address
	fits := func(n int) bool {
		args := components.SelfHealingInstanceArgs{UserScript: pulumi.String(randomText(n))}
		_, err := userdata.Encode(components.BootParamsWithAddress(args, group, existing, address, ""))
		return err == nil
	}
	n := sort.Search(userdata.MaxBytes, func(n int) bool { return !fits(n) }) // the shortest that does not fit
	if n <= 1 || !fits(n-1) || fits(n) {
		t.Fatalf("test setup: no boundary found (n = %d)", n)
	}
	args := func(n int) *components.SelfHealingInstanceArgs {
		return &components.SelfHealingInstanceArgs{AllocationID: pulumi.String(existing), UserScript: pulumi.String(randomText(n))}
	}
	if _, err := deploy(t, args(n-1)); err != nil {
		t.Errorf("a %d-byte user script that fits the stack's boot script was refused: %v", n-1, err)
	}
	d, err := deploy(t, args(n))
	if err == nil || !strings.Contains(err.Error(), "16384-byte user-data limit") {
		t.Errorf("a %d-byte user script that does not fit: err = %v, want the user-data limit named", n, err)
	}
	for _, r := range d.Monitor.Resources() {
		if r.Custom {
			t.Errorf("%s %s was created before the refusal", r.Type, r.Name)
		}
	}
}

// When the component allocates the Elastic IP, its id is unknown before
// anything is created, and the check stands in an id for it. An id that
// compresses as badly as a real one does: a user script that does not fit
// with the id AWS then issues is refused before any resource exists, not
// when the launch template is created.
func TestTheStandInIDCompressesLikeARealOne(t *testing.T) {
	group := components.AutoScalingGroupName(testProject, testStack, testName)
	allocated := mustDeploy(t, &components.SelfHealingInstanceArgs{}).One("aws:ec2/eip:Eip").ID
	fits := func(n int) bool {
		args := components.SelfHealingInstanceArgs{UserScript: pulumi.String(randomText(n))}
		_, err := userdata.Encode(components.BootParamsInGroup(args, group, allocated, ""))
		return err == nil
	}
	n := sort.Search(userdata.MaxBytes, func(n int) bool { return !fits(n) }) // the shortest that does not fit
	d, err := deploy(t, &components.SelfHealingInstanceArgs{UserScript: pulumi.String(randomText(n))})
	if err == nil || !strings.Contains(err.Error(), "16384-byte user-data limit") {
		t.Errorf("a %d-byte user script that does not fit beside %s: err = %v, want the user-data limit named", n, allocated, err)
	}
	for _, r := range d.Monitor.Resources() {
		if r.Custom {
			t.Errorf("%s %s was created before the refusal", r.Type, r.Name)
		}
	}
}
