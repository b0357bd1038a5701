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

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// hangBound catches a hung run; no test asserts on time otherwise.
const hangBound = 20 * time.Minute

// startLab deploys the dev stack into a fresh moto, or fails the test.
func startLab(t *testing.T) (*heallab.Lab, context.Context) {
	t.Helper()
	return startLabShaped(t, heallab.Options{Overrides: heallab.StandInOverrides()})
}

// startLabShaped deploys the dev stack, shaped by opts' Overrides and
// Shape, into a fresh moto, or fails the test. The lab closes when t ends.
func startLabShaped(t *testing.T, opts heallab.Options) (*heallab.Lab, context.Context) {
	t.Helper()
	emulator.RequireFirstBoot(t)
	emulator.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	// The dev stack's data volume: a loop device stands in for its disk,
	// which the boot script probes, formats once and mounts; the lab runs
	// commands on a running instance with nsenter.
	emulator.RequireLoopDevices(t)
	emulator.RequireTool(t, "nsenter", "apt-get install util-linux")
	emulator.RequireTool(t, "mkfs.ext4", "apt-get install e2fsprogs")
	emulator.RequireTool(t, "blkid", "apt-get install util-linux")
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	t.Cleanup(cancel)
	opts.Dir, opts.Stack, opts.WorkDir = filepath.Join("..", "..", ".."), "dev", t.TempDir()
	lab, err := heallab.Start(ctx, opts)
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
func wantGate(t *testing.T, lab *heallab.Lab, instance, want string) {
	t.Helper()
	if got := lab.Gate(instance); got != want {
		t.Errorf("%s answered the launch gate with %q, want %q; the lab saw:\n%v", instance, got, want, lab.Lifecycle.Calls())
	}
}

// wantHolder fails the test unless the Elastic IP is on want.
func wantHolder(t *testing.T, ctx context.Context, lab *heallab.Lab, want string) {
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

	replacement, err := heallab.ScenarioNamed("replacement")
	if err != nil {
		t.Fatal(err)
	}
	m, old, err := lab.Heal(ctx, replacement, heallab.Ours)
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
	inst := onlyInstance(t, ctx, lab)
	other, err := lab.AllocateOtherAddress(ctx)
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
		// moto allows the action; the harness checks the resource.
		{"another address", []string{"ec2", "associate-address", "--allocation-id", other, "--instance-id", inst.ID, "--allow-reassociation"}, "UnauthorizedOperation"},
		// The harness checks the instance's aws:autoscaling:groupName tag,
		// as the policy's condition asks.
		{"its own address onto another group's instance", []string{"ec2", "associate-address", "--allocation-id", lab.Outputs["allocationId"],
			"--instance-id", otherGroups, "--allow-reassociation"}, "UnauthorizedOperation"},
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
		{"marking another group's instance unhealthy", []string{"autoscaling", "set-instance-health", "--instance-id", otherGroups, "--health-status", "Unhealthy"}, "AccessDenied"},
		// A failed boot that no launch action waits for marks its own
		// instance Unhealthy, so the role may. Last: the group then
		// replaces the instance, and its launch action is gone.
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

// TestHealScenarios runs every scenario for our script and the seed's in
// the dev stack, then the seed's again in the stack shaped for it (no data
// volume, no launch gate). Each instance boots with no AWS CLI retry
// settings from the harness: the seed with the CLI's defaults, ours with
// what it exports itself.
func TestHealScenarios(t *testing.T) {
	var measurements []heallab.Measurement
	var probes []string
	t.Run("dev", func(t *testing.T) {
		lab, ctx := startLab(t)
		first, err := lab.BootFirst(ctx)
		if err != nil || !first.Healed {
			t.Fatalf("the first boot did not heal (%v):\n%s", err, first.Log)
		}
		wantNoHarnessRetrySettings(t, first)
		for _, sc := range heallab.Scenarios() {
			for _, script := range []heallab.Script{heallab.Ours, heallab.Seed} {
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
					wantNoHarnessRetrySettings(t, m.Result)
					checkMeasurement(t, ctx, lab, m, old, want)
				})
			}
		}
		// The first boot formatted the blank volume; no heal may format it
		// again, whatever happened in between.
		if n := lab.MkfsCalls(); n != 1 {
			t.Errorf("mkfs ran %d times over the whole run, want once (the first boot's)", n)
		}
		probes = append(probes, probeCLI(t, ctx, lab, "the seed (the harness's environment, nothing of its own)", nil))
		probes = append(probes, probeCLI(t, ctx, lab, "ours (the same, plus what it exports)", first.RetrySettings))
	})
	t.Run(heallab.SeedStackShape, func(t *testing.T) {
		lab, ctx := startLabShaped(t, heallab.Options{Overrides: heallab.SeedStackOverrides(), Shape: heallab.SeedStackShape})
		first, err := lab.BootFirstWith(ctx, heallab.Seed)
		if err != nil || !first.Healed {
			t.Fatalf("the seed's first boot did not take the address (%v):\n%s", err, first.CommandResult)
		}
		for _, sc := range heallab.Scenarios() {
			if sc.SeedStack == "" {
				continue
			}
			t.Run(sc.Name+"/seed", func(t *testing.T) {
				m, old, err := lab.Heal(ctx, sc, heallab.Seed)
				if err != nil {
					t.Fatal(err)
				}
				measurements = append(measurements, m)
				t.Log(m.HealLine())
				wantNoHarnessRetrySettings(t, m.Result)
				if m.Result.Volume.Present {
					t.Errorf("the %s stack has a data volume", heallab.SeedStackShape)
				}
				if m.Gate != heallab.NoGate {
					t.Errorf("the %s stack has a launch gate: %s", heallab.SeedStackShape, m.Gate)
				}
				checkMeasurement(t, ctx, lab, m, old, sc.SeedStack)
			})
		}
	})
	t.Run(heallab.NetworkInterfaceShape, func(t *testing.T) {
		lab, ctx := startLabShaped(t, heallab.Options{Overrides: heallab.NetworkInterfaceOverrides(), Shape: heallab.NetworkInterfaceShape})
		first, err := lab.BootFirst(ctx)
		if err != nil || !first.Healed {
			t.Fatalf("the first boot with the network interface did not heal (%v):\n%s", err, first.Log)
		}
		for _, sc := range heallab.Scenarios() {
			if sc.InterfaceStack == "" {
				continue
			}
			t.Run(sc.Name+"/ours", func(t *testing.T) {
				m, old, err := lab.Heal(ctx, sc, heallab.Ours)
				if err != nil {
					t.Fatal(err)
				}
				measurements = append(measurements, m)
				t.Log(m.HealLine())
				wantNoHarnessRetrySettings(t, m.Result)
				if n := lab.API.Calls("AssociateAddress"); n != 0 {
					t.Errorf("AssociateAddress called %d times; the interface carries the address", n)
				}
				eni := lab.Outputs["networkInterfaceId"]
				if !strings.Contains(m.Result.Log, "network interface "+eni+" is in-use, attached to "+old.ID+" (detaching)") {
					t.Errorf("the boot did not wait for the dead %s to let go of interface %s:\n%s", old.ID, eni, m.Result.Log)
				}
				checkMeasurement(t, ctx, lab, m, old, sc.InterfaceStack)
			})
		}
	})
	if path := os.Getenv("HEAL_REPORT"); path != "" && !t.Failed() {
		writeReport(t, path, os.Getenv("HEAL_README"), measurements, probes)
	}
}

