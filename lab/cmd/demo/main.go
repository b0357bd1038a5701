// Command demo lets the dev stack heal on this machine, with no AWS account:
// it deploys the real program into moto, boots the group's instance with the
// launch template's user data against AWS's EC2 metadata mock, writes a file
// on its data volume, kills the instance, and shows the replacement take the
// Elastic IP and the volume, once the dead instance lets go of it, with the
// file intact. `make demo` runs it from the repository root.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// prerequisite is a program the demo runs, and how to get it.
type prerequisite struct{ name, install string }

var prerequisites = []prerequisite{
	{"moto_server", "pip install 'moto[server]==5.2.1'"},
	{"aws", "apt-get install awscli   (AWS CLI v2; Debian 12's package is v2)"},
	{"curl", "apt-get install curl"},
	{"bash", "apt-get install bash"},
	{"unshare", "apt-get install util-linux"},
	{"nsenter", "apt-get install util-linux"},
	{"losetup", "apt-get install mount"},
	{"blkid", "apt-get install util-linux"},
	{"mkfs.ext4", "apt-get install e2fsprogs"},
	{"go", "https://go.dev/dl/ (Go 1.26), to build AWS's EC2 metadata mock"},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Stdout, "."))
}

// run is the demo, apart from the process: dir holds Pulumi.yaml, and the
// result is the exit code.
func run(ctx context.Context, out io.Writer, dir string) int {
	if missing := missingPrerequisites(); len(missing) > 0 {
		fmt.Fprintln(out, "The demo needs these programs, which this machine lacks:")
		for _, p := range missing {
			fmt.Fprintf(out, "  %-12s install: %s\n", p.name, p.install)
		}
		return 1
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(out, "The demo must run as root: each simulated instance boots in a private mount namespace (unshare), and a loop device stands in for the data volume's disk.")
		fmt.Fprintln(out, "Run: sudo make demo")
		return 1
	}
	workDir, err := os.MkdirTemp("", "selfhealing-demo-")
	if err != nil {
		fmt.Fprintf(out, "demo: %v\n", err)
		return 1
	}
	defer os.RemoveAll(workDir)

	d := &demo{out: out, start: time.Now()}
	err = d.run(ctx, dir, workDir)
	if err != nil {
		fmt.Fprintf(out, "\ndemo failed: %v\n", err)
		return 1
	}
	return 0
}

func missingPrerequisites() []prerequisite {
	var missing []prerequisite
	for _, p := range prerequisites {
		var err error
		if p.name == "aws" {
			// The instances run v2, wherever it is; a v1 on PATH is no use.
			_, _, err = emulator.AWSCLIv2E()
		} else {
			_, err = exec.LookPath(p.name)
		}
		if err != nil {
			missing = append(missing, p)
		}
	}
	return missing
}

// demo prints a timeline, each line stamped with the time since the start.
type demo struct {
	out   io.Writer
	start time.Time
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "%6.1fs  %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func (d *demo) detail(format string, args ...any) {
	fmt.Fprintf(d.out, "         %s\n", fmt.Sprintf(format, args...))
}

// volumeHeld is how long the demo's killed instance keeps the data volume:
// long enough to see the replacement wait for it.
const volumeHeld = 6 * time.Second

// intro says what the demo deploys: Pulumi.dev.yaml, but for what
// heallab.StandInOverrides replaces.
func intro(out io.Writer) {
	fmt.Fprintln(out, "Self-healing instance demo: the dev stack in moto, with AWS's EC2 metadata mock. No AWS account is used.")
	fmt.Fprintln(out, "It deploys Pulumi.dev.yaml as it is but for its userScript, which installs nginx with dnf,")
	fmt.Fprintln(out, "which only Amazon Linux has: a stand-in runs in its place, prints the host name and leaves a file the demo checks.")
	fmt.Fprintln(out)
}

