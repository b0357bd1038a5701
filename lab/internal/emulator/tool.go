package emulator

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/testtool"
)

// InCI reports whether the tests run in CI ([testtool.InCI]). In CI a
// missing tool is a failure, never a skip.
func InCI() bool { return testtool.InCI() }

// RequireTool looks name up on PATH and returns its path; if it is missing
// it fails the test in CI and skips it elsewhere ([testtool.RequireTool]).
func RequireTool(t testing.TB, name, installHint string) string {
	t.Helper()
	return testtool.RequireTool(t, name, installHint)
}

// AWSCLIv2InstallHint says how to install the AWS CLI the instance runs.
const AWSCLIv2InstallHint = "apt-get install awscli (Debian 12's is AWS CLI v2, as Amazon Linux 2023 ships)"

// awsCLIv2Candidates are where AWSCLIv2E looks, after `aws` on PATH: where
// Debian's package and AWS's own installer put v2.
var awsCLIv2Candidates = []string{"/usr/bin/aws", "/usr/local/bin/aws"}

var awsCLIv2 struct {
	once          sync.Once
	path, version string
	err           error
}

// AWSCLIv2E returns the path of AWS CLI v2, the CLI Amazon Linux 2023
// ships, and what its --version prints: the first of `aws` on PATH,
// /usr/bin/aws and /usr/local/bin/aws whose version starts with
// "aws-cli/2.". A v1 first on PATH (pip's) is passed over, never used. The
// answer is looked up once per process. If none is found it returns an
// error wrapping exec.ErrNotFound that names what it found instead.
func AWSCLIv2E() (path, version string, err error) {
	awsCLIv2.once.Do(func() {
		candidates := awsCLIv2Candidates
		if p, err := exec.LookPath("aws"); err == nil {
			candidates = append([]string{p}, candidates...)
		}
		var seen []string
		for _, c := range candidates {
			out, err := exec.Command(c, "--version").Output()
			if err != nil {
				continue
			}
			v := strings.TrimSpace(string(out))
			if strings.HasPrefix(v, "aws-cli/2.") {
				awsCLIv2.path, awsCLIv2.version = c, v
				return
			}
			seen = append(seen, c+": "+v)
		}
		awsCLIv2.err = fmt.Errorf("no AWS CLI v2 among aws on PATH, %s (found %q): %w",
			strings.Join(awsCLIv2Candidates, ", "), seen, exec.ErrNotFound)
	})
	return awsCLIv2.path, awsCLIv2.version, awsCLIv2.err
}

// RequireAWSCLIv2 returns the path of AWS CLI v2 ([AWSCLIv2E]). If there is
// none it fails the test when [InCI] is true, and skips it otherwise, like
// [RequireTool].
func RequireAWSCLIv2(t testing.TB) string {
	t.Helper()
	path, _, err := AWSCLIv2E()
	if err == nil {
		return path
	}
	if InCI() {
		t.Fatalf("%v; CI must provide it: %s", err, AWSCLIv2InstallHint)
	} else {
		t.Skipf("skipping: %v; to run this test, install it: %s", err, AWSCLIv2InstallHint)
	}
	return ""
}
