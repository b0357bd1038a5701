package components_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

const (
	typeVolume         = "aws:ebs/volume:Volume"
	typeSnapshotPolicy = "aws:dlm/lifecyclePolicy:LifecyclePolicy"
	adoptedVolumeID    = "vol-0da7a000000000001" // in the fake account, eu-west-1b
	testKMSKeyARN      = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	defaultSubnetZoneA = "subnet-0de1a0000000000a1"
	defaultSubnetZoneB = "subnet-0de1a0000000000b1"
	defaultSubnetZoneC = "subnet-0de1a0000000000c1"
	volumeARNPrefix    = "arn:aws:ec2:eu-west-1:123456789012:volume/"
)

func withVolume(v components.DataVolumeArgs) *components.SelfHealingInstanceArgs {
	return &components.SelfHealingInstanceArgs{DataVolume: &v}
}

func TestNoDataVolumeByDefault(t *testing.T) {
	d := mustDeploy(t, nil)
	if n := len(d.Monitor.ByType(typeVolume)); n != 0 {
		t.Errorf("default args created %d volumes, want none", n)
	}
	if got := d.Outputs["dataVolumeId"]; got != "" {
		t.Errorf("dataVolumeId = %v, want empty without a data volume", got)
	}
	if got := len(d.Group()["vpcZoneIdentifiers"].([]any)); got != 3 {
		t.Errorf("without a volume the group spans %d subnets, want all 3 zones", got)
	}
	for _, st := range d.RolePolicy().Statement {
		for _, action := range st.Action {
			if strings.Contains(action, "Volume") {
				t.Errorf("without a volume the role may %s", action)
			}
		}
	}
}

func TestDataVolumeIsEncryptedGP3AndProtected(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 20}))
	volume := d.One(typeVolume)
	in := inputs(volume)
	want := map[string]any{
		"availabilityZone": "eu-west-1a", // the first default subnet's zone
		"size":             20.0,
		"type":             "gp3",
		"encrypted":        true,
		"finalSnapshot":    true,
	}
	for key, value := range want {
		if in[key] != value {
			t.Errorf("volume %s = %v, want %v", key, in[key], value)
		}
	}
	for _, unset := range []string{"iops", "throughput", "kmsKeyId", "multiAttachEnabled"} {
		if v, ok := in[unset]; ok {
			t.Errorf("volume %s = %v, want unset (gp3's included performance, default key, single attach)", unset, v)
		}
	}
	if !volume.Protect || !volume.RetainOnDelete {
		t.Errorf("volume protect=%v retainOnDelete=%v; the default deletion policy must keep a user's data", volume.Protect, volume.RetainOnDelete)
	}
	if got := path(in, "tags", "Name"); got != "proj-test-bastion" {
		t.Errorf("volume Name tag = %v", got)
	}
	if d.Outputs["dataVolumeId"] != volume.ID {
		t.Errorf("dataVolumeId = %v, want the volume's id %s", d.Outputs["dataVolumeId"], volume.ID)
	}
}

func TestDataVolumeDeletionPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy            string
		protect, retained bool
	}{
		{components.DeletionPolicyProtect, true, true},
		{components.DeletionPolicyRetain, false, true},
		{components.DeletionPolicySnapshotAndDelete, false, false},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			volume := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, DeletionPolicy: tc.policy})).One(typeVolume)
			if volume.Protect != tc.protect || volume.RetainOnDelete != tc.retained {
				t.Errorf("protect=%v retainOnDelete=%v, want %v %v", volume.Protect, volume.RetainOnDelete, tc.protect, tc.retained)
			}
			// Whatever the policy, deleting the volume snapshots it first.
			if inputs(volume)["finalSnapshot"] != true {
				t.Error("finalSnapshot is not set")
			}
		})
	}
}

func TestDataVolumePerformanceAndKey(t *testing.T) {
	in := inputs(mustDeploy(t, withVolume(components.DataVolumeArgs{
		SizeGiB: 100, IOPS: 6000, ThroughputMiBps: 500, KMSKeyARN: pulumi.String(testKMSKeyARN),
	})).One(typeVolume))
	if in["iops"] != 6000.0 || in["throughput"] != 500.0 || in["kmsKeyId"] != testKMSKeyARN {
		t.Errorf("volume iops=%v throughput=%v kmsKeyId=%v", in["iops"], in["throughput"], in["kmsKeyId"])
	}
}

