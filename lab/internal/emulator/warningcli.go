package emulator

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/shellquote"
)

// CLIDeprecationWarning is a warning of the kind AWS CLI v2 writes to stderr
// on calls that succeed, here in the words of botocore's Python deprecation
// notice: several words on a line, as a parser of the CLI's text output
// would take for fields.
const CLIDeprecationWarning = "PythonDeprecationWarning: Boto3 will no longer support Python 3.8 starting April 22, 2025."

// WarningAWSCLI returns a directory holding `aws`, a wrapper around AWS CLI
// v2 ([AWSCLIv2E]) that writes warning, one line, to stderr on every call,
// whether the call then succeeds or fails, and runs the CLI with the same
// arguments and environment. Put the directory first on PATH
// ([PrependPath]) to have every call of a script warn. It behaves like
// [RequireTool] if AWS CLI v2 is missing, and fails the test if the
// wrapper cannot be written. The directory is removed when the test ends.
func WarningAWSCLI(t testing.TB, warning string) string {
	t.Helper()
	aws := RequireAWSCLIv2(t)
	dir := t.TempDir()
	script := "#!/bin/bash\nprintf '%s\\n' " + shellquote.Quote(warning) + " >&2\nexec " + shellquote.Quote(aws) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "aws"), []byte(script), 0o755); err != nil {
		t.Fatalf("WarningAWSCLI: %v", err)
	}
	return dir
}
