package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/components/selfhealingtest"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
)

// existingSnapshotID is a 20 GiB encrypted snapshot in the fake account.
const existingSnapshotID = selfhealingtest.ExistingSnapshotID

// unencryptedSnapshotID is a 4 GiB snapshot without encryption, which
// withUnencryptedSnapshot adds to the fake account.
const unencryptedSnapshotID = "snap-0c1ea4000000000f1"

func withUnencryptedSnapshot(a *fake.Account) {
	a.Snapshots[unencryptedSnapshotID] = fake.Snapshot{VolumeSizeGiB: 4}
}

func TestDataVolumeFromASnapshot(t *testing.T) {
	for _, tc := range []struct {
		name     string
		snapshot pulumi.StringInput
		id       string // what snapshot resolves to
		sizeGiB  int
		// wantSize is the volume's size input; nil leaves it to the
		// snapshot's.
		wantSize any
	}{
		{"the snapshot's size", pulumi.String(existingSnapshotID), existingSnapshotID, 0, nil},
		{"larger than the snapshot", pulumi.String(existingSnapshotID), existingSnapshotID, 50, 50.0},
		{"as large as the snapshot", pulumi.String(existingSnapshotID), existingSnapshotID, 20, 20.0},
		{"an output", outputOf(existingSnapshotID), existingSnapshotID, 0, nil},
		{"an output, with a size", outputOf(existingSnapshotID), existingSnapshotID, 30, 30.0},
		{"an unencrypted snapshot", pulumi.String(unencryptedSnapshotID), unencryptedSnapshotID, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDeploy(t, withVolume(components.DataVolumeArgs{SnapshotID: tc.snapshot, SizeGiB: tc.sizeGiB}), withUnencryptedSnapshot)
			volume := d.One(typeVolume)
			in := inputs(volume)
			if in["snapshotId"] != tc.id {
				t.Errorf("volume snapshotId = %v, want %s", in["snapshotId"], tc.id)
			}
			if in["size"] != tc.wantSize {
				t.Errorf("volume size = %v, want %v", in["size"], tc.wantSize)
			}
			// EBS encrypts a volume it creates from an unencrypted snapshot
			// when the request asks for encryption.
			if in["encrypted"] != true || in["type"] != "gp3" {
				t.Errorf("volume encrypted = %v, type = %v; want an encrypted gp3 volume", in["encrypted"], in["type"])
			}
			if !volume.Protect {
				t.Error("a restored volume is not protected; a new snapshot id would replace it with Pulumi's consent")
			}
			// The boot script may format a volume the component creates,
			// but asks AWS first: a volume with a SnapshotId is never
			// formatted (userdata/sh/volume.sh, lab/userdata/format_test.go).
			if !strings.Contains(d.BootScript(), "may_format='true'") {
				t.Error("the boot script does not treat the restored volume as the stack's own")
			}
		})
	}
}

func TestDataVolumeSnapshotValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		args components.DataVolumeArgs
		want []string
	}{
		{"not a snapshot id", components.DataVolumeArgs{SnapshotID: pulumi.String("snap-xyz")},
			[]string{`dataVolume.snapshotId "snap-xyz"`, "snap-0123456789abcdef0"}},
		{"with volumeId", components.DataVolumeArgs{VolumeID: adoptedVolumeID, SnapshotID: pulumi.String(existingSnapshotID)},
			[]string{"dataVolume.snapshotId: set together with volumeId"}},
		{"size below the snapshot's", components.DataVolumeArgs{SnapshotID: pulumi.String(existingSnapshotID), SizeGiB: 10},
			[]string{"dataVolume.sizeGiB 10", existingSnapshotID, "20 GiB", "leave sizeGiB unset"}},
		{"not in the account", components.DataVolumeArgs{SnapshotID: pulumi.String("snap-0fffffffffffffff1")},
			[]string{"dataVolume.snapshotId", "snap-0fffffffffffffff1", "looking it up"}},
		{"io1 iops per GiB of the snapshot's size", components.DataVolumeArgs{SnapshotID: pulumi.String(unencryptedSnapshotID), VolumeType: "io1", IOPS: 400},
			[]string{"dataVolume.iops 400", "50 IOPS per GiB", "200 for 4 GiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, withVolume(tc.args), withUnencryptedSnapshot)
			wantError(t, err, tc.want...)
			for _, r := range d.Monitor.Resources() {
				if r.Custom {
					t.Errorf("%s %s was registered before the error", r.Type, r.Name)
				}
			}
		})
	}
}

func TestGroupChecksTheDataVolumesWithEBSHealthChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		args *components.SelfHealingInstanceArgs
		want string
	}{
		{"no data volume", nil, "EC2"},
		{"a data volume", withVolume(components.DataVolumeArgs{SizeGiB: 8}), "EBS"},
		{"an adopted volume", withVolume(components.DataVolumeArgs{VolumeID: adoptedVolumeID}), "EBS"},
		{"switched off", withVolume(components.DataVolumeArgs{SizeGiB: 8, EBSHealthCheck: pulumi.BoolRef(false)}), "EC2"},
		// The application's health check marks the instance unhealthy
		// itself (SetInstanceHealth), whatever the group's type.
		{"with an app health check", &components.SelfHealingInstanceArgs{
			DataVolume:     &components.DataVolumeArgs{SizeGiB: 8},
			AppHealthCheck: &components.AppHealthCheck{URL: pulumi.String("http://localhost/health")},
		}, "EBS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			group := mustDeploy(t, tc.args).Group()
			if got := group["healthCheckType"]; got != tc.want {
				t.Errorf("healthCheckType = %v, want %s", got, tc.want)
			}
		})
	}
}
