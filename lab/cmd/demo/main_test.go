package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

func TestDemoSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var out bytes.Buffer
	if code := run(context.Background(), &out, "../../.."); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, p := range prerequisites {
		if _, _, err := emulator.AWSCLIv2E(); p.name == "aws" && err == nil {
			// AWS CLI v2 is also looked for where Debian and AWS's
			// installer put it, off PATH: installed there, it is not
			// missing.
			continue
		}
		if !strings.Contains(out.String(), p.name) || !strings.Contains(out.String(), p.install) {
			t.Errorf("the message does not say to install %s with %q:\n%s", p.name, p.install, out.String())
		}
	}
}

func TestDemoHealsAndCleansUp(t *testing.T) {
	emulator.RequireFirstBoot(t)
	emulator.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a hang bound
	defer cancel()

	var out bytes.Buffer
	if code := run(ctx, &out, "../../.."); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"deployed: Elastic IP",
		"booting it with the launch template's user data",
		"was blank, so i-",
		"formatted it and mounted it at /srv/data",
		"wrote /srv/data/selfhealing-lab.bin on i-",
		"killing i-",
		"the group replaced it with i-",
		"is in-use, still attached to terminated i-",
		"(detaching)",
		"took the address",
		// Whether the replacement got to the volume before it came free
		// depends on the machine's speed; the line says which, either way.
		"came free 6s after the kill",
		"mounted it",
		"without formatting it",
		"the same bytes",
		"ready: ",
		"sent CONTINUE once ready",
		"is terminated and holds nothing",
		"attached to i-",
		"mkfs ran once in all",
		"cleaned up",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, text)
		}
	}
	// The loop device that stood in for the data volume's disk is detached.
	loops, err := exec.Command("losetup", "--list", "--noheadings", "--output", "BACK-FILE").Output()
	if err != nil {
		t.Fatalf("losetup --list: %v", err)
	}
	if strings.Contains(string(loops), tmp) {
		t.Errorf("the demo left a loop device attached:\n%s", loops)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range left {
		t.Errorf("the demo left %s in TMPDIR", entry.Name())
	}
}

// The demo deploys Pulumi.dev.yaml but for the settings the lab replaces:
// it names each of them and says why.
func TestTheIntroSaysWhatTheDemoReplaces(t *testing.T) {
	var out bytes.Buffer
	intro(&out)
	for key := range heallab.StandInOverrides() {
		if name := strings.TrimPrefix(key, "selfhealing:"); !strings.Contains(out.String(), name) {
			t.Errorf("the intro does not say that the demo replaces %s:\n%s", name, out.String())
		}
	}
	for _, want := range []string{"Pulumi.dev.yaml", "stand-in", "only Amazon Linux has"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the intro lacks %q:\n%s", want, out.String())
		}
	}
}