func TestDataVolumePinsTheGroupToItsZone(t *testing.T) {
	t.Run("first subnet's zone", func(t *testing.T) {
		group := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5})).Group()
		if got := group["vpcZoneIdentifiers"]; !slices.Equal(toStrings(got), []string{defaultSubnetZoneA}) {
			t.Errorf("vpcZoneIdentifiers = %v, want only the volume's zone's subnet %s", got, defaultSubnetZoneA)
		}
	})
	t.Run("explicit zone", func(t *testing.T) {
		d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, AvailabilityZone: "eu-west-1c"}))
		if got := inputs(d.One(typeVolume))["availabilityZone"]; got != "eu-west-1c" {
			t.Errorf("volume zone = %v", got)
		}
		if got := toStrings(d.Group()["vpcZoneIdentifiers"]); !slices.Equal(got, []string{defaultSubnetZoneC}) {
			t.Errorf("vpcZoneIdentifiers = %v, want [%s]", got, defaultSubnetZoneC)
		}
	})
	t.Run("adopted volume's zone", func(t *testing.T) {
		d := mustDeploy(t, withVolume(components.DataVolumeArgs{VolumeID: adoptedVolumeID}))
		if n := len(d.Monitor.ByType(typeVolume)); n != 0 {
			t.Errorf("adopting a volume created %d volumes", n)
		}
		if got := toStrings(d.Group()["vpcZoneIdentifiers"]); !slices.Equal(got, []string{defaultSubnetZoneB}) {
			t.Errorf("vpcZoneIdentifiers = %v, want [%s], the adopted volume's zone", got, defaultSubnetZoneB)
		}
		if d.Outputs["dataVolumeId"] != adoptedVolumeID {
			t.Errorf("dataVolumeId = %v", d.Outputs["dataVolumeId"])
		}
	})
	t.Run("configured subnets keep only those in the zone", func(t *testing.T) {
		args := withVolume(components.DataVolumeArgs{SizeGiB: 5, AvailabilityZone: "eu-west-1b"})
		args.SubnetIDs = pulumi.ToStringArray([]string{defaultSubnetZoneA, defaultSubnetZoneB})
		if got := toStrings(mustDeploy(t, args).Group()["vpcZoneIdentifiers"]); !slices.Equal(got, []string{defaultSubnetZoneB}) {
			t.Errorf("vpcZoneIdentifiers = %v, want [%s]", got, defaultSubnetZoneB)
		}
	})
}

func TestDataVolumeZoneMismatchFailsAtPreview(t *testing.T) {
	t.Run("configured subnets", func(t *testing.T) {
		args := withVolume(components.DataVolumeArgs{SizeGiB: 5, AvailabilityZone: "eu-west-1c"})
		args.SubnetIDs = pulumi.ToStringArray([]string{defaultSubnetZoneA, defaultSubnetZoneB})
		d, err := deploy(t, args)
		wantError(t, err, "subnetIds", "eu-west-1c", "data volume's Availability Zone", defaultSubnetZoneA+" (eu-west-1a)")
		if n := len(d.Monitor.ByType(typeVolume)); n != 0 {
			t.Errorf("a refused configuration created %d volumes", n)
		}
	})
	t.Run("adopted volume outside the subnets", func(t *testing.T) {
		args := withVolume(components.DataVolumeArgs{VolumeID: adoptedVolumeID})
		args.SubnetIDs = pulumi.ToStringArray([]string{defaultSubnetZoneA})
		_, err := deploy(t, args)
		wantError(t, err, "subnetIds", "eu-west-1b")
	})
	t.Run("default VPC without the zone", func(t *testing.T) {
		_, err := deploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, AvailabilityZone: "eu-west-1d"}))
		wantError(t, err, "dataVolume", "no default subnet in eu-west-1d", "availabilityZone")
	})
}

func TestAdoptedVolumeMustBeSafe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		volume fake.Volume
		want   string
	}{
		{"unencrypted", fake.Volume{AvailabilityZone: "eu-west-1a"}, "is not encrypted"},
		{"multi-attach", fake.Volume{AvailabilityZone: "eu-west-1a", Encrypted: true, MultiAttachEnabled: true}, "Multi-Attach"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const id = "vol-0bad0000000000001"
			_, err := deploy(t, withVolume(components.DataVolumeArgs{VolumeID: id}), func(a *fake.Account) { a.Volumes[id] = tc.volume })
			wantError(t, err, "dataVolume.volumeId", id, tc.want)
		})
	}
	_, err := deploy(t, withVolume(components.DataVolumeArgs{VolumeID: "vol-0000000000000dead"}))
	wantError(t, err, "dataVolume.volumeId", "vol-0000000000000dead", "looking it up")
}

