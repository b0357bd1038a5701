package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/selfhealing-dev/selfhealing/internal/testenv"
)

func TestDemoSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var out bytes.Buffer
	if code := run(context.Background(), &out, "../.."); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, p := range prerequisites {
		if !strings.Contains(out.String(), p.name) || !strings.Contains(out.String(), p.install) {
			t.Errorf("the message does not say to install %s with %q:\n%s", p.name, p.install, out.String())
		}
	}
}

func TestDemoHealsAndCleansUp(t *testing.T) {
	testenv.RequireFirstBoot(t)
	testenv.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a hang bound
	defer cancel()

	var out bytes.Buffer
	if code := run(ctx, &out, "../.."); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"deployed: Elastic IP",
		"booting it with the launch template's user data",
		"killing i-",
		"the group replaced it with i-",
		"ready: ",
		"sent CONTINUE once ready",
		"is terminated and holds nothing",
		"cleaned up",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, text)
		}
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range left {
		t.Errorf("the demo left %s in TMPDIR", entry.Name())
	}
}
