package components_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
)

const (
	typeInterface        = "aws:ec2/networkInterface:NetworkInterface"
	typeEipAssociation   = "aws:ec2/eipAssociation:EipAssociation"
	typeInterfaceSGAttch = "aws:ec2/networkInterfaceSecurityGroupAttachment:NetworkInterfaceSecurityGroupAttachment"
	adoptedInterfaceID   = "eni-0da7a000000000001" // in the fake account, free, in eu-west-1b
	interfaceARNPrefix   = "arn:aws:ec2:eu-west-1:123456789012:network-interface/"
)

func withInterface(n components.NetworkInterfaceArgs) *components.SelfHealingInstanceArgs {
	return &components.SelfHealingInstanceArgs{NetworkInterface: &n}
}

func TestNoNetworkInterfaceByDefault(t *testing.T) {
	d := mustDeploy(t, nil)
	for _, typ := range []string{typeInterface, typeEipAssociation} {
		if n := len(d.Monitor.ByType(typ)); n != 0 {
			t.Errorf("default args created %d %s", n, typ)
		}
	}
	if !strings.Contains(d.BootScript(), "readonly with_network_interface=0") {
		t.Error("the boot script's network interface flag is not 0 by default")
	}
}

// The interface the component creates: in the first subnet, with the
// stack's security group, and the Elastic IP associated with it, once, by
// the stack; the group launches only into its subnet.
func TestNetworkInterfaceIsCreatedWithTheAddressOnIt(t *testing.T) {
	d := mustDeploy(t, withInterface(components.NetworkInterfaceArgs{PrivateIP: "172.31.0.50"}))
	eni := d.One(typeInterface)
	in := inputs(eni)
	if in["subnetId"] != defaultSubnetZoneA {
		t.Errorf("interface subnet = %v, want the first subnet %s", in["subnetId"], defaultSubnetZoneA)
	}
	if got := toStrings(in["privateIps"]); !slices.Equal(got, []string{"172.31.0.50"}) {
		t.Errorf("interface privateIps = %v, want [172.31.0.50]", got)
	}
	sg := d.One("aws:ec2/securityGroup:SecurityGroup").ID
	if got := toStrings(in["securityGroups"]); !slices.Equal(got, []string{sg}) {
		t.Errorf("interface security groups = %v, want the stack's %s", got, sg)
	}
	association := inputs(d.One(typeEipAssociation))
	if association["networkInterfaceId"] != eni.ID || association["allocationId"] != d.One("aws:ec2/eip:Eip").ID {
		t.Errorf("Elastic IP association = %v, want the Eip on interface %s", association, eni.ID)
	}
	if _, ok := association["instanceId"]; ok {
		t.Errorf("the association names an instance: %v", association)
	}
	if got := toStrings(d.Group()["vpcZoneIdentifiers"]); !slices.Equal(got, []string{defaultSubnetZoneA}) {
		t.Errorf("vpcZoneIdentifiers = %v, want only the interface's subnet", got)
	}
	if d.Outputs["networkInterfaceId"] != eni.ID || d.Outputs["privateIp"] != "172.31.0.50" {
		t.Errorf("outputs networkInterfaceId %v, privateIp %v", d.Outputs["networkInterfaceId"], d.Outputs["privateIp"])
	}
	// The template keeps the instance's own interface at device 0.
	if got := path(d.LaunchTemplate(), "networkInterfaces", 0, "deviceIndex"); got != 0.0 {
		t.Errorf("launch template interface device index = %v, want 0", got)
	}
	if n := len(path(d.LaunchTemplate(), "networkInterfaces").([]any)); n != 1 {
		t.Errorf("launch template has %d interfaces, want only the instance's own", n)
	}
	script := d.BootScript()
	for _, want := range []string{"readonly with_network_interface=1", "readonly eni_id='" + eni.ID + "'", "set_up_network_interface"} {
		if !strings.Contains(script, want) {
			t.Errorf("boot script lacks %q", want)
		}
	}
}

func TestNetworkInterfaceSubnetPinsTheGroup(t *testing.T) {
	args := withInterface(components.NetworkInterfaceArgs{SubnetID: defaultSubnetZoneC})
	d := mustDeploy(t, args)
	if got := inputs(d.One(typeInterface))["subnetId"]; got != defaultSubnetZoneC {
		t.Errorf("interface subnet = %v, want %s", got, defaultSubnetZoneC)
	}
	if got := toStrings(d.Group()["vpcZoneIdentifiers"]); !slices.Equal(got, []string{defaultSubnetZoneC}) {
		t.Errorf("vpcZoneIdentifiers = %v, want [%s]", got, defaultSubnetZoneC)
	}
	// A data volume without a zone of its own follows the interface.
	args.DataVolume = &components.DataVolumeArgs{SizeGiB: 5}
	d = mustDeploy(t, args)
	if got := inputs(d.One(typeVolume))["availabilityZone"]; got != "eu-west-1c" {
		t.Errorf("volume zone = %v, want the interface's eu-west-1c", got)
	}
}

