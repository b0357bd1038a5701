package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// These tests heal the dev stack with its data volume. The EBS model sits
// between the API proxy (whose IAM inspector sees every request first) and
// moto: it keeps a killed instance's volume in-use for a while, as AWS does,
// and refuses to attach a volume in use. A loop device of the volume's size
// stands in for its disk and shows in an instance's stand-in /dev only once
// AttachVolume to that instance succeeded.

func TestDataSurvivesAHeal(t *testing.T) {
	lab, ctx := startLab(t)
	volumeID, mountPath, device, _, ok := lab.DataVolume()
	if !ok {
		t.Fatal("the dev stack has no data volume")
	}

	first, err := lab.BootFirst(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Healed || !first.Volume.Mounted {
		t.Fatalf("the first instance did not heal with the volume mounted (%+v):\n%s\n%s", first.Volume, first.CommandResult, first.Log)
	}
	if first.Volume.Formatted != 1 || !strings.Contains(first.Log, "is new and blank: EBS created it empty, no instance formatted it, and it reads as zeros; formatting it as ext4") {
		t.Errorf("the first boot ran mkfs %d times, want once on the blank volume:\n%s", first.Volume.Formatted, first.Log)
	}

	// Instance 1 runs: a file is written and synced on its mounted volume,
	// in its own mount namespace; then it is killed.
	sc, err := heallab.ScenarioNamed("data-survives")
	if err != nil {
		t.Fatal(err)
	}
	m, old, err := lab.Heal(ctx, sc, heallab.Ours)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(m.HealLine())
	r := m.Result
	if old.ID != first.Instance.ID {
		t.Fatalf("killed %s, want the first instance %s", old.ID, first.Instance.ID)
	}
	if !r.Healed {
		t.Fatalf("the replacement did not heal (%+v):\n%s\n%s", r.Volume, r.CommandResult, r.Log)
	}
	if r.Volume.Want == "" || r.Volume.Found != r.Volume.Want {
		t.Errorf("the replacement read %s with SHA-256 %q, want %q, what the first instance wrote", mountPath+"/"+heallab.VolumeFile, r.Volume.Found, r.Volume.Want)
	}
	if r.Volume.MountedFrom != device {
		t.Errorf("%s on the replacement is mounted from %q, want the volume's disk %s", mountPath, r.Volume.MountedFrom, device)
	}
	if n := lab.MkfsCalls(); n != 1 || r.Volume.Formatted != 0 {
		t.Errorf("mkfs ran %d times in all, %d on the replacement; want once in all, on the first boot", n, r.Volume.Formatted)
	}
	if !strings.Contains(r.Log, "holds ext4 file system") {
		t.Errorf("the replacement does not say it found the file system:\n%s", r.Log)
	}
	// If the dead instance still held the volume when the replacement
	// asked, the replacement waited for it.
	if r.Volume.HeldWhenAsked(heldMargin) && !strings.Contains(r.Log, "data volume "+volumeID+" is in-use, attached to "+old.ID+" (detaching)") {
		t.Errorf("the replacement's log does not show the volume held by %s:\n%s", old.ID, r.Log)
	}
	if r.Volume.HeldFor != heallab.DefaultVolumeHeld || r.Volume.MountAfterFree() <= 0 {
		t.Errorf("held for %v, mounted %v after it came free; want the default hold and a mount after the release", r.Volume.HeldFor, r.Volume.MountAfterFree())
	}
	va, err := lab.DescribeDataVolume(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if va.State != "in-use" || va.Instance != r.Instance.ID || va.Attachment != "attached" {
		t.Errorf("the volume is %+v, want in-use and attached to the replacement %s", va, r.Instance.ID)
	}
	// Attached once, when it was free; never detached by force; nothing
	// refused by the IAM inspector.
	if n := lab.API.Calls("AttachVolume"); n != 1 {
		t.Errorf("the replacement called AttachVolume %d times, want 1", n)
	}
	if n := lab.EBS().DetachCalls(); n != 0 {
		t.Errorf("%d DetachVolume calls for a volume that freed itself within the bound", n)
	}
	if n := lab.API.Injected(); n != 0 {
		t.Errorf("the harness refused %d of the replacement's requests; the policy must allow what the script does", n)
	}
}

func TestTheInstanceRoleMayAttachOnlyItsOwnVolume(t *testing.T) {
	lab, ctx := startLab(t)
	volumeID, _, _, _, ok := lab.DataVolume()
	if !ok {
		t.Fatal("the dev stack has no data volume")
	}
	inst := onlyInstance(t, ctx, lab)
	other, err := lab.CreateOtherVolume(ctx)
	if err != nil {
		t.Fatal(err)
	}
	otherGroups, err := lab.LaunchInstanceOfAnotherGroup(ctx, lab.Outputs["autoScalingGroupName"]+"-2", inst)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		// moto allows the action; the harness checks the volume's ARN.
		{"another volume", []string{"ec2", "attach-volume", "--volume-id", other, "--instance-id", inst.ID, "--device", "/dev/sdg"}, "UnauthorizedOperation"},
		{"detach another volume", []string{"ec2", "detach-volume", "--volume-id", other, "--force"}, "UnauthorizedOperation"},
		// The harness checks the instance's aws:autoscaling:groupName tag,
		// as the policy's condition asks.
		{"its own volume onto another group's instance", []string{"ec2", "attach-volume", "--volume-id", volumeID, "--instance-id", otherGroups, "--device", "/dev/sdf"}, "UnauthorizedOperation"},
		{"its own volume off another group's instance", []string{"ec2", "detach-volume", "--volume-id", volumeID, "--instance-id", otherGroups, "--force"}, "UnauthorizedOperation"},
		{"describe volumes", []string{"ec2", "describe-volumes", "--volume-ids", volumeID}, ""},
		// Run in this order: attach, then detach, its own volume.
		{"its own volume", []string{"ec2", "attach-volume", "--volume-id", volumeID, "--instance-id", inst.ID, "--device", "/dev/sdf"}, ""},
		{"detach its own volume", []string{"ec2", "detach-volume", "--volume-id", volumeID, "--instance-id", inst.ID}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := lab.RunAsInstance(ctx, t.TempDir(), append(tc.args, "--region", lab.Region)...)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && res.ExitCode != 0:
				t.Errorf("refused:\n%s", res)
			case tc.want != "" && (res.ExitCode == 0 || !strings.Contains(res.Stderr, tc.want)):
				t.Errorf("want a refusal with %s:\n%s", tc.want, res)
			}
		})
	}
}

