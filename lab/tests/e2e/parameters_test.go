package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// TestTheInstanceLoadsItsParametersWithItsOwnRole deploys the dev stack with
// parameters into moto, so the program creates them, and boots the group's
// instance with its role's credentials and moto's IAM enforcement on: the
// role's policy, as written, must allow the script's Parameter Store read.
// (moto checks the action; the resource scoping is asserted by the
// component's unit tests, since the harness's resource check covers EC2's
// query protocol only.)
func TestTheInstanceLoadsItsParametersWithItsOwnRole(t *testing.T) {
	emulator.RequireFirstBoot(t)
	emulator.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	t.Cleanup(cancel)
	overrides := heallab.StandInOverrides()
	overrides["selfhealing:parameters"] = `{"greeting": "hello from Parameter Store", "release": 42}`
	overrides["selfhealing:userScript"] = heallab.StandInUserScript + "echo \"user script: GREETING=$GREETING RELEASE=$RELEASE\"\n"
	lab, err := heallab.Start(ctx, heallab.Options{Dir: filepath.Join("..", "..", ".."), Stack: "dev", WorkDir: t.TempDir(), Overrides: overrides})
	if lab != nil {
		t.Cleanup(func() {
			if err := lab.Close(); err != nil {
				t.Errorf("closing the lab: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("deploying the dev stack with parameters into moto: %v", err)
	}

	first, err := lab.BootFirst(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Healed || first.Status != "ready" {
		t.Fatalf("the instance did not boot:\n%s\n%s", first.CommandResult, first.Log)
	}
	if out := first.Stdout + first.Stderr; !strings.Contains(out, "user script: GREETING=hello from Parameter Store RELEASE=42") {
		t.Errorf("the user script did not get the parameters:\n%s", out)
	}
	if !strings.Contains(first.Log, "loaded 2 parameters from /selfhealing/dev/instance") {
		t.Errorf("the boot log does not report the load:\n%s", first.Log)
	}
	if got := lab.API.Calls("GetParametersByPath"); got != 1 {
		t.Errorf("GetParametersByPath called %d times, want 1 (no retry: the role may read its path from the start)", got)
	}
}
