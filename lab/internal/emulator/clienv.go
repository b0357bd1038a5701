package emulator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// CLIEnv returns [CLIEnvE]'s environment for the AWS CLI with static keys,
// reaching endpoint (moto, or a [FaultProxy] in front of it) through an
// [HTTPSProxy] that it starts, and with HOME a fresh t.TempDir(). The proxy
// is closed and the directory removed when the test ends.
//
// It fails the test if the proxy cannot start or the files cannot be
// created, and behaves like [RequireTool] if AWS CLI v2 is missing.
func CLIEnv(t testing.TB, endpoint string, creds Credentials) []string {
	t.Helper()
	RequireAWSCLIv2(t)
	env, err := CLIEnvE(StartHTTPSProxy(t, endpoint), creds, t.TempDir())
	if err != nil {
		t.Fatalf("CLIEnv: %v", err)
	}
	return env
}

// CLIEnvE returns a minimal, hermetic environment for running AWS CLI v2,
// or a script that runs it, with static keys, against the chain behind
// proxy, for use with [RunCommand] or exec.Cmd.Env. It is what the harness
// uses to act as a given identity; an instance's environment is
// [InstanceCLIEnvE]'s. It contains [InstanceCLIEnvE]'s variables except
// AWS_EC2_METADATA_SERVICE_ENDPOINT, and:
//
//   - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, if set,
//     AWS_SESSION_TOKEN from creds ([TestCredentials] if creds is the zero
//     value);
//   - AWS_EC2_METADATA_DISABLED=true, so the CLI never asks an IMDS for
//     credentials or a region;
//   - AWS_MAX_ATTEMPTS=1 and AWS_RETRY_MODE=standard, so the CLI makes
//     exactly one attempt per command and every injected fault reaches the
//     caller.
//
// It returns an error, never fails a test, if AWS CLI v2 cannot be found
// (wrapping exec.ErrNotFound) or home is unusable (see [InstanceCLIEnvE]).
func CLIEnvE(proxy *HTTPSProxy, creds Credentials, home string) ([]string, error) {
	env, err := baseCLIEnv(proxy, home)
	if err != nil {
		return nil, fmt.Errorf("CLIEnvE: %w", err)
	}
	creds = creds.orDefault()
	env = append(env,
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
	)
	if creds.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+creds.SessionToken)
	}
	return env, nil
}

// InstanceProfileCLIEnv returns [InstanceCLIEnvE]'s environment, an
// instance's, reaching endpoint (moto, or a [FaultProxy] in front of it)
// through an [HTTPSProxy] that it starts, with credentials from the
// metadata service at imdsEndpoint (a metadata mock from [StartIMDS], or a
// [FaultProxy] in front of one), and with HOME a fresh t.TempDir().
//
// It fails the test if the proxy cannot start or the files cannot be
// created, and behaves like [RequireTool] if AWS CLI v2 is missing.
func InstanceProfileCLIEnv(t testing.TB, endpoint, imdsEndpoint string) []string {
	t.Helper()
	RequireAWSCLIv2(t)
	env, err := InstanceCLIEnvE(StartHTTPSProxy(t, endpoint), imdsEndpoint, t.TempDir())
	if err != nil {
		t.Fatalf("InstanceProfileCLIEnv: %v", err)
	}
	return env
}

// InstanceCLIEnvE returns the environment the AWS CLI, or the boot script,
// runs with on a simulated EC2 instance: what the CLI on an Amazon Linux
// 2023 instance with an instance profile sees, plus the standard settings
// of a client behind an HTTPS proxy. It contains only:
//
//   - PATH: a directory of home holding only `aws`, a link to AWS CLI v2
//     (see [AWSCLIv2E]), then the caller's PATH, so the CLI that runs is
//     v2 whatever else is installed;
//   - LANG=C.UTF-8, so output does not depend on the developer's locale;
//   - HOME=home;
//   - HTTPS_PROXY=proxy.URL and AWS_CA_BUNDLE=proxy.CAFile: the CLI calls
//     AWS's real host names, with no endpoint override, and the proxy
//     takes them to the chain in front of moto (see [HTTPSProxy]);
//   - NO_PROXY=127.0.0.1,localhost, so the metadata service and anything
//     on the instance itself are reached directly, as on EC2;
//   - AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, naming empty files
//     home/aws-config and home/aws-credentials, so no profile is read;
//   - AWS_EC2_METADATA_SERVICE_ENDPOINT=imdsEndpoint/, the CLI's documented
//     setting for where the metadata service is, from which it takes its
//     credentials (iam/security-credentials/ROLE), as on EC2.
//
// It sets no region (callers pass --region, as the boot script does with
// the region it read from IMDS), no keys, and no retry settings: the CLI's
// defaults are those of a fresh instance. To override or add a variable,
// append "NAME=value": os/exec uses the last value of a duplicated name.
//
// The caller supplies home, which should be a directory of its own and
// which it removes when done; InstanceCLIEnvE creates it if needed (mode
// 0700), makes it absolute, and (over)writes the files in it. It returns an
// error, never fails a test, if home is empty or the files cannot be
// written, or AWS CLI v2 cannot be found (wrapping exec.ErrNotFound).
func InstanceCLIEnvE(proxy *HTTPSProxy, imdsEndpoint, home string) ([]string, error) {
	env, err := baseCLIEnv(proxy, home)
	if err != nil {
		return nil, fmt.Errorf("InstanceCLIEnvE: %w", err)
	}
	// v2.9 appends "latest/api/token" to the endpoint as given, so the
	// endpoint must end in a slash, as its default http://169.254.169.254/
	// does.
	return append(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+strings.TrimSuffix(imdsEndpoint, "/")+"/"), nil
}

// baseCLIEnv is what [CLIEnvE] and [InstanceCLIEnvE] share: see
// InstanceCLIEnvE.
func baseCLIEnv(proxy *HTTPSProxy, home string) ([]string, error) {
	if proxy == nil {
		return nil, errors.New("no HTTPS proxy to reach AWS through")
	}
	if home == "" {
		return nil, errors.New("home must name a directory")
	}
	home, err := filepath.Abs(home)
	if err != nil {
		return nil, err
	}
	aws, _, err := AWSCLIv2E()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(home, "bin")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		return nil, fmt.Errorf("create HOME: %w", err)
	}
	link := filepath.Join(bin, "aws")
	if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.Symlink(aws, link); err != nil {
		return nil, err
	}
	configFile := filepath.Join(home, "aws-config")
	credentialsFile := filepath.Join(home, "aws-credentials")
	for _, f := range []string{configFile, credentialsFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			return nil, err
		}
	}
	return []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"HOME=" + home,
		"HTTPS_PROXY=" + proxy.URL,
		"AWS_CA_BUNDLE=" + proxy.CAFile,
		"NO_PROXY=127.0.0.1,localhost",
		"AWS_CONFIG_FILE=" + configFile,
		"AWS_SHARED_CREDENTIALS_FILE=" + credentialsFile,
	}, nil
}

// PrependPath returns env with dir put first on its PATH (the last PATH
// entry of env, which is the one os/exec uses), keeping what PATH held:
// for wrappers a test puts before the real programs, without losing the
// directory that makes `aws` AWS CLI v2. env is not modified.
func PrependPath(env []string, dir string) []string {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	if path == "" {
		return append(slices.Clip(env), "PATH="+dir)
	}
	return append(slices.Clip(env), "PATH="+dir+string(os.PathListSeparator)+path)
}