func TestAdoptedNetworkInterface(t *testing.T) {
	d := mustDeploy(t, withInterface(components.NetworkInterfaceArgs{NetworkInterfaceID: adoptedInterfaceID}))
	if n := len(d.Monitor.ByType(typeInterface)); n != 0 {
		t.Errorf("adopting an interface created %d", n)
	}
	if got := toStrings(d.Group()["vpcZoneIdentifiers"]); !slices.Equal(got, []string{defaultSubnetZoneB}) {
		t.Errorf("vpcZoneIdentifiers = %v, want the adopted interface's subnet %s", got, defaultSubnetZoneB)
	}
	sg := inputs(d.One(typeInterfaceSGAttch))
	if sg["networkInterfaceId"] != adoptedInterfaceID || sg["securityGroupId"] != d.One("aws:ec2/securityGroup:SecurityGroup").ID {
		t.Errorf("security group attachment = %v, want the stack's group on %s", sg, adoptedInterfaceID)
	}
	if inputs(d.One(typeEipAssociation))["networkInterfaceId"] != adoptedInterfaceID {
		t.Error("the Elastic IP is not associated with the adopted interface")
	}
	if d.Outputs["privateIp"] != "172.31.16.20" {
		t.Errorf("privateIp = %v, want the adopted interface's", d.Outputs["privateIp"])
	}

	const primary = "eni-0bad0000000000001"
	_, err := deploy(t, withInterface(components.NetworkInterfaceArgs{NetworkInterfaceID: primary}), func(a *fake.Account) {
		a.NetworkInterfaces[primary] = fake.NetworkInterface{SubnetID: defaultSubnetZoneA, VpcID: "vpc-0de1a000000000001",
			PrivateIP: "172.31.0.9", InterfaceType: "interface", AttachedTo: "i-0123456789abcdef0", DeviceIndex: 0}
	})
	wantError(t, err, "networkInterface.networkInterfaceId", primary, "primary interface")
}

// The interface and the data volume each pin the group: when they name
// different zones, preview refuses, naming both fields.
func TestNetworkInterfaceAndDataVolumeMustAgree(t *testing.T) {
	t.Run("volume zone", func(t *testing.T) {
		args := withInterface(components.NetworkInterfaceArgs{SubnetID: defaultSubnetZoneA})
		args.DataVolume = &components.DataVolumeArgs{SizeGiB: 5, AvailabilityZone: "eu-west-1b"}
		d, err := deploy(t, args)
		wantError(t, err, "networkInterface.subnetId", "dataVolume.availabilityZone", "eu-west-1a", "eu-west-1b")
		if n := len(d.Monitor.ByType(typeInterface)); n != 0 {
			t.Errorf("a refused configuration created %d interfaces", n)
		}
	})
	t.Run("adopted volume and adopted interface", func(t *testing.T) {
		args := withInterface(components.NetworkInterfaceArgs{NetworkInterfaceID: adoptedInterfaceID})
		args.DataVolume = &components.DataVolumeArgs{VolumeID: adoptedVolumeID} // both in eu-west-1b
		mustDeploy(t, args)
		args = withInterface(components.NetworkInterfaceArgs{SubnetID: defaultSubnetZoneC})
		args.DataVolume = &components.DataVolumeArgs{VolumeID: adoptedVolumeID}
		_, err := deploy(t, args)
		wantError(t, err, "networkInterface.subnetId", "dataVolume.volumeId", "eu-west-1c", "eu-west-1b")
	})
}

func TestNetworkInterfaceValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		args *components.SelfHealingInstanceArgs
		want []string
	}{
		{"bad id", withInterface(components.NetworkInterfaceArgs{NetworkInterfaceID: "eni-xyz"}), []string{"networkInterface.networkInterfaceId", "eni-xyz"}},
		{"id with subnet", withInterface(components.NetworkInterfaceArgs{NetworkInterfaceID: adoptedInterfaceID, SubnetID: defaultSubnetZoneA}),
			[]string{"networkInterface.subnetId", "networkInterfaceId"}},
		{"id with address", withInterface(components.NetworkInterfaceArgs{NetworkInterfaceID: adoptedInterfaceID, PrivateIP: "172.31.0.9"}),
			[]string{"networkInterface.privateIp", "networkInterfaceId"}},
		{"bad address", withInterface(components.NetworkInterfaceArgs{PrivateIP: "172.31.0"}), []string{"networkInterface.privateIp", "IPv4"}},
		{"IPv6 address", withInterface(components.NetworkInterfaceArgs{PrivateIP: "2001:db8::1"}), []string{"networkInterface.privateIp", "IPv4"}},
		{"wait too short", withInterface(components.NetworkInterfaceArgs{AttachTimeoutSeconds: pulumi.IntRef(5)}),
			[]string{"networkInterface.attachTimeoutSeconds 5", "30 to 3600"}},
		{"subnet outside subnetIds", func() *components.SelfHealingInstanceArgs {
			a := withInterface(components.NetworkInterfaceArgs{SubnetID: defaultSubnetZoneC})
			a.SubnetIDs = pulumi.ToStringArray([]string{defaultSubnetZoneA, defaultSubnetZoneB})
			return a
		}(), []string{"networkInterface.subnetId", defaultSubnetZoneC, "subnetIds"}},
		{"gate shorter than both waits", func() *components.SelfHealingInstanceArgs {
			a := withInterface(components.NetworkInterfaceArgs{AttachTimeoutSeconds: pulumi.IntRef(300)})
			a.DataVolume = &components.DataVolumeArgs{SizeGiB: 5}
			a.LaunchGateTimeoutSeconds = pulumi.IntRef(700) // > 300 + 180, < 300 + 300 + 180
			return a
		}(), []string{"launchGateTimeoutSeconds 700", "networkInterface.attachTimeoutSeconds 300", "dataVolume.attachTimeoutSeconds 300"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, components.ValidateArgs(*tc.args), tc.want...)
		})
	}
}

// A fixed address must be one the subnet can give: inside it, and not one
// of the five AWS reserves.
// The default waits fit the default launch gate, with or without a data
// volume.
func TestNetworkInterfaceDefaultsFitTheDefaultGate(t *testing.T) {
	alone := withInterface(components.NetworkInterfaceArgs{})
	both := withInterface(components.NetworkInterfaceArgs{})
	both.DataVolume = &components.DataVolumeArgs{SizeGiB: 5}
	for _, args := range []*components.SelfHealingInstanceArgs{alone, both} {
		if err := components.ValidateArgs(*args); err != nil {
			t.Errorf("default waits refused: %v", err)
		}
	}
	if got := components.BootParams(*alone, "eipalloc-0123456789abcdef0", "").NetworkInterface; got == nil || got.WaitSeconds != 300 || !got.ForceDetach {
		t.Errorf("interface alone: boot parameters %+v, want a 300 s wait with force-detach", got)
	}
	if got := components.BootParams(*both, "eipalloc-0123456789abcdef0", "vol-0123456789abcdef0").NetworkInterface; got == nil || got.WaitSeconds != 90 {
		t.Errorf("interface after a volume: boot parameters %+v, want a 90 s wait", got)
	}
}

func TestNetworkInterfacePrivateIPMustFitTheSubnet(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"10.0.0.9", "is not in the subnet's 172.31.0.0/20"},
		{"172.31.0.1", "reserves"},
		{"172.31.15.255", "reserves"},
	} {
		_, err := deploy(t, withInterface(components.NetworkInterfaceArgs{PrivateIP: tc.ip}))
		wantError(t, err, "networkInterface.privateIp", tc.ip, tc.want)
	}
	mustDeploy(t, withInterface(components.NetworkInterfaceArgs{PrivateIP: "172.31.0.4"}))
}

// Attach and detach of this interface only, onto and from this group's
// instances only.
func TestNetworkInterfacePolicyIsScopedToTheInterface(t *testing.T) {
	d := mustDeploy(t, withInterface(components.NetworkInterfaceArgs{}))
	eniARN := interfaceARNPrefix + d.One(typeInterface).ID
	wantInstancesOfThisGroupOnly(t, d.RolePolicy(), "ec2:AttachNetworkInterface", eniARN)
	wantInstancesOfThisGroupOnly(t, d.RolePolicy(), "ec2:DetachNetworkInterface", eniARN)
	// The stack put the address on the interface: the instance never moves it.
	for _, moves := range []string{"ec2:AssociateAddress", "ec2:DescribeAddresses"} {
		if _, ok := statementsByAction(d.RolePolicy())[moves]; ok {
			t.Errorf("with the interface, the role may %s", moves)
		}
	}
	if got := statementsByAction(d.RolePolicy())["ec2:DescribeNetworkInterfaces"].Resource; !slices.Equal(got, []string{"*"}) {
		t.Errorf("DescribeNetworkInterfaces resources = %v, want [*]", got)
	}
	d = mustDeploy(t, withInterface(components.NetworkInterfaceArgs{ForceDetach: pulumi.BoolRef(false)}))
	if _, ok := statementsByAction(d.RolePolicy())["ec2:DetachNetworkInterface"]; ok {
		t.Error("role may DetachNetworkInterface with forceDetach off")
	}
}
