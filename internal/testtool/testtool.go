// Package testtool is what a test asks of the machine it runs on: a
// program on PATH, or root. In CI (a non-empty CI environment variable, as
// the project's CI and most CI services set it) a missing one fails the
// test; elsewhere it skips the test, saying how to get it.
//
// It lives in the main module, with no dependencies, so that tests which
// need only a tool (bash, shellcheck, gzip, python3) stay beside the code
// they test; the test lab's emulators (github.com/selfhealing-dev/selfhealing/lab)
// use the same rule.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI, which is signalled by a non-empty
// CI environment variable. In CI a missing tool is a failure, never a skip.
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

// RequireRoot returns if the test runs as root. Otherwise it fails the test
// when [InCI] is true and skips it elsewhere; why says what needs root.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if InCI() {
		t.Fatal(why)
	}
	t.Skip("skipping: " + why + " (run the tests with sudo)")
}
