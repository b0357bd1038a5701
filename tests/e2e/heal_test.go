// Package e2e lets the component heal for real, on this machine: the real
// program is deployed into moto, the group's instance is killed, moto's
// group replaces it, and the launch template's user data runs "as" the
// replacement against moto and AWS's metadata mock. See README.md here for
// where moto differs from AWS and what the harness does about it.
package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/internal/heal"
	"github.com/selfhealing-dev/selfhealing/internal/testenv"
)

// hangBound catches a hung run; no test asserts on time otherwise.
const hangBound = 20 * time.Minute

// startLab deploys the dev stack into a fresh moto, or fails the test.
func startLab(t *testing.T) (*heal.Lab, context.Context) {
	t.Helper()
	testenv.RequireFirstBoot(t)
	testenv.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	// The dev stack's data volume: a loop device stands in for its disk,
	// which the boot script probes, formats once and mounts; the lab runs
	// commands on a running instance with nsenter.
	testenv.RequireLoopDevices(t)
	testenv.RequireTool(t, "nsenter", "apt-get install util-linux")
	testenv.RequireTool(t, "mkfs.ext4", "apt-get install e2fsprogs")
	testenv.RequireTool(t, "blkid", "apt-get install util-linux")
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	t.Cleanup(cancel)
	lab, err := heal.Start(ctx, heal.Options{
		Dir: filepath.Join("..", ".."), Stack: "dev", WorkDir: t.TempDir(), Overrides: heal.StandInOverrides(),
	})
	if lab != nil {
		t.Cleanup(func() {
			if err := lab.Close(); err != nil {
				t.Errorf("closing the lab: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("deploying the dev stack into moto: %v", err)
	}
	return lab, ctx
}

// wantGate fails the test unless instance completed the launch gate
// exactly as want says ("CONTINUE"; "none" for never).
func wantGate(t *testing.T, lab *heal.Lab, instance, want string) {
	t.Helper()
	if got := lab.Gate(instance); got != want {
		t.Errorf("%s answered the launch gate with %q, want %q; the lab saw:\n%v", instance, got, want, lab.Lifecycle.Calls())
	}
}

// wantHolder fails the test unless the Elastic IP is on want.
func wantHolder(t *testing.T, ctx context.Context, lab *heal.Lab, want string) {
	t.Helper()
	got, err := lab.Holder(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("the Elastic IP is on %q, want %q", got, want)
	}
}

func TestTheGroupHealsAndTheAddressFollows(t *testing.T) {
	lab, ctx := startLab(t)

	first, err := lab.BootFirst(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Healed || first.Status != "ready" {
		t.Fatalf("the first instance did not take the address:\n%s\n%s", first.CommandResult, first.Log)
	}
	wantHolder(t, ctx, lab, first.Instance.ID)
	wantGate(t, lab, first.Instance.ID, "CONTINUE")
	if !strings.Contains(first.Stdout+first.Stderr, "user script: running on") || !first.UserScriptRan {
		t.Errorf("the stack's user script did not run after the association:\n%s", first.CommandResult)
	}
	// The instance runs the CLI Amazon Linux 2023 ships, and reaches AWS
	// by its real host names, through the lab's HTTPS proxy.
	if v, err := lab.CLIVersion(ctx, first.Instance); err != nil || !strings.HasPrefix(v, "aws-cli/2.") {
		t.Errorf("the instance runs AWS CLI %q (%v), want v2 (aws-cli/2.*)", v, err)
	}
	hosts := lab.Proxy.Hosts()
	for _, service := range []string{"ec2", "autoscaling"} {
		if host := service + "." + lab.Region + ".amazonaws.com"; hosts[host] == 0 {
			t.Errorf("the instance never called %s; the proxy saw %v", host, hosts)
		}
	}

	replacement, err := heal.ScenarioNamed("replacement")
	if err != nil {
		t.Fatal(err)
	}
	m, old, err := lab.Heal(ctx, replacement, heal.Ours)
	if err != nil {
		t.Fatal(err)
	}
	if old.ID != first.Instance.ID || m.Result.Instance.ID == old.ID {
		t.Fatalf("killed %s and booted %s, want the first instance %s replaced", old.ID, m.Result.Instance.ID, first.Instance.ID)
	}
	if !m.Result.Healed {
		t.Fatalf("the replacement did not take the address:\n%s\n%s", m.Result.CommandResult, m.Result.Log)
	}
	// The state AWS documents: the address on the new instance and
	// nowhere else, the old instance terminated, and the new one let
	// through the launch gate once ready.
	wantHolder(t, ctx, lab, m.Result.Instance.ID)
	wantGate(t, lab, m.Result.Instance.ID, "CONTINUE")
	if state, err := lab.InstanceState(ctx, old.ID); err != nil || state != "terminated" {
		t.Errorf("the killed instance is %q (%v), want terminated", state, err)
	}
	instances, err := lab.GroupInstances(ctx)
	if err != nil || len(instances) != 1 || instances[0].ID != m.Result.Instance.ID {
		t.Errorf("the group holds %v (%v), want only the replacement", instances, err)
	}
	if got := lab.API.Calls("AssociateAddress"); got != 1 {
		t.Errorf("the replacement called AssociateAddress %d times, want 1", got)
	}
	if got := lab.API.Injected(); got != 0 {
		t.Errorf("the harness refused %d of the replacement's requests; the policy must allow what the script does", got)
	}
	t.Log(m.HealLine())
}

func TestTheInstanceRoleMayMoveOnlyItsOwnAddress(t *testing.T) {
	lab, ctx := startLab(t)
	inst, err := lab.OnlyInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := lab.AllocateOtherAddress(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		// moto allows the action; the harness checks the resource.
		{"another address", []string{"ec2", "associate-address", "--allocation-id", other, "--instance-id", inst.ID, "--allow-reassociation"}, "UnauthorizedOperation"},
		// The policy has no such action; the harness refuses it.
		{"another EC2 action", []string{"ec2", "disassociate-address", "--association-id", "eipassoc-0123456789abcdef0"}, "UnauthorizedOperation"},
		// Not mapped by the harness; moto's own enforcement refuses it.
		{"another service", []string{"iam", "list-users"}, "AccessDenied"},
		// moto lacks the lifecycle calls; the harness checks the group.
		{"another group's launch gate", []string{"autoscaling", "record-lifecycle-action-heartbeat", "--auto-scaling-group-name", "someone-elses",
			"--lifecycle-hook-name", "selfhealing-launch-gate", "--instance-id", inst.ID}, "AccessDenied"},
		{"its own launch gate", []string{"autoscaling", "record-lifecycle-action-heartbeat", "--auto-scaling-group-name", lab.Outputs["autoScalingGroupName"],
			"--lifecycle-hook-name", "selfhealing-launch-gate", "--instance-id", inst.ID}, ""},
		{"its own address", []string{"ec2", "associate-address", "--allocation-id", lab.Outputs["allocationId"], "--instance-id", inst.ID, "--allow-reassociation"}, ""},
		// With the launch gate, a failed boot no launch action waits for
		// marks its instance Unhealthy, so the role may; last, as the
		// group then replaces the instance.
		{"marking itself unhealthy", []string{"autoscaling", "set-instance-health", "--instance-id", inst.ID, "--health-status", "Unhealthy"}, ""},
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

func TestHealScenarios(t *testing.T) {
	lab, ctx := startLab(t)
	if first, err := lab.BootFirst(ctx); err != nil || !first.Healed {
		t.Fatalf("the first boot did not heal (%v):\n%s", err, first.Log)
	}

	var measurements []heal.Measurement
	for _, sc := range heal.Scenarios() {
		for _, script := range []heal.Script{heal.Ours, heal.Seed} {
			want, ok := sc.Expect[script]
			if !ok {
				continue
			}
			t.Run(sc.Name+"/"+string(script), func(t *testing.T) {
				m, old, err := lab.Heal(ctx, sc, script)
				if err != nil {
					t.Fatal(err)
				}
				measurements = append(measurements, m)
				t.Log(m.HealLine())
				checkMeasurement(t, ctx, lab, m, old, want)
			})
		}
	}
	// The first boot formatted the blank volume; no heal may format it
	// again, whatever happened in between.
	if n := lab.MkfsCalls(); n != 1 {
		t.Errorf("mkfs ran %d times over the whole run, want once (the first boot's)", n)
	}
	if path := os.Getenv("HEAL_REPORT"); path != "" {
		writeReport(t, path, measurements)
	}
}

func checkMeasurement(t *testing.T, ctx context.Context, lab *heal.Lab, m heal.Measurement, old heal.Instance, want heal.Outcome) {
	t.Helper()
	r := m.Result
	if got := m.Outcome(); got != want {
		t.Fatalf("outcome %s, want %s\n%s\nlog:\n%s", got, want, r.CommandResult, r.Log)
	}
	holder, err := lab.Holder(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if holder == old.ID && !m.Scenario.Kill.KeepAssociation {
		t.Errorf("the terminated instance %s still holds the address", old.ID)
	}
	if r.Script != heal.Ours {
		// The seed script never attaches the volume, so the device must
		// never have shown on its instance.
		if r.Volume.MountedFrom != "" {
			t.Errorf("the seed script's instance has %s mounted at the data volume's path", r.Volume.MountedFrom)
		}
		return
	}
	if r.Silent {
		t.Errorf("our script failed silently:\n%s", r.CommandResult)
	}
	switch want {
	case heal.Healed:
		if holder != r.Instance.ID || r.Status != "ready" {
			t.Errorf("healed, yet the address is on %q and the status is %q", holder, r.Status)
		}
		wantGate(t, lab, r.Instance.ID, "CONTINUE")
		if r.FailureLine != "" || strings.Contains(r.Log, "FAILED") {
			t.Errorf("a healed boot logged a failure:\n%s", r.Log)
		}
		checkVolume(t, m, old)
	case heal.Failed:
		if r.FailureLine == "" || !strings.HasPrefix(r.Status, "failed: ") {
			t.Errorf("a failure without a FAILED line or status:\n%s", r.CommandResult)
		}
		if m.Gate == "CONTINUE" {
			t.Errorf("a failed boot let the instance through the launch gate")
		}
		// A boot that knows its instance tells the group at once.
		if strings.Contains(r.Log, "instance "+r.Instance.ID+" in region") && m.Gate != "ABANDON" {
			t.Errorf("a failed boot that knew its instance id answered the launch gate with %s, want ABANDON:\n%s", m.Gate, r.Log)
		}
		for _, mention := range m.Scenario.FailureMentions {
			if !strings.Contains(r.FailureLine, mention) {
				t.Errorf("the FAILED line %q does not say %q", r.FailureLine, mention)
			}
		}
	}
}

// heldMargin is how long before its release a held volume counts as held
// when the boot first asks about it: the moment between the request
// reaching the proxy and the EBS model answering it.
const heldMargin = 250 * time.Millisecond

// checkVolume checks what a healed boot of ours did with the data volume:
// mounted from its disk with the data written in data-survives intact,
// never formatted again and, after a kill that left it held by the dead
// instance, attached and mounted only once it came free.
func checkVolume(t *testing.T, m heal.Measurement, old heal.Instance) {
	t.Helper()
	r := m.Result
	v := r.Volume
	if !v.Present {
		t.Fatal("the dev stack has no data volume")
	}
	if !v.Mounted || v.Found != v.Want {
		t.Errorf("the data volume: mounted from %q, file %q, want the disk with %q", v.MountedFrom, v.Found, v.Want)
	}
	if m.Scenario.WriteVolumeFile && v.Want == "" {
		t.Error("nothing was written on the volume before the kill")
	}
	if v.Formatted != 0 {
		t.Errorf("a heal ran mkfs %d times on the volume", v.Formatted)
	}
	if want := m.Scenario.Kill.VolumeHeldFor; want > 0 && v.HeldFor != want {
		t.Errorf("the volume was held for %v after the kill, want the scenario's %v", v.HeldFor, want)
	}
	if v.HeldWhenAsked(heldMargin) && !strings.Contains(r.Log, "is in-use, attached to "+old.ID+" (detaching)") {
		t.Errorf("the volume was still held when the boot asked, yet its log does not show it waited for %s to let go:\n%s", old.ID, r.Log)
	}
	if v.HeldFor > 0 {
		if v.MountAfterFree() <= 0 {
			t.Errorf("mounted %v after the volume came free; want after", v.MountAfterFree())
		}
	}
}

func writeReport(t *testing.T, path string, measurements []heal.Measurement) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header := "# Heal report\n\nOne run of `make heal-report` on " + time.Now().UTC().Format("2006-01-02") +
		": the dev stack deployed into moto, its instance killed once per row, and the replacement booted with our boot script or the seed article's user data. " +
		"Times are from the script's start, on a shared 2-core machine against emulators: compare them, don't quote them. " +
		"The dev stack has a data volume: the first boot formats it and a file is written on it in `data-survives`; every later boot of ours must mount it with that file intact. " +
		"After each kill the volume stays in-use, attached to the dead instance, for " + heal.DefaultVolumeHeld.String() + " (or as the scenario says), which our script's ready time includes.\n"
	if err := heal.WriteMarkdown(f, measurements, header); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
