package testtool_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/testtool"
)

// A missing tool fails the test in CI and skips it elsewhere, naming the
// tool and how to install it. Each case runs in a child test process, so
// that the outcome can be seen from outside.
func TestAMissingToolFailsInCIAndSkipsElsewhere(t *testing.T) {
	if os.Getenv("TESTTOOL_CHILD") == "1" {
		testtool.RequireTool(t, "no-such-tool-here", "apt-get install no-such-tool")
		t.Error("RequireTool returned for a missing tool")
		return
	}
	for _, tc := range []struct {
		ci   string
		want string
	}{
		{"true", "--- FAIL: TestAMissingToolFailsInCIAndSkipsElsewhere"},
		{"", "--- SKIP: TestAMissingToolFailsInCIAndSkipsElsewhere"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestAMissingToolFailsInCIAndSkipsElsewhere$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "TESTTOOL_CHILD=1", "CI="+tc.ci)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("CI=%q: want %q in:\n%s", tc.ci, tc.want, out)
		}
		if !strings.Contains(string(out), "no-such-tool-here") || !strings.Contains(string(out), "apt-get install no-such-tool") {
			t.Errorf("CI=%q: the message does not name the tool and its install hint:\n%s", tc.ci, out)
		}
	}
}
