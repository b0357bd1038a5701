package emulator

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// envMap turns a KEY=value list into a map, failing on duplicates.
func envMap(t *testing.T, env []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("malformed environment entry %q", kv)
		}
		if _, dup := m[k]; dup {
			t.Fatalf("environment sets %s twice", k)
		}
		m[k] = v
	}
	return m
}

func TestCLIEnv(t *testing.T) {
	// None of these may leak from the test's environment.
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_PROFILE", "developer")
	t.Setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY")

	const endpoint = "http://127.0.0.1:4566"
	env := envMap(t, CLIEnv(t, endpoint, Credentials{}))

	wantKeys := []string{
		"AWS_ACCESS_KEY_ID", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED",
		"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_SECRET_ACCESS_KEY", "AWS_SHARED_CREDENTIALS_FILE",
		"HOME", "HTTPS_PROXY", "LANG", "NO_PROXY", "PATH",
	}
	var gotKeys []string
	for k := range env {
		gotKeys = append(gotKeys, k)
	}
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("CLIEnv sets %v, want exactly %v", gotKeys, wantKeys)
	}
	for k, want := range map[string]string{
		"AWS_ACCESS_KEY_ID":         TestCredentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     TestCredentials.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_MAX_ATTEMPTS":          "1",
		"PATH":                      filepath.Join(env["HOME"], "bin") + ":" + os.Getenv("PATH"),
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	if !strings.HasPrefix(env["HTTPS_PROXY"], "http://127.0.0.1:") || !isFile(env["AWS_CA_BUNDLE"]) {
		t.Errorf("HTTPS_PROXY = %q, AWS_CA_BUNDLE = %q; want a loopback proxy and its CA", env["HTTPS_PROXY"], env["AWS_CA_BUNDLE"])
	}
	if home := env["HOME"]; home == os.Getenv("HOME") || !isDir(home) {
		t.Errorf("HOME = %q, want a fresh temporary directory", home)
	}
	for _, k := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		info, err := os.Stat(env[k])
		if err != nil || !info.Mode().IsRegular() || info.Size() != 0 {
			t.Errorf("%s = %q should name an existing empty file (stat: %v, %v)", k, env[k], info, err)
		}
	}

	withToken := envMap(t, CLIEnv(t, endpoint, Credentials{AccessKeyID: "AKID", SecretAccessKey: "SECRET", SessionToken: "TOKEN"}))
	if withToken["AWS_ACCESS_KEY_ID"] != "AKID" || withToken["AWS_SECRET_ACCESS_KEY"] != "SECRET" || withToken["AWS_SESSION_TOKEN"] != "TOKEN" {
		t.Errorf("CLIEnv with explicit credentials = %v", withToken)
	}
}

// TestCLIEnvHasNoRegion shows with the real AWS CLI that the environment
// supplies no region, so a script that forgets --region fails instead of
// silently using the developer's.
func TestCLIEnvHasNoRegion(t *testing.T) {
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	env := CLIEnv(t, "http://127.0.0.1:1", Credentials{})
	res, err := RunCommand(testContext(t, 2*time.Minute), env, "bash", "-c", "aws ec2 describe-addresses")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "You must specify a region") {
		t.Errorf("aws without --region should fail for want of a region; got %v", res)
	}
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// TestCLIEnvE shows the error-returning variant writing into the HOME the
// caller chose, creating it if needed, and failing when it cannot.
func TestCLIEnvE(t *testing.T) {
	RequireAWSCLIv2(t)
	proxy := StartHTTPSProxy(t, "http://127.0.0.1:4566")
	home := filepath.Join(t.TempDir(), "new", "home")
	env, err := CLIEnvE(proxy, Credentials{}, home)
	if err != nil {
		t.Fatalf("CLIEnvE: %v", err)
	}
	m := envMap(t, env)
	if m["HOME"] != home || m["AWS_CONFIG_FILE"] != filepath.Join(home, "aws-config") ||
		m["AWS_SHARED_CREDENTIALS_FILE"] != filepath.Join(home, "aws-credentials") {
		t.Errorf("CLIEnvE(home %s) = %v", home, m)
	}
	for _, k := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		if info, err := os.Stat(m[k]); err != nil || info.Size() != 0 {
			t.Errorf("%s = %q should name an existing empty file (stat: %v, %v)", k, m[k], info, err)
		}
	}

	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", notADir} {
		if _, err := CLIEnvE(proxy, Credentials{}, bad); err == nil {
			t.Errorf("CLIEnvE with HOME %q returned no error", bad)
		}
	}
	if _, err := CLIEnvE(nil, Credentials{}, t.TempDir()); err == nil {
		t.Error("CLIEnvE without a proxy returned no error")
	}
}

