package userdata

import (
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/testtool"
)

// shellcheckArgs are the options every shellcheck run of the boot script
// uses: every severity down to style, plus the optional checks that catch
// a missing default case and unquoted-looking variables.
var shellcheckArgs = []string{"-S", "style", "-o", "add-default-case,quote-safe-variables,require-double-brackets"}

// staticFiles returns the names of the files in sh/.
func staticFiles(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(shFiles, "sh/*.sh")
	if err != nil || len(names) == 0 {
		t.Fatalf("no files in sh/: %v", err)
	}
	for i, name := range names {
		names[i] = strings.TrimPrefix(name, "sh/")
	}
	return names
}

// TestStaticFilesPassBashAndShellcheck checks each file in sh/ as the file
// it is, as a shell programmer would: bash -n, and shellcheck with the
// options the rendered script is checked with, and sh/.shellcheckrc, which
// shellcheck finds beside the files.
func TestStaticFilesPassBashAndShellcheck(t *testing.T) {
	testtool.RequireTool(t, "bash", "apt-get install bash")
	testtool.RequireTool(t, "shellcheck", "apt-get install shellcheck")
	for _, name := range staticFiles(t) {
		path := filepath.Join("sh", name)
		text, err := shFiles.ReadFile("sh/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(text), "# shellcheck shell=bash\n") {
			t.Errorf("%s does not start with \"# shellcheck shell=bash\"", path)
		}
		if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", path, err, out)
		}
		if out, err := exec.Command("shellcheck", append(slices.Clone(shellcheckArgs), path)...).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", path, err, out)
		}
	}
}

// allOn turns on every feature.
func allOn() Params {
	return Params{
		AllocationID: "eipalloc-0123456789abcdef0",
		UserScript:   "#!/bin/bash\necho \"$HOME\"\n",
		DataVolume:   &DataVolumeParams{VolumeID: "vol-0123456789abcdef0", DeviceName: "/dev/sdf", MountPath: "/data", FSType: "ext4", WaitSeconds: 300, ForceDetach: true, MayFormat: true},
		LaunchGate:   &LaunchGateParams{HookName: "launch-gate", TimeoutSeconds: 900},
		GroupName:    "proj-dev-web",
		HealthCheck:  &HealthCheckParams{URL: "http://localhost:8080/", ExpectedStatus: 200, IntervalSeconds: 20, TimeoutSeconds: 5, FailureThreshold: 3},
		Logs:         &LogsParams{LogGroupName: "/selfhealing/proj/dev/web", ExtraFiles: []string{"/var/log/app.log"}},
		HTTPS:        &HTTPSParams{DomainName: "app.example.com", Email: "ops@example.com", AppPort: 8080, CertDir: "/data/.selfhealing/tls", Staging: true},
		Parameters:   &ParametersParams{Path: "/proj/dev/web"},
		AgentMetrics: &AgentMetricsParams{DiskPaths: []string{"/", "/data"}, Memory: true},
		NetworkInterface: &NetworkInterfaceParams{
			InterfaceID: "eni-0123456789abcdef0", WaitSeconds: 300, ForceDetach: true,
		},
		Handover:  &HandoverParams{HookName: "handover", StopScript: "systemctl stop app\n", StopTimeoutSeconds: 60},
		WarmWatch: true,
	}
}

