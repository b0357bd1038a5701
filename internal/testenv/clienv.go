package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CLIEnv returns [CLIEnvE]'s environment with HOME a fresh t.TempDir(),
// which the testing package removes when the test ends.
//
// It fails the test if it cannot create the files.
func CLIEnv(t testing.TB, endpoint string, creds Credentials) []string {
	t.Helper()
	env, err := CLIEnvE(endpoint, creds, t.TempDir())
	if err != nil {
		t.Fatalf("CLIEnv: %v", err)
	}
	return env
}

// CLIEnvE returns a minimal, hermetic environment for running the AWS CLI,
// or a script that runs it, against endpoint (moto or a [FaultProxy]), for
// use with [RunCommand] or exec.Cmd.Env. It contains only:
//
//   - PATH, copied from the caller's environment so aws, bash and curl are
//     found;
//   - LANG=C.UTF-8, so output does not depend on the developer's locale;
//   - HOME=home;
//   - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, if set,
//     AWS_SESSION_TOKEN from creds ([TestCredentials] if creds is the zero
//     value);
//   - AWS_ENDPOINT_URL=endpoint;
//   - AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, naming empty files
//     home/aws-config and home/aws-credentials, so no profile is read;
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
// The caller supplies home, which should be a directory of its own (the CLI
// may write a cache there) and which it removes when done; CLIEnvE creates
// it if needed (mode 0700), makes it absolute, and (over)writes the two
// empty files in it. It returns an error, never fails a test, if home is
// empty or the files cannot be written.
func CLIEnvE(endpoint string, creds Credentials, home string) ([]string, error) {
	if home == "" {
		return nil, errors.New("CLIEnvE: home must name a directory")
	}
	home, err := filepath.Abs(home)
	if err != nil {
		return nil, fmt.Errorf("CLIEnvE: %w", err)
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("CLIEnvE: create HOME: %w", err)
	}
	creds = creds.orDefault()
	configFile := filepath.Join(home, "aws-config")
	credentialsFile := filepath.Join(home, "aws-credentials")
	for _, f := range []string{configFile, credentialsFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			return nil, fmt.Errorf("CLIEnvE: %w", err)
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
	return env, nil
}

// InstanceProfileCLIEnv returns [CLIEnv]'s environment without static
// keys: the AWS CLI takes its credentials from the metadata service at
// imdsEndpoint (a metadata mock from [StartIMDS], or a [FaultProxy] in front
// of one), through AWS_EC2_METADATA_SERVICE_ENDPOINT, as it does on an EC2
// instance with an instance profile. The mock serves its own role,
// baskinc-role, with fixed keys, which moto accepts as it accepts any.
//
// Whatever else decides how the CLI reads the metadata service (its
// timeout, its attempts) is left to the CLI's defaults or to the script
// under test. It fails the test if it cannot create the files.
func InstanceProfileCLIEnv(t testing.TB, endpoint, imdsEndpoint string) []string {
	t.Helper()
	var env []string
	for _, kv := range CLIEnv(t, endpoint, Credentials{}) {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EC2_METADATA_DISABLED":
		default:
			env = append(env, kv)
		}
	}
	return append(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+imdsEndpoint)
}
