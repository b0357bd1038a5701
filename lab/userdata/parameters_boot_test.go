package userdata_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the boot script with the parameters section against
// moto's Parameter Store, through the AWS CLI, as boot_test.go does.

const parametersPath = "/selfhealing/dev/web"

// trickyValue must reach the user script byte for byte.
const trickyValue = "it's \"quoted\"\nsecond line $(id) `id` ${HOME} a=b \\ ünïcödé ✓\t"

// secretValue must never appear in a log, the console or the status file.
const secretValue = "s3cr3t-4a1f-never-log-me"

// putParameter creates or overwrites a parameter in moto.
func (in *instance) putParameter(name, value string, kind ssmtypes.ParameterType) {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := ssm.NewFromConfig(in.cfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: kind, Overwrite: aws.Bool(true),
	}); err != nil {
		in.t.Fatalf("putting parameter %s: %v", name, err)
	}
}

// replacement is another instance in the same moto, as the group would
// launch after this one died: a new instance id, its own metadata service
// and a fresh disk, with the same Elastic IP to take.
func (in *instance) replacement() *instance {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := emulator.CreateInstance(ctx, in.cfg, emulator.MotoAMI)
	if err != nil {
		in.t.Fatal(err)
	}
	next := &instance{t: in.t, moto: in.moto, cfg: in.cfg, api: in.api, fixture: in.fixture, fs: emulator.InstanceRoot(in.t.TempDir())}
	next.fixture.InstanceID = id
	imds := emulator.StartIMDS(in.t, emulator.IMDSOptions{InstanceID: id, AvailabilityZone: in.moto.Region + "a"})
	next.metadata = emulator.NewFaultProxy(in.t, next.lifecycleOverride(imds.URL))
	return next
}

// dumpEnv is a user script that writes each named variable, exactly as it
// sees it, to /var/lib/seen/NAME, then leaves boot_test.go's mark.
func dumpEnv(names ...string) string {
	script := "set -eu\nmkdir -p /var/lib/seen\n"
	for _, n := range names {
		script += "printf '%s' \"${" + n + "-UNSET}\" >/var/lib/seen/" + n + "\n"
	}
	return script + "touch /var/lib/user-script-ran\n"
}

func (in *instance) seen(name string) string {
	return in.fs.ReadFile("/var/lib/seen/" + name)
}

func (in *instance) withParameters(userScript string) userdata.Params {
	p := in.params()
	p.UserScript = userScript
	p.Parameters = &userdata.ParametersParams{Path: parametersPath}
	return p
}

func TestBootExportsParametersExactlyAndNeverLogsSecrets(t *testing.T) {
	in := newInstance(t)
	in.putParameter(parametersPath+"/greeting", "hello", ssmtypes.ParameterTypeString)
	in.putParameter(parametersPath+"/tricky.value", trickyValue, ssmtypes.ParameterTypeSecureString)
	in.putParameter(parametersPath+"/db-password", secretValue, ssmtypes.ParameterTypeSecureString)
	in.putParameter("/selfhealing/dev/other/greeting", "not ours", ssmtypes.ParameterTypeString)
	// Added by hand below the path: loaded too, named by its whole key.
	in.putParameter(parametersPath+"/nested/key", "deep", ssmtypes.ParameterTypeString)
	// More than one page (the API returns at most 10 a call).
	for _, c := range "abcdefghijkl" {
		in.putParameter(parametersPath+"/page-"+string(c), "p", ssmtypes.ParameterTypeString)
	}

	r := in.boot(in.withParameters(dumpEnv("GREETING", "TRICKY_VALUE", "DB_PASSWORD", "PAGE_L", "NESTED_KEY")))
	in.wantHealed(r)
	for name, want := range map[string]string{"GREETING": "hello", "TRICKY_VALUE": trickyValue, "DB_PASSWORD": secretValue, "PAGE_L": "p", "NESTED_KEY": "deep"} {
		if got := in.seen(name); got != want {
			t.Errorf("the user script saw %s = %q, want %q", name, got, want)
		}
	}
	for where, text := range map[string]string{"boot log": r.Log, "stderr": r.Stderr, "stdout": r.Stdout, "status file": r.Status} {
		if strings.Contains(text, secretValue) || strings.Contains(text, "second line") {
			t.Errorf("the %s shows a parameter's value:\n%s", where, text)
		}
	}
	for _, want := range []string{"parameter db-password (SecureString) -> $DB_PASSWORD", "parameter greeting (String) -> $GREETING", "loaded 16 parameters"} {
		if !strings.Contains(r.Log, want) {
			t.Errorf("the log lacks %q:\n%s", want, r.Log)
		}
	}

	envFile := in.fs.Path(userdata.ConfigEnvFile)
	info, err := os.Stat(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 || info.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("%s: mode %v, owner %d; want 0600 and root", userdata.ConfigEnvFile, info.Mode().Perm(), info.Sys().(*syscall.Stat_t).Uid)
	}
	if got := sourced(t, envFile, "TRICKY_VALUE")["TRICKY_VALUE"]; got != trickyValue {
		t.Errorf("sourcing %s gives TRICKY_VALUE = %q", userdata.ConfigEnvFile, got)
	}
	if env := in.fs.ReadFile(userdata.ConfigEnvFile); strings.Contains(env, "not ours") {
		t.Errorf("a parameter outside the path was loaded:\n%s", env)
	}
	if leftovers, _ := filepath.Glob(envFile + ".*"); len(leftovers) != 0 {
		t.Errorf("temporary files left beside the environment file: %v", leftovers)
	}
}