func TestDataVolumeKMSKeyMustBeInTheStacksRegion(t *testing.T) {
	_, err := deploy(t, withVolume(components.DataVolumeArgs{
		SizeGiB: 5, KMSKeyARN: pulumi.String(strings.Replace(testKMSKeyARN, "eu-west-1", "us-east-1", 1)),
	}))
	wantError(t, err, "dataVolume.kmsKeyArn", "us-east-1", "eu-west-1")
}

func TestDataVolumePolicyIsScopedToTheVolume(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, KMSKeyARN: pulumi.String(testKMSKeyARN)}))
	volumeARN := volumeARNPrefix + d.One(typeVolume).ID
	statements := statementsByAction(d.RolePolicy())

	// This volume, onto (and off) this group's instances only.
	wantInstancesOfThisGroupOnly(t, d.RolePolicy(), "ec2:AttachVolume", volumeARN)
	wantInstancesOfThisGroupOnly(t, d.RolePolicy(), "ec2:DetachVolume", volumeARN)
	for _, read := range []string{"ec2:DescribeVolumes", "ec2:DescribeInstances"} {
		if got := statements[read].Resource; !slices.Equal(got, []string{"*"}) {
			t.Errorf("%s resources = %v, want [*] (no resource-level permissions exist)", read, got)
		}
	}
	grant := statements["kms:CreateGrant"]
	if !slices.Equal(grant.Resource, []string{testKMSKeyARN}) {
		t.Errorf("kms:CreateGrant resources = %v, want only the volume's key", grant.Resource)
	}
	if grant.Condition["Bool"]["kms:GrantIsForAWSResource"] != true ||
		grant.Condition["StringEquals"]["kms:ViaService"] != "ec2.eu-west-1.amazonaws.com" {
		t.Errorf("kms:CreateGrant conditions = %v, want grants for AWS resources through EC2 in eu-west-1 only", grant.Condition)
	}
	// Only reads, and Session Manager's actions, which support no
	// resource type, may use "*".
	for action, st := range statements {
		if slices.Contains(st.Resource, "*") && !strings.Contains(action, ":Describe") && !slices.Contains(policy.SessionManagerActions, action) {
			t.Errorf("%s is allowed on *", action)
		}
	}
}

func TestDataVolumePolicyWithoutForceDetachOrKey(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, ForceDetach: pulumi.BoolRef(false)}))
	statements := statementsByAction(d.RolePolicy())
	if _, ok := statements["kms:CreateGrant"]; ok {
		t.Error("role may kms:CreateGrant, but the volume uses the default key")
	}
	// Force-detach off, the hand-over still detaches the volume from the
	// instance the group terminates: this volume, this group's instances.
	for _, st := range d.RolePolicy().Statement {
		if !slices.Contains(st.Action, "ec2:DetachVolume") {
			continue
		}
		for _, r := range st.Resource {
			if !strings.HasPrefix(r, volumeARNPrefix) && !(strings.HasSuffix(r, ":instance/*") && st.Condition != nil) {
				t.Errorf("statement %s lets the role DetachVolume on %s", st.Sid, r)
			}
		}
	}
	if _, ok := statements["ec2:AttachVolume"]; !ok {
		t.Error("role may not AttachVolume")
	}
}

func TestBootScriptAttachesTheDataVolume(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, MountPath: "/srv/app", FSType: "xfs", AttachTimeoutSeconds: pulumi.IntRef(120)}))
	args := withVolume(components.DataVolumeArgs{SizeGiB: 5, MountPath: "/srv/app", FSType: "xfs", AttachTimeoutSeconds: pulumi.IntRef(120)})
	got := components.BootParams(*args, "eipalloc-0123456789abcdef0", d.One(typeVolume).ID).DataVolume
	if got == nil {
		t.Fatal("boot parameters have no data volume")
	}
	if got.VolumeID != d.One(typeVolume).ID || got.MountPath != "/srv/app" || got.FSType != "xfs" ||
		got.WaitSeconds != 120 || !got.ForceDetach || got.DeviceName != components.DataVolumeDeviceName {
		t.Errorf("boot data volume parameters = %+v", *got)
	}
}