// TestInstanceProfileCLIEnv shows the AWS CLI taking its credentials from
// the metadata mock, as on an instance with an instance profile, and what
// a slow metadata service does to it: with the CLI's defaults (one attempt
// of 1 s) it finds no credentials; with the patience the boot script
// gives it, it does.
func TestInstanceProfileCLIEnv(t *testing.T) {
	RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	moto := StartMoto(t, MotoOptions{})
	metadata := NewFaultProxy(t, StartIMDS(t, IMDSOptions{}).URL)
	env := InstanceProfileCLIEnv(t, moto.URL, metadata.URL)
	m := envMap(t, env)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EC2_METADATA_DISABLED",
		"AWS_ENDPOINT_URL", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"} {
		if v, ok := m[k]; ok {
			t.Errorf("%s = %q; the credentials must come from the metadata service, with the CLI's defaults", k, v)
		}
	}
	if m["AWS_EC2_METADATA_SERVICE_ENDPOINT"] != metadata.URL+"/" {
		t.Errorf("InstanceProfileCLIEnv = %v", m)
	}

	describe := []string{"ec2", "describe-availability-zones", "--region", moto.Region}
	requireCLISuccess(t, runAWS(t, env, describe...))
	var asked []string
	for _, r := range metadata.Log() {
		asked = append(asked, r.Path)
	}
	if !slices.Contains(asked, "/latest/meta-data/iam/security-credentials/baskinc-role") {
		t.Errorf("the CLI asked the metadata service for %q, not for the role's credentials", asked)
	}

	metadata.DelayFirstRequests(1000, 2*time.Second)
	if res := runAWS(t, env, describe...); res.ExitCode == 0 || !strings.Contains(res.Stderr, "Unable to locate credentials") {
		t.Errorf("with metadata answers of 2 s and the CLI's defaults: %v; want no credentials", res)
	}
	patient := append(env, "AWS_METADATA_SERVICE_TIMEOUT=5", "AWS_METADATA_SERVICE_NUM_ATTEMPTS=2")
	requireCLISuccess(t, runAWS(t, patient, describe...))
}

// TestPrependPath: the directory goes first on the PATH the environment
// already had (its last entry, the one os/exec uses), which it keeps.
func TestPrependPath(t *testing.T) {
	env := []string{"PATH=/old", "HOME=/h", "PATH=/cli:/usr/bin"}
	got := envMapLast(PrependPath(env, "/shims"))
	if got["PATH"] != "/shims:/cli:/usr/bin" || got["HOME"] != "/h" {
		t.Errorf("PrependPath = %v", got)
	}
	if env[2] != "PATH=/cli:/usr/bin" {
		t.Errorf("PrependPath changed its argument: %v", env)
	}
	if got := envMapLast(PrependPath([]string{"HOME=/h"}, "/shims")); got["PATH"] != "/shims" {
		t.Errorf("PrependPath without a PATH = %v", got)
	}
}

// envMapLast turns a KEY=value list into a map, the last value of a name
// winning, as with os/exec.
func envMapLast(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
