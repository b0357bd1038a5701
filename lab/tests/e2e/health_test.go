package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/heallab"
)

// startHealthLab deploys the dev stack with a stand-in application and an
// appHealthCheck on it.
func startHealthLab(t *testing.T) (*heallab.Lab, context.Context) {
	t.Helper()
	emulator.RequireFirstBoot(t)
	emulator.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	t.Cleanup(cancel)
	lab, err := heallab.Start(ctx, heallab.Options{
		Dir: filepath.Join("..", "..", ".."), Stack: "dev", WorkDir: t.TempDir(), Overrides: heallab.AppHealthOverrides(),
	})
	if lab != nil {
		t.Cleanup(func() {
			if err := lab.Close(); err != nil {
				t.Errorf("closing the lab: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("deploying the dev stack with a health check into moto: %v", err)
	}
	return lab, ctx
}

// An application that dies on a running instance is invisible to EC2. The
// instance's own check notices, reports itself unhealthy, and the group
// replaces it; the replacement takes the address.
func TestAnApplicationThatDiesIsReplaced(t *testing.T) {
	lab, ctx := startHealthLab(t)
	first, err := lab.BootFirst(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Healed || !strings.Contains(first.Log, "app health check passed: the check command exited 0") {
		t.Fatalf("the first instance did not boot through its health check:\n%s", first.Log)
	}
	wantGate(t, lab, first.Instance.ID, "CONTINUE")
	_, lines, err := lab.HealthTick(ctx, first.Instance)
	if err != nil || !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "app health check: healthy") }) {
		t.Fatalf("a tick on a healthy instance: %v, logged %q", err, lines)
	}

	if err := lab.CrashApp(first.Instance); err != nil {
		t.Fatal(err)
	}
	var last []string
	for i := 1; i <= heallab.AppHealthCheckThreshold; i++ {
		if _, last, err = lab.HealthTick(ctx, first.Instance); err != nil {
			t.Fatalf("tick %d: %v", i, err)
		}
		t.Logf("tick %d: %q", i, last)
	}
	if !slices.ContainsFunc(last, func(l string) bool { return strings.Contains(l, "set-instance-health Unhealthy taken") }) {
		t.Fatalf("the last tick did not report the instance: %q", last)
	}
	reports := lab.Lifecycle.HealthReports(first.Instance.ID)
	if len(reports) != 1 || !reports[0].Terminated || reports[0].Group != lab.Outputs["autoScalingGroupName"] {
		t.Fatalf("health reports %v, want one that terminated the instance", reports)
	}
	if got := lab.API.Injected(); got != 0 {
		t.Errorf("the harness refused %d of the instance's requests; the policy must allow SetInstanceHealth on its group", got)
	}

	// The group replaces it; the replacement boots and takes the address.
	replacement, err := lab.AwaitReplacement(ctx, first.Instance.ID)
	if err != nil {
		t.Fatal(err)
	}
	if state, err := lab.InstanceState(ctx, first.Instance.ID); err != nil || state != "terminated" {
		t.Errorf("the unhealthy instance is %q (%v), want terminated", state, err)
	}
	wantHolder(t, ctx, lab, "")
	r, err := lab.Boot(ctx, replacement, heallab.BootOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Healed || r.Status != "ready" {
		t.Fatalf("the replacement did not take the address:\n%s\n%s", r.CommandResult, r.Log)
	}
	wantHolder(t, ctx, lab, replacement.ID)
	wantGate(t, lab, replacement.ID, "CONTINUE")
	if _, lines, err := lab.HealthTick(ctx, replacement); err != nil || !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "app health check: healthy") }) {
		t.Errorf("the replacement's application is not healthy: %v, %q", err, lines)
	}
}
