package testenv

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRunFirstBootIsolatesTheInstanceDirectories(t *testing.T) {
	RequireFirstBoot(t)
	root := InstanceRoot(t.TempDir())
	const marker = "/var/log/testenv-first-boot-marker"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := RunFirstBoot(ctx, root, []byte("#!/bin/bash\nset -e\nls -A /var/lib | wc -l\necho \"$GREETING\" > "+marker+"\nexit 3\n"),
		[]string{"PATH=" + os.Getenv("PATH"), "GREETING=hello"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit code %d, want the script's 3\n%s", res.ExitCode, res)
	}
	// /var/lib holds only the user data cloud-init would have written.
	if got := strings.TrimSpace(res.Stdout); got != "1" {
		t.Errorf("the script saw %s entries in /var/lib, want only cloud/", got)
	}
	if got := root.ReadFile(marker); got != "hello\n" {
		t.Errorf("instance file = %q, want the script's output with its environment", got)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the script wrote the host's %s (stat: %v)", marker, err)
		_ = os.Remove(marker)
	}
}