func (d *demo) run(ctx context.Context, dir, workDir string) (err error) {
	intro(d.out)

	d.say("starting moto and deploying the dev stack with the real program")
	lab, err := heallab.Start(ctx, heallab.Options{Dir: dir, Stack: "dev", WorkDir: workDir, Overrides: heallab.StandInOverrides()})
	defer func() {
		if lab != nil {
			err = errors.Join(err, lab.Close())
			d.say("cleaned up: emulators stopped, loop device detached, temporary files removed")
		}
	}()
	if err != nil {
		return err
	}
	d.say("deployed: Elastic IP %s (%s), group %s", lab.Outputs["publicIp"], lab.Outputs["allocationId"], lab.Outputs["autoScalingGroupName"])
	d.detail("IAM enforcement is on; the instance acts with its own role's credentials only")
	volumeID, mountPath, device, sizeGiB, hasVolume := lab.DataVolume()
	if hasVolume {
		d.detail("data volume %s: %d GiB, mounted at %s; a loop device (%s) stands in for its disk", volumeID, sizeGiB, mountPath, device)
	}

	first, err := lab.OnlyInstance(ctx)
	if err != nil {
		return err
	}
	d.say("the group launched %s in %s; booting it with the launch template's user data", first.ID, first.AvailabilityZone)
	booted, err := lab.BootFirst(ctx)
	if err != nil {
		return err
	}
	if !booted.Healed {
		return fmt.Errorf("the first instance did not take the address:\n%s", booted.Log)
	}
	d.say("%s holds %s: associated %s after boot, ready after %s", first.ID, lab.Outputs["publicIp"],
		round(booted.Associated), round(booted.Ready))
	if err := d.gate(lab, first.ID); err != nil {
		return err
	}
	var written string
	if hasVolume {
		if booted.Volume.Formatted > 0 {
			d.detail("%s was blank, so %s formatted it and mounted it at %s", volumeID, first.ID, mountPath)
		}
		if written, err = lab.WriteVolumeFile(ctx, first.ID); err != nil {
			return err
		}
		d.say("wrote %s/%s on %s: 1 MiB, sha256 %s, synced", mountPath, heallab.VolumeFile, first.ID, short(written))
	}

	d.say("killing %s (ec2 terminate-instances)", first.ID)
	replacement, err := lab.Kill(ctx, first.ID, heallab.KillOptions{VolumeHeldFor: volumeHeld})
	if err != nil {
		return err
	}
	d.say("the group replaced it with %s in %s", replacement.ID, replacement.AvailabilityZone)
	if hasVolume {
		va, err := lab.DescribeDataVolume(ctx)
		if err != nil {
			return err
		}
		if va.Instance == first.ID {
			d.say("%s is %s, still attached to terminated %s (%s): EBS lets go gradually; here after %s",
				volumeID, va.State, va.Instance, va.Attachment, volumeHeld)
		} else {
			d.say("%s is already %s: the %s hold ran out while the group replaced %s", volumeID, va.State, volumeHeld, first.ID)
		}
	}
	d.say("booting %s with the launch template's user data", replacement.ID)
	lab.API.Reset()
	r, err := lab.Boot(ctx, replacement, heallab.BootOptions{})
	if err != nil {
		return err
	}
	if !r.Healed {
		return fmt.Errorf("the replacement did not heal:\n%s\n%s", r.Stderr, r.Log)
	}
	took := "the address"
	if hasVolume {
		took = "the address and the volume"
	}
	d.say("%s took %s: associated %s after boot, ready after %s, %d AWS API calls",
		r.Instance.ID, took, round(r.Associated), round(r.Ready), r.APICalls)
	if hasVolume {
		v := r.Volume
		if v.Found != written {
			return fmt.Errorf("%s read sha256 %q from the volume, want %q, what %s wrote", r.Instance.ID, v.Found, written, first.ID)
		}
		if v.Waited() {
			d.detail("%s came free %s after the kill; %s, which had been waiting for it, attached it and mounted it %s later, without formatting it",
				volumeID, v.HeldFor, r.Instance.ID, round(v.MountAfterFree()))
		} else {
			d.detail("%s came free %s after the kill, before %s asked for it; it attached it and mounted it without formatting it",
				volumeID, v.HeldFor, r.Instance.ID)
		}
		d.say("%s read %s/%s: sha256 %s, the same bytes", r.Instance.ID, mountPath, heallab.VolumeFile, short(v.Found))
	}
	if err := d.gate(lab, r.Instance.ID); err != nil {
		return err
	}
	holder, err := lab.Holder(ctx)
	if err != nil {
		return err
	}
	state, err := lab.InstanceState(ctx, first.ID)
	if err != nil {
		return err
	}
	d.say("now: %s -> %s; %s is %s and holds nothing", lab.Outputs["publicIp"], holder, first.ID, state)
	if hasVolume {
		va, err := lab.DescribeDataVolume(ctx)
		if err != nil {
			return err
		}
		d.detail("%s is %s, %s to %s; mkfs ran %s in all", volumeID, va.State, va.Attachment, va.Instance, times(lab.MkfsCalls()))
	}

	fmt.Fprintf(d.out, "\nThe replacement's boot log (%s on the instance):\n", "/var/log/selfhealing-boot.log")
	for _, line := range strings.Split(strings.TrimSpace(r.Log), "\n") {
		fmt.Fprintf(d.out, "  %s\n", line)
	}
	fmt.Fprintln(d.out)
	return nil
}

// gate says how instance answered the launch gate, and fails unless it let
// itself through once, with CONTINUE.
func (d *demo) gate(lab *heallab.Lab, instance string) error {
	if got := lab.Gate(instance); got != "CONTINUE" {
		return fmt.Errorf("%s answered the launch gate with %s, want CONTINUE", instance, got)
	}
	d.detail("launch gate: %s sent CONTINUE once ready, so the group put it in service", instance)
	return nil
}

func round(d time.Duration) time.Duration {
	return d.Round(10 * time.Millisecond)
}

// short abbreviates a SHA-256 for the timeline.
func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}

// times says how many times, in words.
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}
