package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// CLIEnv returns a minimal, hermetic environment for running the AWS CLI, or
// a script that runs it, against endpoint (moto or a [FaultProxy]), for use
// with [RunCommand] or exec.Cmd.Env. It contains only:
//
//   - PATH, copied from the test's environment so aws, bash and curl are found;
//   - LANG=C.UTF-8, so output does not depend on the developer's locale;
//   - HOME, a fresh temporary directory;
//   - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, if set,
//     AWS_SESSION_TOKEN from creds ([TestCredentials] if creds is the zero
//     value);
//   - AWS_ENDPOINT_URL=endpoint;
//   - AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, naming empty files, so
//     no profile is read;
//   - AWS_EC2_METADATA_DISABLED=true, so the CLI never asks an IMDS for
//     credentials or a region;
//   - AWS_MAX_ATTEMPTS=1 and AWS_RETRY_MODE=standard, so the CLI makes
//     exactly one attempt per command and every injected fault reaches the
//     caller (whose own retry logic is usually what is under test).
//
// It deliberately sets neither AWS_DEFAULT_REGION nor AWS_REGION: callers
// pass --region, as the boot script does with the region it read from IMDS.
// To override or add a variable, append "NAME=value": os/exec uses the last
// value of a duplicated name.
//
// CLIEnv fails the test if it cannot create the files.
func CLIEnv(t testing.TB, endpoint string, creds Credentials) []string {
	t.Helper()
	creds = creds.orDefault()
	home := t.TempDir()
	configFile := filepath.Join(home, "aws-config")
	credentialsFile := filepath.Join(home, "aws-credentials")
	for _, f := range []string{configFile, credentialsFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatalf("CLIEnv: %v", err)
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_CONFIG_FILE=" + configFile,
		"AWS_SHARED_CREDENTIALS_FILE=" + credentialsFile,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
	}
	if creds.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+creds.SessionToken)
	}
	return env
}
