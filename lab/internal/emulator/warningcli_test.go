package emulator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWarningAWSCLIWarnsOnEveryCall: the wrapper writes its warning to
// stderr, and only there, on a call that succeeds and on one that fails,
// and the CLI's own output and exit status come through unchanged.
func TestWarningAWSCLIWarnsOnEveryCall(t *testing.T) {
	dir := WarningAWSCLI(t, CLIDeprecationWarning)
	aws := filepath.Join(dir, "aws")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ok, err := RunCommand(ctx, env, aws, "--version")
	if err != nil {
		t.Fatal(err)
	}
	if ok.ExitCode != 0 || !strings.HasPrefix(ok.Stdout, "aws-cli/2.") || ok.Stderr != CLIDeprecationWarning+"\n" {
		t.Errorf("aws --version through the wrapper: %s\nwant exit 0, the version on stdout and the warning alone on stderr", ok)
	}
	bad, err := RunCommand(ctx, env, aws, "no-such-command")
	if err != nil {
		t.Fatal(err)
	}
	if bad.ExitCode == 0 || bad.Stdout != "" || !strings.HasPrefix(bad.Stderr, CLIDeprecationWarning+"\n") || !strings.Contains(bad.Stderr, "Invalid choice") {
		t.Errorf("a failing call through the wrapper: %s\nwant a non-zero exit, the warning, then the CLI's error, on stderr", bad)
	}
}