// restoreMeBytes is what the first stack's user script writes on its data
// volume at boot: 1 MiB of "restore me" lines, so that the test knows its
// SHA-256 before the boot.
const restoreMeBytes = 1 << 20

// writeAtBoot is a user script's tail that writes restoreMeBytes into
// heallab.VolumeFile on the dev stack's volume, mounted at /srv/data before
// the user script runs, and syncs it.
const writeAtBoot = `f=/srv/data/` + heallab.VolumeFile + `
yes 'restore me' | head -c 1048576 >"$f.tmp" || true
sync "$f.tmp"
mv -f "$f.tmp" "$f"
sync -f "$f"
echo "user script: wrote $f"
`

func TestANewStackStartsWithTheDataOfASnapshot(t *testing.T) {
	sum := sha256.Sum256(bytes.Repeat([]byte("restore me\n"), restoreMeBytes/11+1)[:restoreMeBytes])
	written := hex.EncodeToString(sum[:])

	// The first stack: its first boot formats the new volume, and its user
	// script writes the data on it.
	overrides := heallab.StandInOverrides()
	overrides["selfhealing:userScript"] = heallab.StandInUserScript + writeAtBoot
	lab, ctx := startLabShaped(t, heallab.Options{Overrides: overrides})
	if err := lab.ExpectVolumeFile(written); err != nil {
		t.Fatal(err)
	}
	first, err := lab.BootFirst(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Healed || first.Volume.Found != written || first.Volume.Formatted != 1 {
		t.Fatalf("the first stack's boot did not format the volume and write the data (%+v):\n%s\n%s", first.Volume, first.CommandResult, first.Log)
	}
	sourceID, _, _, _, _ := lab.DataVolume()
	snapshot, err := lab.SnapshotDataVolume(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.ReleaseDataVolumeDisk(); err != nil {
		t.Fatal(err)
	}

	// A new stack whose data volume EBS creates from the snapshot, at the
	// snapshot's size; its user script writes nothing.
	restoredOverrides := heallab.StandInOverrides()
	restoredOverrides["selfhealing:dataVolume"] = `{"snapshotId": "` + snapshot + `", "mountPath": "/srv/data"}`
	restored, err := lab.StartAnother(ctx, heallab.Options{
		Dir: filepath.Join("..", "..", ".."), Stack: "dev", StackName: "restored", WorkDir: t.TempDir(), Overrides: restoredOverrides,
	})
	if restored != nil {
		t.Cleanup(func() {
			if err := restored.Close(); err != nil {
				t.Errorf("closing the restored stack's lab: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("deploying the restored stack into the same moto: %v", err)
	}
	volumeID, mountPath, device, sizeGiB, ok := restored.DataVolume()
	if !ok || volumeID == sourceID || sizeGiB != 8 {
		t.Fatalf("the restored stack's volume is %s of %d GiB (present %v), want a new volume of the snapshot's 8 GiB", volumeID, sizeGiB, ok)
	}
	if err := restored.ExpectVolumeFile(written); err != nil {
		t.Fatal(err)
	}

	r, err := restored.BootFirst(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Healed || r.Volume.Found != written || r.Volume.MountedFrom != device {
		t.Fatalf("the restored stack's first boot did not mount the snapshot's data (%+v), want %s from %s at %s:\n%s\n%s",
			r.Volume, written, device, mountPath, r.CommandResult, r.Log)
	}
	if r.Volume.Formatted != 0 || restored.MkfsCalls() != 0 || strings.Contains(r.Log, "formatting it") {
		t.Errorf("the restored volume was formatted (mkfs %d times):\n%s", r.Volume.Formatted, r.Log)
	}
	if !strings.Contains(r.Log, "data volume "+volumeID+" ("+device+") holds ext4 file system") {
		t.Errorf("the boot log does not say it found the snapshot's file system on %s:\n%s", volumeID, r.Log)
	}
	t.Logf("REPORT restore snapshot=%s source=%s restored=%s", snapshot, sourceID, volumeID)
}