// TestScriptIsTheHeaderThenTheStaticFiles: what Render returns is the
// generated header, then files of sh/ as they are, less their comment
// lines and indentation; every file is in the script with every feature
// on, and common.sh and main.sh in every script.
func TestScriptIsTheHeaderThenTheStaticFiles(t *testing.T) {
	for _, p := range []Params{{AllocationID: "eipalloc-0123456789abcdef0", GroupName: "proj-dev-web"}, allOn()} {
		script, err := Render(p)
		if err != nil {
			t.Fatal(err)
		}
		head := header(p)
		rest, found := strings.CutPrefix(script, head)
		if !found {
			t.Fatalf("the script does not start with its header")
		}
		var want strings.Builder
		for _, name := range scriptFiles(p) {
			text, _ := shFiles.ReadFile("sh/" + name)
			want.WriteString(compact("\n" + strings.TrimPrefix(string(text), "# shellcheck shell=bash\n")))
		}
		if rest != want.String() {
			t.Errorf("after its header, the script is not the static files")
		}
		files := scriptFiles(p)
		if files[0] != "common.sh" || files[len(files)-1] != "main.sh" {
			t.Errorf("the files are %v; want common.sh first and main.sh last", files)
		}
	}
	if got, want := scriptFiles(allOn()), staticFiles(t); !sameSet(got, want) {
		t.Errorf("with every feature on, the script has %v; sh/ has %v", got, want)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestHeaderFlagsSayWhichFeaturesAreOn: every feature's flag is in the
// header, 1 when the feature is on and 0 when it is off, and the header
// is nothing but readonly assignments (and shellcheck directives).
func TestHeaderFlagsSayWhichFeaturesAreOn(t *testing.T) {
	testtool.RequireTool(t, "bash", "apt-get install bash")
	flags := []string{"with_data_volume", "with_launch_gate", "with_health_check", "with_logs", "with_agent_metrics", "with_https", "with_parameters", "with_network_interface", "with_handover"}
	for _, tc := range []struct {
		p    Params
		want string
	}{{Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0"}, strings.TrimSpace(strings.Repeat("0 ", len(flags)))}, {allOn(), strings.TrimSpace(strings.Repeat("1 ", len(flags)))}} {
		head := header(tc.p)
		// Run alone, the header only assigns: bash prints nothing but the
		// flags echoed after it.
		out, err := exec.Command("bash", "-c", head+"\nset -u; echo "+"$"+strings.Join(flags, " $")).Output()
		if err != nil {
			t.Fatalf("bash rejects the header: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("flags %v = %s, want %s", flags, got, tc.want)
		}
		for _, line := range strings.Split(strings.TrimSuffix(head, "\n"), "\n")[1:] {
			if line != HeaderEnd && !strings.HasPrefix(line, "readonly ") && !strings.HasPrefix(line, "# shellcheck disable=") && !isInsideValue(head, line) {
				t.Errorf("a header line is not an assignment: %q", line)
			}
		}
	}
}

// isInsideValue reports whether line is part of a quoted value that spans
// lines, such as a user script or an nginx configuration.
func isInsideValue(head, line string) bool {
	i := strings.Index(head, "\n"+line+"\n")
	if i < 0 {
		return true // the first or last line, checked by its prefix anyway
	}
	// An odd number of single quotes before the line, outside '\''
	// escapes, means it is inside one.
	before := strings.ReplaceAll(head[:i], `'\''`, "")
	return strings.Count(before, "'")%2 == 1
}

// TestCompactKeepsWhatBashReads: dropping the files' comment lines and
// indentation changes nothing bash runs. Each file, as it is and
// compacted, becomes the body of a function, and bash prints both
// functions the same (declare -f prints what bash parsed, in its own
// layout, heredocs and quoted strings verbatim).
func TestCompactKeepsWhatBashReads(t *testing.T) {
	testtool.RequireTool(t, "bash", "apt-get install bash")
	parsed := func(body string) string {
		out, err := exec.Command("bash", "-c", "f() {\n"+body+"\n}\ndeclare -f f").CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return string(out)
	}
	for _, name := range staticFiles(t) {
		text, _ := shFiles.ReadFile("sh/" + name)
		if parsed(string(text)) != parsed(compact(string(text))) {
			t.Errorf("bash reads sh/%s differently compacted", name)
		}
	}
}

// TestStaticRetryWindowIsRetryWindowSeconds: common.sh bounds each step's
// retries by the package's RetryWindowSeconds.
func TestStaticRetryWindowIsRetryWindowSeconds(t *testing.T) {
	text, _ := shFiles.ReadFile("sh/common.sh")
	if !strings.Contains(string(text), " retry_window_seconds="+strconv.Itoa(RetryWindowSeconds)+"\n") {
		t.Errorf("sh/common.sh does not set retry_window_seconds=%d", RetryWindowSeconds)
	}
}