func TestSnapshotsWithDataLifecycleManager(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5, Snapshots: &components.SnapshotArgs{TimeUTC: "02:30"}}))
	policy := inputs(d.One(typeSnapshotPolicy))
	if got := path(policy, "policyDetails", "targetTags", components.SnapshotTagKey); got != "proj-test-bastion" {
		t.Errorf("snapshot policy targets %v, want the group's tag", got)
	}
	if got := path(inputs(d.One(typeVolume)), "tags", components.SnapshotTagKey); got != "proj-test-bastion" {
		t.Errorf("volume snapshot tag = %v, want the policy's target", got)
	}
	schedule := path(policy, "policyDetails", "schedules", 0)
	for _, check := range []struct {
		steps []any
		want  any
	}{
		{[]any{"createRule", "times"}, "02:30"},
		{[]any{"createRule", "interval"}, 24.0},
		{[]any{"createRule", "intervalUnit"}, "HOURS"},
		{[]any{"retainRule", "count"}, float64(components.DefaultSnapshotRetainCount)},
		{[]any{"copyTags"}, true},
	} {
		if got := path(schedule, check.steps...); got != check.want {
			t.Errorf("schedule %v = %v, want %v", check.steps, got, check.want)
		}
	}
	if got := path(policy, "policyDetails", "resourceTypes", 0); got != "VOLUME" {
		t.Errorf("resourceTypes = %v", got)
	}
	if desc, _ := policy["description"].(string); strings.ContainsAny(desc, ".:/") {
		t.Errorf("description %q has characters DLM refuses", desc)
	}

	// The component creates DLM's role: trusted by DLM only, with AWS's policy.
	var roleFound bool
	for _, role := range d.Monitor.ByType("aws:iam/role:Role") {
		if !strings.Contains(role.Name, "dlm") {
			continue
		}
		roleFound = true
		trust := parsePolicy(t, inputs(role)["assumeRolePolicy"])
		if got := trust.Statement[0].Principal["Service"]; got != "dlm.amazonaws.com" {
			t.Errorf("DLM role trusts %v", got)
		}
		if policy["executionRoleArn"] != nil && policy["executionRoleArn"] != plainOutputs(role).(map[string]any)["arn"] {
			t.Errorf("policy executionRoleArn = %v, want the created role's ARN", policy["executionRoleArn"])
		}
	}
	if !roleFound {
		t.Error("no DLM role was created")
	}
	var attached bool
	for _, a := range d.Monitor.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		attached = attached || inputs(a)["policyArn"] == "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"
	}
	if !attached {
		t.Error("AWSDataLifecycleManagerServiceRole is not attached to the DLM role")
	}
}

func TestSnapshotsOfAnAdoptedVolumeWithANamedRole(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/AWSDataLifecycleManagerDefaultRole"
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{
		VolumeID: adoptedVolumeID, Snapshots: &components.SnapshotArgs{TimeUTC: "04:00", RetainCount: pulumi.IntRef(30), ExecutionRoleARN: pulumi.String(role)},
	}))
	policy := inputs(d.One(typeSnapshotPolicy))
	if policy["executionRoleArn"] != role {
		t.Errorf("executionRoleArn = %v, want the named role", policy["executionRoleArn"])
	}
	if got := path(policy, "policyDetails", "schedules", 0, "retainRule", "count"); got != 30.0 {
		t.Errorf("retain count = %v", got)
	}
	tag := inputs(d.One("aws:ec2/tag:Tag"))
	if tag["resourceId"] != adoptedVolumeID || tag["key"] != components.SnapshotTagKey || tag["value"] != "proj-test-bastion" {
		t.Errorf("adopted volume tag = %v", tag)
	}
	for _, r := range d.Monitor.ByType("aws:iam/role:Role") {
		if strings.Contains(r.Name, "dlm") {
			t.Errorf("created DLM role %s although one was named", r.Name)
		}
	}
}

func TestDataVolumeValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		args components.DataVolumeArgs
		want []string
	}{
		{"size required", components.DataVolumeArgs{}, []string{"dataVolume.sizeGiB 0", "1 to 16384"}},
		{"unknown type", components.DataVolumeArgs{SizeGiB: 5, VolumeType: "st1"}, []string{"dataVolume.volumeType \"st1\"", "gp3, gp2, io1 or io2"}},
		{"gp3 iops range", components.DataVolumeArgs{SizeGiB: 100, IOPS: 20000}, []string{"dataVolume.iops 20000", "3000 to 16000"}},
		{"iops per GiB", components.DataVolumeArgs{SizeGiB: 8, IOPS: 5000}, []string{"dataVolume.iops 5000", "500 IOPS per GiB", "4000 for 8 GiB"}},
		{"io2 needs iops", components.DataVolumeArgs{SizeGiB: 8, VolumeType: "io2"}, []string{"dataVolume.iops", "required for io2"}},
		{"gp2 no iops", components.DataVolumeArgs{SizeGiB: 8, VolumeType: "gp2", IOPS: 3000}, []string{"dataVolume.iops 3000", "gp2 has no provisioned IOPS"}},
		{"throughput range", components.DataVolumeArgs{SizeGiB: 8, ThroughputMiBps: 100}, []string{"dataVolume.throughputMiBps 100", "125 to 1000"}},
		{"throughput per IOPS", components.DataVolumeArgs{SizeGiB: 100, ThroughputMiBps: 1000}, []string{"dataVolume.throughputMiBps 1000", "0.25 MiB/s per IOPS", "750 with 3000 IOPS"}},
		{"throughput only gp3", components.DataVolumeArgs{SizeGiB: 8, VolumeType: "io1", IOPS: 400, ThroughputMiBps: 200}, []string{"dataVolume.throughputMiBps 200", "only gp3"}},
		{"kms alias", components.DataVolumeArgs{SizeGiB: 8, KMSKeyARN: pulumi.String("alias/aws/ebs")}, []string{"dataVolume.kmsKeyArn \"alias/aws/ebs\"", "not an alias"}},
		{"zone", components.DataVolumeArgs{SizeGiB: 8, AvailabilityZone: "eu-west-1"}, []string{"dataVolume.availabilityZone \"eu-west-1\"", "such as eu-west-1a"}},
		{"deletion policy", components.DataVolumeArgs{SizeGiB: 8, DeletionPolicy: "delete"}, []string{"dataVolume.deletionPolicy \"delete\"", "protect", "retain", "snapshot-and-delete"}},
		{"relative mount", components.DataVolumeArgs{SizeGiB: 8, MountPath: "data"}, []string{"dataVolume.mountPath \"data\"", "absolute"}},
		{"unclean mount", components.DataVolumeArgs{SizeGiB: 8, MountPath: "/data/../etc"}, []string{"dataVolume.mountPath \"/data/../etc\"", "without . or .. components"}},
		{"quote in mount", components.DataVolumeArgs{SizeGiB: 8, MountPath: "/da'ta"}, []string{"dataVolume.mountPath \"/da'ta\""}},
		{"system mount", components.DataVolumeArgs{SizeGiB: 8, MountPath: "/var/lib"}, []string{"dataVolume.mountPath \"/var/lib\"", "belongs to the system"}},
		{"root mount", components.DataVolumeArgs{SizeGiB: 8, MountPath: "/"}, []string{"dataVolume.mountPath \"/\""}},
		{"fs type", components.DataVolumeArgs{SizeGiB: 8, FSType: "btrfs"}, []string{"dataVolume.fsType \"btrfs\"", "ext4 or xfs"}},
		{"timeout", components.DataVolumeArgs{SizeGiB: 8, AttachTimeoutSeconds: pulumi.IntRef(5)}, []string{"dataVolume.attachTimeoutSeconds 5", "30 to 3600"}},
		{"formatIfBlank on a created volume", components.DataVolumeArgs{SizeGiB: 8, FormatIfBlank: true},
			[]string{"dataVolume.formatIfBlank: only with volumeId"}},
		{"volume id", components.DataVolumeArgs{VolumeID: "vol-xyz"}, []string{"dataVolume.volumeId \"vol-xyz\"", "vol-0123456789abcdef0"}},
		{"adopted with size", components.DataVolumeArgs{VolumeID: adoptedVolumeID, SizeGiB: 8, AvailabilityZone: "eu-west-1a"},
			[]string{"dataVolume.sizeGiB: set together with volumeId", "dataVolume.availabilityZone: set together with volumeId"}},
		{"snapshot time", components.DataVolumeArgs{SizeGiB: 8, Snapshots: &components.SnapshotArgs{TimeUTC: "24:00"}}, []string{"dataVolume.snapshots.timeUtc \"24:00\"", "HH:MM"}},
		{"snapshot count", components.DataVolumeArgs{SizeGiB: 8, Snapshots: &components.SnapshotArgs{TimeUTC: "03:00", RetainCount: pulumi.IntRef(1001)}}, []string{"dataVolume.snapshots.retainCount 1001", "1 to 1000"}},
		{"snapshot role", components.DataVolumeArgs{SizeGiB: 8, Snapshots: &components.SnapshotArgs{TimeUTC: "03:00", ExecutionRoleARN: pulumi.String("dlm-role")}}, []string{"dataVolume.snapshots.executionRoleArn \"dlm-role\"", "IAM role ARN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, withVolume(tc.args))
			wantError(t, err, tc.want...)
			if n := len(d.Monitor.Resources()); n != 0 {
				t.Errorf("invalid args registered %d resources before failing", n)
			}
		})
	}
}