func TestAReplacementSeesAParameterChangedSinceTheLastBoot(t *testing.T) {
	first := newInstance(t)
	first.putParameter(parametersPath+"/release", "v1", ssmtypes.ParameterTypeString)
	first.wantHealed(first.boot(first.withParameters(dumpEnv("RELEASE"))))
	if got := first.seen("RELEASE"); got != "v1" {
		t.Fatalf("first boot saw RELEASE = %q, want v1", got)
	}

	first.putParameter(parametersPath+"/release", "v2", ssmtypes.ParameterTypeString)
	second := first.replacement()
	second.wantHealed(second.boot(second.withParameters(dumpEnv("RELEASE"))))
	if got := second.seen("RELEASE"); got != "v2" {
		t.Errorf("the replacement %s saw RELEASE = %q, want the changed v2", second.fixture.InstanceID, got)
	}
}

func TestBootRetriesParameterStoreErrors(t *testing.T) {
	in := newInstance(t)
	in.putParameter(parametersPath+"/greeting", "hello", ssmtypes.ParameterTypeString)
	in.api.ServerErrorFirst("GetParametersByPath", 2)
	r := in.boot(in.withParameters(dumpEnv("GREETING")))
	in.wantHealed(r)
	if got := in.api.Calls("GetParametersByPath"); got != 3 {
		t.Errorf("GetParametersByPath called %d times, want 2 failures and 1 success", got)
	}
	if !strings.Contains(r.Log, "get-parameters-by-path: retryable error (attempt 2/10)") || in.seen("GREETING") != "hello" {
		t.Errorf("the retries were not logged, or the value was lost:\n%s", r.Log)
	}
}

func TestBootFailsLoudlyOnParametersNoVariableCanHold(t *testing.T) {
	in := newInstance(t)
	in.putParameter(parametersPath+"/db-host", secretValue, ssmtypes.ParameterTypeSecureString)
	in.putParameter(parametersPath+"/DB_HOST", "other", ssmtypes.ParameterTypeString)
	r := in.boot(in.withParameters(dumpEnv("DB_HOST")))
	in.wantFailed(r, "loading configuration from Parameter Store", parametersPath+"/DB_HOST", parametersPath+"/db-host", "DB_HOST")
	if strings.Contains(r.Stderr+r.Log+r.Status, secretValue) {
		t.Errorf("the failure shows a value:\n%s", r.Stderr)
	}
}

// TestBootFailsLoudlyWhenParameterStoreRefuses: an AccessDenied may be IAM
// still propagating a role created in the same deployment, so it is retried
// within the bound, like every other call's, and then fails loudly.
func TestBootFailsLoudlyWhenParameterStoreRefuses(t *testing.T) {
	in := newInstance(t)
	in.api.FailFirst("GetParametersByPath", 1000, emulator.APIError{Status: 400, Code: "AccessDeniedException", Message: "not authorized to perform: ssm:GetParametersByPath"})
	r := in.boot(in.withParameters(dumpEnv("X")))
	in.wantFailed(r, "loading configuration from Parameter Store", "get-parameters-by-path", "gave up after 10 attempts")
	if got := in.api.Calls("GetParametersByPath"); got != 10 {
		t.Errorf("GetParametersByPath called %d times; want the bounded 10 tries, no more", got)
	}
}

