package userdata_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestEnvNames(t *testing.T) {
	for key, want := range map[string]string{
		"db-host":    "DB_HOST",
		"DB_HOST":    "DB_HOST",
		"api.v2":     "API_V2",
		"Mixed-Case": "MIXED_CASE",
		"a/b/c":      "A_B_C",
		"9lives":     "9LIVES",
		"_private":   "_PRIVATE",
	} {
		if got := userdata.EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
	for name, bad := range map[string]bool{
		"DB_HOST": false, "_X": false, "PATHS": false, "MY_PATH": false,
		"9LIVES": true, "": true, "PATH": true, "IFS": true, "LD_PRELOAD": true,
		"BASH_ENV": true, "AWS_REGION": true, "AWS_SECRET_ACCESS_KEY": true, "PYTHONPATH": true, "SELFHEALING_X": true, "UID": true,
	} {
		if got := userdata.EnvNameProblem(name) != ""; got != bad {
			t.Errorf("EnvNameProblem(%q) = %q; want a problem: %v", name, userdata.EnvNameProblem(name), bad)
		}
	}
}

// TestEnvNamesThatChangeHowProgramsRunAreRefused: a variable that bash,
// the dynamic loader or the locale read changes how the user script and
// everything it starts run, whatever its value; each is refused, saying
// who reads it.
func TestEnvNamesThatChangeHowProgramsRunAreRefused(t *testing.T) {
	for name, reader := range map[string]string{
		"SHELLOPTS": "bash", "BASHOPTS": "bash", "BASH_ENV": "bash", "BASH_FUNC_LOG__": "bash", "ENV": "bash",
		"IFS": "bash", "PATH": "bash", "PS4": "bash", "FUNCNEST": "bash", "GLOBIGNORE": "bash",
		"EXECIGNORE": "bash", "CDPATH": "bash", "POSIXLY_CORRECT": "bash", "TMOUT": "bash", "TMPDIR": "bash",
		"HOME": "bash", "PROMPT_COMMAND": "bash", "_": "bash",
		"LD_PRELOAD": "dynamic loader", "LD_LIBRARY_PATH": "dynamic loader", "GLIBC_TUNABLES": "C library",
		"LANG": "locale", "LC_ALL": "locale", "LANGUAGE": "locale",
		"PYTHONSTARTUP": "python3", "AWS_CA_BUNDLE": "AWS CLI",
	} {
		problem := userdata.EnvNameProblem(name)
		if !strings.Contains(problem, "reserved") || !strings.Contains(problem, reader) {
			t.Errorf("EnvNameProblem(%q) = %q; want it reserved, saying %s reads it", name, problem, reader)
		}
	}
	for _, name := range []string{"_X", "COMPANY", "LANG_CODE", "LINES_PER_PAGE", "TZ", "PATH_PREFIX", "MY_IFS", "FUNCNEST_DEPTH", "ENVIRONMENT"} {
		if problem := userdata.EnvNameProblem(name); problem != "" {
			t.Errorf("EnvNameProblem(%q) = %q; want none, nothing gives it a meaning", name, problem)
		}
	}
}

// loaderResult is what one run of the boot script's parameter loader did.
type loaderResult struct {
	stdout, stderr string
	exitCode       int
	envFile        string // path of the file it was asked to write
}

// runLoader runs the loader exactly as the boot script does, on the JSON
// the AWS CLI would print for parameters (name under path -> value).
func runLoader(t *testing.T, path string, parameters []map[string]string) loaderResult {
	t.Helper()
	emulator.RequireTool(t, "python3", "apt-get install python3")
	var list []map[string]any
	for _, p := range parameters {
		list = append(list, map[string]any{"Name": p["Name"], "Type": p["Type"], "Value": p["Value"], "Version": 1})
	}
	input, err := json.MarshalIndent(map[string]any{"Parameters": list}, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	p := userdata.ParametersParams{Path: path}
	envFile := filepath.Join(t.TempDir(), "config.env")
	cmd := exec.Command("python3", "-I", "-c", p.Loader(), path, envFile, p.ReservedNames())
	cmd.Stdin = strings.NewReader(string(input))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return loaderResult{stdout: stdout.String(), stderr: stderr.String(), exitCode: code, envFile: envFile}
}

// sourced sources an environment file in bash and returns each variable's
// value as bash holds it.
func sourced(t *testing.T, envFile string, names ...string) map[string]string {
	t.Helper()
	script := "set -euo pipefail; set -a; . " + userdata.ShellQuote(envFile) + "; set +a\n"
	for _, n := range names {
		script += "printf '%s\\0' \"$" + n + "\"\n"
	}
	out, err := exec.Command("bash", "-c", script).Output()
	if err != nil {
		t.Fatalf("sourcing %s: %v", envFile, err)
	}
	values := strings.Split(string(out), "\x00")
	got := map[string]string{}
	for i, n := range names {
		got[n] = values[i]
	}
	return got
}

func TestLoaderKeepsEveryValueExactAndLogsNone(t *testing.T) {
	emulator.RequireTool(t, "bash", "apt-get install bash")
	var params []map[string]string
	want := map[string]string{}
	for i, value := range append(hostile, "a=b=c", "ünïcödé ✓ 日本", "tab\there", "trailing newline\n\n", " leading and trailing spaces ") {
		key := "key-" + string(rune('a'+i))
		params = append(params, map[string]string{"Name": "/proj/dev/web/" + key, "Type": "SecureString", "Value": value})
		want[userdata.EnvName(key)] = value
	}
	r := runLoader(t, "/proj/dev/web", params)
	if r.exitCode != 0 {
		t.Fatalf("loader exited %d: %s", r.exitCode, r.stderr)
	}
	var names []string
	for name := range want {
		names = append(names, name)
	}
	got := sourced(t, r.envFile, names...)
	for name, value := range want {
		if got[name] != value {
			t.Errorf("%s = %q after sourcing, want %q", name, got[name], value)
		}
	}
	for _, value := range want {
		if len(value) > 3 && strings.Contains(r.stdout+r.stderr, value) {
			t.Errorf("the loader printed a value: %q", value)
		}
	}
	if lines := strings.Count(r.stdout, "\n"); lines != len(want) {
		t.Errorf("the loader printed %d lines, want one per parameter:\n%s", lines, r.stdout)
	}
	if !strings.Contains(r.stdout, "KEY_A SecureString key-a\n") {
		t.Errorf("the loader's report lacks NAME TYPE KEY for key-a:\n%s", r.stdout)
	}
	info, err := os.Stat(r.envFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the environment file has mode %v, want 0600", info.Mode().Perm())
	}
	if _, err := os.Stat(r.envFile + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left behind: %v", err)
	}
}

// TestLoaderNamesVariablesAsEnvNameDoes keeps the Go validation and the
// instance's loader in agreement, including for keys the stack never set.
func TestLoaderNamesVariablesAsEnvNameDoes(t *testing.T) {
	keys := []string{"db-host", "api.v2", "Mixed_Case", "nested/deeper/key", "x", "_u"}
	var params []map[string]string
	for _, k := range keys {
		params = append(params, map[string]string{"Name": "/p/s/c/" + k, "Type": "String", "Value": "v"})
	}
	r := runLoader(t, "/p/s/c", params)
	if r.exitCode != 0 {
		t.Fatalf("loader exited %d: %s", r.exitCode, r.stderr)
	}
	for _, k := range keys {
		if !strings.Contains(r.stdout, userdata.EnvName(k)+" String "+k+"\n") {
			t.Errorf("key %q: the loader did not name it %s:\n%s", k, userdata.EnvName(k), r.stdout)
		}
	}
}

// TestEnvReaderGivesBackWhatTheLoaderWrote: the words the boot script
// hands env(1) are the values, byte for byte, as sourcing the file gives
// them, and as many as the loader wrote.
func TestEnvReaderGivesBackWhatTheLoaderWrote(t *testing.T) {
	var params []map[string]string
	want := map[string]string{}
	for i, value := range append(hostile, "a=b=c", "ünïcödé ✓ 日本", "tab\there", "trailing newline\n\n", "'", "=") {
		key := "key-" + string(rune('a'+i))
		params = append(params, map[string]string{"Name": "/p/s/c/" + key, "Type": "String", "Value": value})
		want[userdata.EnvName(key)] = value
	}
	r := runLoader(t, "/p/s/c", params)
	if r.exitCode != 0 {
		t.Fatalf("loader exited %d: %s", r.exitCode, r.stderr)
	}
	out, err := exec.Command("python3", "-I", "-c", userdata.ParametersParams{}.EnvReader(), r.envFile).Output()
	if err != nil {
		t.Fatalf("the reader: %v", err)
	}
	words := strings.Split(string(out), "\x00")
	if last := words[len(words)-1]; last != "" {
		t.Fatalf("the reader's output does not end in NUL: %q", last)
	}
	words = words[:len(words)-1]
	if len(words) != len(want) {
		t.Errorf("the reader gave %d words for %d parameters", len(words), len(want))
	}
	for _, word := range words {
		name, value, _ := strings.Cut(word, "=")
		if value != want[name] {
			t.Errorf("the reader gave %s = %q, want %q", name, value, want[name])
		}
	}
}

func TestLoaderRefusesWhatNoVariableCanHold(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params []map[string]string
		want   []string
	}{
		{"two keys, one name", []map[string]string{
			{"Name": "/p/s/c/db-host", "Type": "String", "Value": "secret-one"},
			{"Name": "/p/s/c/DB_HOST", "Type": "String", "Value": "secret-two"},
		}, []string{"/p/s/c/DB_HOST", "/p/s/c/db-host", "both become the variable DB_HOST"}},
		{"digit first", []map[string]string{{"Name": "/p/s/c/1st", "Type": "String", "Value": "secret-one"}}, []string{"/p/s/c/1st", "starts with a digit"}},
		{"reserved", []map[string]string{{"Name": "/p/s/c/ld-preload", "Type": "String", "Value": "secret-one"}}, []string{"LD_PRELOAD", "reserved"}},
		{"a bash variable", []map[string]string{{"Name": "/p/s/c/funcnest", "Type": "String", "Value": "secret-one"}}, []string{"FUNCNEST", "reserved"}},
		{"a bash variable too", []map[string]string{{"Name": "/p/s/c/EXECIGNORE", "Type": "String", "Value": "secret-one"}}, []string{"EXECIGNORE", "reserved"}},
		{"NUL", []map[string]string{{"Name": "/p/s/c/k", "Type": "SecureString", "Value": "secret\x00one"}}, []string{"/p/s/c/k", "NUL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runLoader(t, "/p/s/c", tc.params)
			if r.exitCode == 0 {
				t.Fatalf("accepted; wrote %q", readFile(r.envFile))
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("error %q lacks %q", r.stderr, w)
				}
			}
			if strings.Contains(r.stdout+r.stderr, "secret") {
				t.Errorf("the error shows a value: %q", r.stderr)
			}
			if _, err := os.Stat(r.envFile); !os.IsNotExist(err) {
				t.Errorf("a refused load still wrote the environment file")
			}
		})
	}
}

func TestLoaderDoesNotQuoteUnreadableInput(t *testing.T) {
	emulator.RequireTool(t, "python3", "apt-get install python3")
	p := userdata.ParametersParams{Path: "/p/s/c"}
	cmd := exec.Command("python3", "-I", "-c", p.Loader(), "/p/s/c", filepath.Join(t.TempDir(), "env"), p.ReservedNames())
	cmd.Stdin = strings.NewReader(`{"Parameters": [{"Name": "/p/s/c/k", "Value": "hunter2-secret"`)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "cannot read the get-parameters-by-path output") || strings.Contains(string(out), "hunter2") {
		t.Errorf("truncated input: err %v, output %q; want a refusal that quotes nothing", err, out)
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
