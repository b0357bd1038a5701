package userdata_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/agentschema"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The agent configuration is checked against the CloudWatch agent's own
// schema (internal/agentschema), as the rendered boot script hands it to
// amazon-cloudwatch-agent-ctl: the script's own function runs with bash and
// a stand-in ctl keeps the file it is told to fetch. Nothing here rebuilds
// the configuration in Go.

// logsSchemaVariants are every way the logs parameters change the agent's
// configuration: the group's name (short, and the longest the script
// accepts) and ExtraFiles (none; one; the component's maximum of 20; the
// longest path the component accepts, whose stream name is then the
// longest).
func logsSchemaVariants() map[string]*userdata.LogsParams {
	twenty := make([]string, 20)
	for i := range twenty {
		twenty[i] = fmt.Sprintf("/srv/app/log/part-%02d.log", i)
	}
	longPath := "/var/log/" + strings.Repeat("a", 490-len("/var/log/"))
	return map[string]*userdata.LogsParams{
		"no extra files":                           {LogGroupName: "/selfhealing/proj/dev/web"},
		"one extra file":                           {LogGroupName: "/selfhealing/proj/dev/web", ExtraFiles: []string{"/var/log/app.log"}},
		"twenty extra files":                       {LogGroupName: "/selfhealing/proj/dev/web", ExtraFiles: twenty},
		"the longest path":                         {LogGroupName: "/selfhealing/proj/dev/web", ExtraFiles: []string{longPath}},
		"the longest group name (512)":             {LogGroupName: "/" + strings.Repeat("g", 511), ExtraFiles: []string{"/var/log/app.log"}},
		"group name with dot underscore dash hash": {LogGroupName: "/selfhealing/my_proj.v2/dev-1/web#a"},
	}
}

// withOtherSections are the other options, each of which changes the
// script around the logs section: the data volume, HTTPS (nginx and
// certbot, whose logs the component does not ship), parameters, the launch
// gate with the failure report, and the health check.
func withOtherSections() map[string]func(*userdata.Params) {
	https := testHTTPS
	return map[string]func(*userdata.Params){
		"alone": func(*userdata.Params) {},
		"data volume": func(p *userdata.Params) {
			p.DataVolume = &userdata.DataVolumeParams{VolumeID: "vol-0123456789abcdef0", DeviceName: "/dev/sdf", MountPath: "/data", FSType: "xfs", WaitSeconds: 60, MayFormat: true}
		},
		"https":      func(p *userdata.Params) { p.HTTPS = &https },
		"parameters": func(p *userdata.Params) { p.Parameters = testParameters },
		"gate and report and health check": func(p *userdata.Params) {
			p.LaunchGate = &userdata.LaunchGateParams{HookName: "proj-dev-web-launch", TimeoutSeconds: 600}
			p.HealthCheck = goodURLCheck()
		},
		"every option": func(p *userdata.Params) {
			p.DataVolume = &userdata.DataVolumeParams{VolumeID: "vol-0123456789abcdef0", DeviceName: "/dev/sdf", MountPath: "/data", FSType: "xfs", WaitSeconds: 60, MayFormat: true}
			h := https
			h.CertDir = "/data/.selfhealing/tls"
			p.HTTPS = &h
			p.Parameters = testParameters
			p.LaunchGate = &userdata.LaunchGateParams{HookName: "proj-dev-web-launch", TimeoutSeconds: 600}
			p.HealthCheck = goodURLCheck()
		},
	}
}

// handedConfig renders p and returns the agent configuration its script
// hands the agent.
func handedConfig(t *testing.T, p userdata.Params) agentschema.Handed {
	t.Helper()
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	h, err := agentschema.ConfigFromBootScript(context.Background(), emulator.InstanceRoot(t.TempDir()), script)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestLogsAgentConfigMeetsTheAgentsSchema: every logs variant, alone and
// with every other option, hands the agent a configuration its schema
// accepts, naming the group, one stream per instance and file, and every
// file the script says it ships.
func TestLogsAgentConfigMeetsTheAgentsSchema(t *testing.T) {
	agentschema.RequireRoot(t)
	checked := 0
	for logsName, logs := range logsSchemaVariants() {
		for otherName, set := range withOtherSections() {
			t.Run(logsName+"/"+otherName, func(t *testing.T) {
				p := userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: "systemctl start app", Logs: logs}
				set(&p)
				h := handedConfig(t, p)
				if err := agentschema.Validate(h.Config); err != nil {
					t.Fatalf("the agent's schema refuses the configuration: %v\n%s", err, h.Config)
				}
				c := parseAgentConfig(t, string(h.Config))
				var files []string
				for _, f := range c.Logs.LogsCollected.Files.CollectList {
					files = append(files, f.FilePath)
					if f.LogGroupName != logs.LogGroupName || f.LogStreamName != "{instance_id}"+f.FilePath {
						t.Errorf("%s goes to %s / %s; want %s / {instance_id}%s", f.FilePath, f.LogGroupName, f.LogStreamName, logs.LogGroupName, f.FilePath)
					}
				}
				if want := logs.LogFiles(); !slices.Equal(files, want) {
					t.Errorf("ships %v, want %v", files, want)
				}
				checked++
			})
		}
	}
	t.Logf("%d configurations, each from a rendered script run with bash, meet the agent's schema", checked)
}

// TestLogsSchemaCheckRefusesABrokenRenderedConfig: the same path, from a
// rendered script run with bash to the validator, refuses a script whose
// configuration has a field of the wrong type or a misspelt one: the check
// above can fail.
func TestLogsSchemaCheckRefusesABrokenRenderedConfig(t *testing.T) {
	agentschema.RequireRoot(t)
	p := userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", Logs: testLogs}
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, breakIt := range map[string][2]string{
		"file_path a number":       {`"file_path":"/var/log/app.log"`, `"file_path":42`},
		"log_stream_name misspelt": {`"log_stream_name":`, `"log_stream":`},
		"collect_list empty":       {`"collect_list":[`, `"collect_list":[],"x":[`},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(script, breakIt[0]) {
				t.Fatalf("the rendered script lacks %s", breakIt[0])
			}
			broken := strings.Replace(script, breakIt[0], breakIt[1], 1)
			h, err := agentschema.ConfigFromBootScript(context.Background(), emulator.InstanceRoot(t.TempDir()), broken)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(h.Config), breakIt[1]) {
				t.Fatalf("the broken script handed %s", h.Config)
			}
			if err := agentschema.Validate(h.Config); err == nil {
				t.Errorf("the agent's schema accepts the broken configuration:\n%s", h.Config)
			}
		})
	}
}

// TestLogsAgentConfigIsOneJSONDocument: the handed file is one JSON
// document, nothing after it, as the agent reads it.
func TestLogsAgentConfigIsOneJSONDocument(t *testing.T) {
	agentschema.RequireRoot(t)
	h := handedConfig(t, userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", Logs: testLogs})
	dec := json.NewDecoder(strings.NewReader(string(h.Config)))
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Errorf("more than one JSON document in %s", h.Config)
	}
}