// hostileConfiguration are parameters named as variables that change how
// bash, the dynamic loader or the locale work, with values that would
// show it. The component and the loader both refuse such names; a boot
// script that loaded them into its own shell would trace itself, find no
// command, fail every nested function call or die after it said ready.
var hostileConfiguration = map[string]string{
	"BASH_ENV":        "/var/lib/hostile/bash-env",
	"BASHOPTS":        "xpg_echo",
	"CDPATH":          "/var/lib/hostile",
	"EXECIGNORE":      "*",
	"FUNCNEST":        "1",
	"GLOBIGNORE":      "*",
	"HOME":            "/var/lib/hostile",
	"IFS":             "e/-",
	"LC_ALL":          "xx_XX.hostile",
	"LD_PRELOAD":      "/var/lib/hostile/preload.so",
	"PATH":            "/var/lib/hostile",
	"POSIXLY_CORRECT": "y",
	"PS4":             "+hostile-ps4+ ",
	"SHELLOPTS":       "xtrace",
	"TMOUT":           "1",
	"TMPDIR":          "/var/lib/hostile",
	"_":               "underscore",
	"GREETING":        trickyValue,
	"CRLF":            "line\r\nnext\r",
}

// TestBootScriptNeverRunsWithItsConfiguration: configuration reaches the
// user script's environment, byte for byte, and never the boot script's
// own shell. The loader's own refusal of reserved names is switched off
// here, so that the names do reach the environment file: what is tried is
// that no name or value there can change how the boot script runs.
func TestBootScriptNeverRunsWithItsConfiguration(t *testing.T) {
	in := newInstance(t)
	for name, value := range hostileConfiguration {
		in.putParameter(parametersPath+"/"+name, value, ssmtypes.ParameterTypeSecureString)
	}
	// The user script records the environment it was started with, as the
	// kernel holds it, using no PATH lookup and no function.
	p := in.withParameters("/bin/cat /proc/$$/environ >/var/lib/seen-environ\n: >/var/lib/user-script-ran\n")
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	reserved := userdata.ShellQuote(p.Parameters.ReservedNames())
	if !strings.Contains(script, reserved) {
		t.Fatalf("the script does not hand the loader its reserved names as %s", reserved)
	}
	r := in.bootScript(strings.Replace(script, reserved, "''", 1))

	in.wantHealed(r)
	envFile := in.fs.ReadFile(userdata.ConfigEnvFile)
	environ := map[string]string{}
	for _, entry := range strings.Split(in.fs.ReadFile("/var/lib/seen-environ"), "\x00") {
		if name, value, ok := strings.Cut(entry, "="); ok {
			environ[name] = value
		}
	}
	for name, want := range hostileConfiguration {
		if !strings.HasPrefix(envFile, name+"=") && !strings.Contains(envFile, "\n"+name+"=") {
			t.Errorf("%s is not in %s; the test tried nothing", name, userdata.ConfigEnvFile)
		}
		if got, ok := environ[name]; got != want {
			t.Errorf("the user script was started with %s = %q (set: %v), want %q", name, got, ok, want)
		}
	}
	// Signs of the boot script's own shell running with them: tracing,
	// commands or functions it could not run, a variable it could not set.
	for _, sign := range []string{"+hostile-ps4+ set_status", "+ set_status", "command not found", "maximum function nesting", "readonly variable", "timed out waiting for input"} {
		if strings.Contains(r.Stderr, sign) {
			t.Errorf("the boot script's shell ran with its configuration (%q on stderr):\n%s", sign, r.Stderr)
		}
	}
}

// TestBootFailsLoudlyOnAParameterNamedAsABashVariable: a parameter added to
// the path by hand, whose variable bash gives a meaning, stops the boot
// with one FAILED line naming it, before the user script runs.
func TestBootFailsLoudlyOnAParameterNamedAsABashVariable(t *testing.T) {
	in := newInstance(t)
	in.putParameter(parametersPath+"/funcnest", "1", ssmtypes.ParameterTypeString)
	r := in.boot(in.withParameters(dumpEnv("FUNCNEST")))
	in.wantFailed(r, "loading configuration from Parameter Store", parametersPath+"/funcnest", "FUNCNEST", "reserved")
}
