package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI, which is signalled by a non-empty
// CI environment variable (as set by the project's CI and by most CI
// services). In CI a missing tool is a failure, never a skip.
func InCI() bool {
	return os.Getenv("CI") != ""
}

// RequireTool looks name up on PATH and returns its path.
//
// If the tool is missing it fails the test with t.Fatalf when [InCI] is true,
// and otherwise skips the test with t.Skipf. Either message names the missing
// tool and repeats installHint, which should say how to install it (for
// example "pip install 'moto[server]'").
func RequireTool(t testing.TB, name, installHint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if InCI() {
		t.Fatalf("required tool %q is not available (%v); CI must provide it: %s", name, err, installHint)
	} else {
		t.Skipf("skipping: required tool %q is not available (%v); to run this test, install it: %s", name, err, installHint)
	}
	return ""
}
