package tests

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
	"github.com/selfhealing-dev/selfhealing/program"
)

// runAsEngine runs program.Run, main.go's body, the way `pulumi up` runs it
// through the Go language host: the stack's configuration, with overrides,
// reaches the program only in PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS,
// serialized as the engine does it (strings raw, everything else as JSON,
// which is what stackconfig.Load produces).
func runAsEngine(t *testing.T, cfg *stackconfig.Stack, overrides map[string]string) (*fake.Monitor, error) {
	t.Helper()
	config := maps.Clone(cfg.Config)
	maps.Copy(config, overrides)
	t.Setenv(pulumi.EnvConfig, mustJSON(t, config))
	t.Setenv(pulumi.EnvConfigSecretKeys, mustJSON(t, append([]string{}, cfg.SecretKeys...)))
	monitor := fake.NewMonitor(fake.NewAccount(config["aws:region"]))
	err := pulumi.RunErr(program.Run, pulumi.WithMocks(cfg.Project, cfg.Name, monitor))
	return monitor, err
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// registeredByProgram lists what the program registered: everything but the
// stack resource, which the SDK registers before the program starts.
func registeredByProgram(m *fake.Monitor) []string {
	var out []string
	for _, r := range m.Resources() {
		if r.Type != "pulumi:pulumi:Stack" {
			out = append(out, r.Type+" "+r.Name)
		}
	}
	return out
}

func TestAMisspelledKeyFailsBeforeAnyResource(t *testing.T) {
	cfg := loadDev(t)
	for _, tc := range []struct {
		name      string
		overrides map[string]string
		want      []string
	}{
		{"wrong case", map[string]string{"selfhealing:datavolume": `{"sizeGiB":20}`},
			[]string{"config selfhealing:datavolume: unknown key", "did you mean selfhealing:dataVolume?"}},
		{"one letter short", map[string]string{"selfhealing:instanceTyp": "t3.small"},
			[]string{"config selfhealing:instanceTyp: unknown key", "did you mean selfhealing:instanceType?"}},
		{"unit left off", map[string]string{"selfhealing:launchGateTimeout": "1200"},
			[]string{"config selfhealing:launchGateTimeout: unknown key", "did you mean selfhealing:launchGateTimeoutSeconds?"}},
		{"nothing close", map[string]string{"selfhealing:colour": "blue"},
			[]string{"config selfhealing:colour: unknown key; want one of instanceType, amiId,"}},
		{"nested field", map[string]string{"selfhealing:dataVolume": `{"sizeGiB":8,"mountpath":"/srv/data"}`},
			[]string{`config selfhealing:dataVolume: unknown field "mountpath"; did you mean mountPath?`}},
		{"nested field in a list", map[string]string{"selfhealing:ingress": `[{"protocol":"tcp","fromPort":80,"toPort":80,"cidrBlock":["0.0.0.0/0"]}]`},
			[]string{`config selfhealing:ingress[0]: unknown field "cidrBlock"; did you mean cidrBlocks?`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			monitor, err := runAsEngine(t, cfg, tc.overrides)
			if err == nil {
				t.Fatalf("accepted %v", tc.overrides)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if got := registeredByProgram(monitor); len(got) > 0 {
				t.Errorf("registered %v despite the bad key", got)
			}
		})
	}
}

func TestKeysOfOtherNamespacesAreLeftAlone(t *testing.T) {
	cfg := loadDev(t)
	if cfg.Config["aws:region"] == "" {
		t.Fatal("the dev stack sets no aws:region; the test needs one")
	}
	monitor, err := runAsEngine(t, cfg, map[string]string{"myprovider:foo": "bar", "aws:skipMetadataApiCheck": "true"})
	if err != nil {
		t.Fatalf("keys of other namespaces were refused: %v", err)
	}
	if len(monitor.ByType("aws:autoscaling/group:Group")) != 1 {
		t.Error("the program ran but created no Auto Scaling group")
	}
}

// A caller that hands the program its configuration itself (an Automation
// API inline program, a test under mocks) does not set PULUMI_CONFIG; the
// program cannot list the keys, so it refuses rather than check only the
// keys it knows.
func TestRunRefusesWhenItCannotSeeTheKeys(t *testing.T) {
	cfg := loadDev(t)
	t.Setenv(pulumi.EnvConfig, "")
	monitor := fake.NewMonitor(fake.NewAccount(cfg.Config["aws:region"]))
	err := pulumi.RunErr(program.Run, pulumi.WithMocks(cfg.Project, cfg.Name, monitor), func(info *pulumi.RunInfo) {
		info.Config = cfg.Config
	})
	if err == nil || !strings.Contains(err.Error(), "PULUMI_CONFIG") || !strings.Contains(err.Error(), "program.RunWithConfigKeys") {
		t.Errorf("error %v; want a refusal naming PULUMI_CONFIG and program.RunWithConfigKeys", err)
	}
	if got := registeredByProgram(monitor); len(got) > 0 {
		t.Errorf("registered %v without checking the keys", got)
	}
}
func TestRunWithConfigKeysChecksTheKeysItIsGiven(t *testing.T) {
	cfg := loadDev(t)
	config := maps.Clone(cfg.Config)
	config["selfhealing:instanceTyp"] = "t3.small"
	run := func(keys []string) error {
		monitor := fake.NewMonitor(fake.NewAccount(cfg.Config["aws:region"]))
		return pulumi.RunErr(program.RunWithConfigKeys(keys), pulumi.WithMocks(cfg.Project, cfg.Name, monitor), func(info *pulumi.RunInfo) {
			info.Config = config
		})
	}
	if err := run(slices.Sorted(maps.Keys(config))); err == nil || !strings.Contains(err.Error(), "did you mean selfhealing:instanceType?") {
		t.Errorf("all keys: error %v; want the misspelled key refused", err)
	}
	// A list that leaves out a key the configuration sets is no list of
	// all the keys: refused, as the program cannot trust it.
	err := run([]string{"aws:region", "selfhealing:instanceTyp"})
	if err == nil || !strings.Contains(err.Error(), "selfhealing:dataVolume") || !strings.Contains(err.Error(), "not among the keys") {
		t.Errorf("partial keys: error %v; want it to name selfhealing:dataVolume as missing from the keys", err)
	}
}