func statementsByAction(doc policy.Document) map[string]policy.Statement {
	out := map[string]policy.Statement{}
	for _, st := range doc.Statement {
		for _, action := range st.Action {
			out[action] = st
		}
	}
	return out
}

func wantError(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error does not mention %q:\n%v", f, err)
		}
	}
}

// TestOnlyAVolumeTheStackMayFormatIsFormatted follows who may format the
// data volume from the args to the boot script and the role: a volume the
// component creates, or an adopted one with FormatIfBlank. Only then may
// the role tag the volume with the record of its formatting, and only with
// that tag key.
func TestOnlyAVolumeTheStackMayFormatIsFormatted(t *testing.T) {
	for _, tc := range []struct {
		name string
		args components.DataVolumeArgs
		want bool
	}{
		{"created", components.DataVolumeArgs{SizeGiB: 5}, true},
		{"adopted", components.DataVolumeArgs{VolumeID: adoptedVolumeID}, false},
		{"adopted, formatIfBlank", components.DataVolumeArgs{VolumeID: adoptedVolumeID, FormatIfBlank: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDeploy(t, withVolume(tc.args))
			volumeID, _ := d.Outputs["dataVolumeId"].(string)
			if got := components.BootParams(*withVolume(tc.args), "eipalloc-0123456789abcdef0", volumeID).DataVolume.MayFormat; got != tc.want {
				t.Errorf("boot script MayFormat = %v, want %v", got, tc.want)
			}
			if got := d.BootScript(); !strings.Contains(got, fmt.Sprintf("may_format='%t'", tc.want)) {
				t.Errorf("the launch template's boot script does not say may_format='%t'", tc.want)
			}
			tag, ok := statementsByAction(d.RolePolicy())["ec2:CreateTags"]
			if ok != tc.want {
				t.Fatalf("role may ec2:CreateTags: %v, want %v", ok, tc.want)
			}
			if !ok {
				return
			}
			if !slices.Equal(tag.Resource, []string{volumeARNPrefix + volumeID}) || len(tag.Action) != 1 {
				t.Errorf("CreateTags statement: actions %v on %v, want only ec2:CreateTags on this volume", tag.Action, tag.Resource)
			}
			keys, _ := tag.Condition["ForAllValues:StringEquals"]["aws:TagKeys"].([]any)
			if len(tag.Condition) != 1 || len(keys) != 1 || keys[0] != userdata.FormattedTagKey {
				t.Errorf("CreateTags conditions = %v, want only the tag key %s", tag.Condition, userdata.FormattedTagKey)
			}
		})
	}
}

// TestTheFormatRecordSurvivesARefresh checks that Pulumi never removes the
// tag the instance sets after formatting the volume it created.
func TestTheFormatRecordSurvivesARefresh(t *testing.T) {
	d := mustDeploy(t, withVolume(components.DataVolumeArgs{SizeGiB: 5}))
	want := `tags["` + userdata.FormattedTagKey + `"]`
	if got := d.One(typeVolume).IgnoreChanges; !slices.Equal(got, []string{want}) {
		t.Errorf("volume ignoreChanges = %q, want exactly [%s]", got, want)
	}
}