// wantNoHarnessRetrySettings fails the test if a boot started with AWS CLI
// retry settings the script did not set itself.
func wantNoHarnessRetrySettings(t *testing.T, r heallab.BootResult) {
	t.Helper()
	for _, kv := range r.Env {
		if strings.HasPrefix(kv, "AWS_MAX_ATTEMPTS=") || strings.HasPrefix(kv, "AWS_RETRY_MODE=") {
			t.Errorf("the %s script started with %s from the harness", r.Script, kv)
		}
	}
}

// probeCLI asks the CLI how it retries in an instance's environment plus
// extra, for the report.
func probeCLI(t *testing.T, ctx context.Context, lab *heallab.Lab, who string, extra []string) string {
	t.Helper()
	c, err := lab.ProbeCLI(ctx, extra)
	if err != nil {
		t.Fatalf("asking the AWS CLI how it retries: %v", err)
	}
	t.Logf("AWS CLI for %s: %s", who, c)
	return "- " + who + ": " + c.String() + "."
}

func checkMeasurement(t *testing.T, ctx context.Context, lab *heallab.Lab, m heallab.Measurement, old heallab.Instance, want heallab.Outcome) {
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
	if r.Script != heallab.Ours {
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
	case heallab.Healed:
		if holder != r.Instance.ID || r.Status != "ready" {
			t.Errorf("healed, yet the address is on %q and the status is %q", holder, r.Status)
		}
		wantGate(t, lab, r.Instance.ID, "CONTINUE")
		if r.FailureLine != "" || strings.Contains(r.Log, "FAILED") {
			t.Errorf("a healed boot logged a failure:\n%s", r.Log)
		}
		checkVolume(t, m, old)
	case heallab.Failed:
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
func checkVolume(t *testing.T, m heallab.Measurement, old heallab.Instance) {
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

func writeReport(t *testing.T, path, readme string, measurements []heallab.Measurement, probes []string) {
	t.Helper()
	summary := heallab.Summary(measurements, "dev")
	header := "# Heal report\n\nOne run of `make heal-report` on " + time.Now().UTC().Format("2006-01-02") +
		": the dev stack deployed into moto, its instance killed once per row, and the replacement booted with our boot script or the user data of [the seed article](https://newsletter.simpleaws.dev/p/amazon-ec2-self-healing-instance). " +
		"Times are from the script's start, on a shared 2-core machine against emulators: compare them, don't quote them.\n\n" +
		"## The two runs, and every setting that differs\n\n" +
		"- **Stack.** `dev`: the dev stack (`Pulumi.dev.yaml`, its user script replaced by a stand-in), with a data volume and the launch gate. " +
		"The dev stack has a data volume: the first boot formats it and a file is written on it in `data-survives`; every later boot of ours must mount it with that file intact. " +
		"After each kill the volume stays in-use, attached to the dead instance, for " + heallab.DefaultVolumeHeld.String() + " (or as the scenario says), which our script's ready time includes. " +
		"`" + heallab.SeedStackShape + "`: the same stack with `dataVolume: {}` and `launchGate: false`, the shape the seed article describes; only the seed runs there, its first instance booted with the seed too. " +
		"In the dev stack a boot heals only if the address is on its instance and the volume is mounted with the data intact; in the seed-shaped stack, which has no volume, only the address counts. " +
		"`" + heallab.NetworkInterfaceShape + "`: the dev stack with `networkInterface: {}`, a persistent network interface that carries the Elastic IP; only ours runs there, and a boot heals only if the interface, with the address on it, is attached to its instance and the volume is mounted with the data intact.\n" +
		"- **User data.** Ours: the launch template's, byte for byte. The seed: the article's script as published (`lab/internal/heallab/seed-userdata.published.sh`), " +
		"with only the allocation id, the region and the metadata address filled in, executed as cloud-init executes it, so its `#!/bin/bash -ex` applies.\n" +
		"- **Metadata.** Ours: IMDSv2 tokens required, as its launch template says. The seed: IMDSv1 allowed, as the article's launch template leaves it, except in `imdsv2-required`.\n" +
		"- **AWS CLI.** The harness gives neither script `AWS_MAX_ATTEMPTS` or `AWS_RETRY_MODE`; each runs with the CLI's defaults and what it sets itself. " +
		"Both run AWS CLI v2 as on EC2: credentials for the instance role from the metadata service (the mock serves the role's), AWS's host names reached through the lab's HTTPS proxy, no endpoint or keys in the environment. Asked at the end of the dev run:\n" +
		strings.Join(probes, "\n") + "\n\n" +
		"## Side by side\n\n" + heallab.SummaryBegin + "\n" + summary + heallab.SummaryEnd + "\n\n## Every boot\n"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := heallab.WriteMarkdown(f, measurements, header); err != nil {
		t.Fatal(err)
	}
	// The HTTPS figures come from their own test's run, which `make
	// heal-report` runs first (heallab.HTTPSFiguresEnv).
	https := "## HTTPS\n\nNot measured in this run: HEAL_HTTPS named no figures file. `make heal-report` runs the HTTPS test and names its file.\n"
	if figuresPath := os.Getenv("HEAL_HTTPS"); figuresPath != "" {
		figures, err := heallab.ReadHTTPSFigures(figuresPath)
		if err != nil {
			t.Fatalf("the HTTPS figures: %v", err)
		}
		https = heallab.HTTPSSection(figures)
	}
	if _, err := f.WriteString("\n" + https); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
	if readme == "" {
		return
	}
	text, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	updated, err := heallab.ReplaceSummary(string(text), summary)
	if err != nil {
		t.Fatalf("%s: %v", readme, err)
	}
	if err := os.WriteFile(readme, []byte(updated), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote the summary into %s", readme)
}
