package agentschema_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/agentschema"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestTheValidatorAgreesWithTheAgentsOwnSamples: the agent's repository
// keeps configurations its schema must accept and refuse; ours must say
// the same of them, or it is not the agent's contract we check.
func TestTheValidatorAgreesWithTheAgentsOwnSamples(t *testing.T) {
	for file, valid := range map[string]bool{
		"sample-validLogFiles.json":                       true,
		"sample-invalidLogFilesWithMissingFilePath.json":  false,
		"sample-invalidLogFilesWithNoFileConfigured.json": false,
		"sample-invalidLogFilesWithDuplicateEntry.json":   false,
	} {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		err = agentschema.Validate(b)
		if valid && err != nil {
			t.Errorf("%s: refused, but the agent accepts it: %v", file, err)
		}
		if !valid && err == nil {
			t.Errorf("%s: accepted, but the agent refuses it", file)
		}
	}
}

const good = `{"agent":{"run_as_user":"root"},"logs":{"logs_collected":{"files":{"collect_list":[` +
	`{"file_path":"/var/log/selfhealing-boot.log","log_group_name":"/selfhealing/p/s/c","log_stream_name":"{instance_id}/var/log/selfhealing-boot.log"}]}}}}`

// TestABrokenConfigurationIsRefused: the check can fail. Each of these
// breaks the good configuration in one way the agent's schema forbids.
func TestABrokenConfigurationIsRefused(t *testing.T) {
	if err := agentschema.Validate([]byte(good)); err != nil {
		t.Fatalf("the good configuration is refused: %v", err)
	}
	for name, broken := range map[string]string{
		"file_path a number":           strings.Replace(good, `"file_path":"/var/log/selfhealing-boot.log"`, `"file_path":42`, 1),
		"collect_list an object":       strings.Replace(strings.Replace(good, `"collect_list":[`, `"collect_list":`, 1), `}]}}}}`, `}}}}}`, 1),
		"no file collected":            `{"logs":{"logs_collected":{"files":{"collect_list":[]}}}}`,
		"an unknown field in an entry": strings.Replace(good, `"log_stream_name"`, `"log_stream"`, 1),
		"an empty group name":          strings.Replace(good, `"/selfhealing/p/s/c"`, `""`, 1),
		"a stream name over 512":       strings.Replace(good, `"{instance_id}/var/log/selfhealing-boot.log"`, `"`+strings.Repeat("x", 513)+`"`, 1),
		"logs_collected misspelt":      strings.Replace(good, `"logs_collected"`, `"log_collected"`, 1),
		"not JSON":                     good[:len(good)-1],
	} {
		if err := agentschema.Validate([]byte(broken)); err == nil {
			t.Errorf("%s: accepted:\n%s", name, broken)
		} else {
			t.Logf("%s: refused: %v", name, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
}

// TestConfigFromBootScriptRunsTheScriptsOwnFunction: the configuration
// comes from the rendered script, run with bash, and lands where the
// script says, with what the script wrote.
func TestConfigFromBootScriptRunsTheScriptsOwnFunction(t *testing.T) {
	agentschema.RequireRoot(t)
	p := userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0",
		Logs: &userdata.LogsParams{LogGroupName: "/selfhealing/p/s/c", ExtraFiles: []string{"/var/log/app.log"}}}
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	root := emulator.InstanceRoot(t.TempDir())
	h, err := agentschema.ConfigFromBootScript(context.Background(), root, script)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := p.Logs.AgentConfig()
	if string(h.Config) != want+"\n" {
		t.Errorf("handed %q, want %q", h.Config, want)
	}
	if h.Path != userdata.CloudWatchAgentConfigFile || root.ReadFile(h.Path) != string(h.Config) {
		t.Errorf("handed %s; want %s, left on the instance with the same contents", h.Path, userdata.CloudWatchAgentConfigFile)
	}
	if h.Args != "-a fetch-config -m ec2 -s -c file:"+userdata.CloudWatchAgentConfigFile {
		t.Errorf("amazon-cloudwatch-agent-ctl %s", h.Args)
	}
	// Without the logs section there is nothing to run: an error, not an
	// empty configuration.
	p.Logs = nil
	script, err = userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agentschema.ConfigFromBootScript(context.Background(), root, script); err == nil {
		t.Error("a script without the logs section gave a configuration")
	}
}
