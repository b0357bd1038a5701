package e2e

import (
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
	inst, err := lab.OnlyInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
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
