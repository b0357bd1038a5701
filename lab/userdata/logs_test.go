package userdata_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/agentschema"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func parseAgentConfig(t *testing.T, text string) agentschema.Config {
	t.Helper()
	c, err := agentschema.ParseConfig([]byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return c
}

func TestAgentConfigShipsTheBootLogCloudInitAndExtraFiles(t *testing.T) {
	l := userdata.LogsParams{LogGroupName: "/selfhealing/proj/dev/web", ExtraFiles: []string{"/var/log/app.log", "/srv/app/log/out.log", userdata.LogFile}}
	text, err := l.AgentConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := parseAgentConfig(t, text)
	if c.Agent.RunAsUser != "root" {
		t.Errorf("run_as_user = %q; the boot log is root's, mode 0600", c.Agent.RunAsUser)
	}
	var files []string
	for _, f := range c.Logs.LogsCollected.Files.CollectList {
		files = append(files, f.FilePath)
		if f.LogGroupName != l.LogGroupName {
			t.Errorf("%s goes to group %q, want %q", f.FilePath, f.LogGroupName, l.LogGroupName)
		}
		if f.LogStreamName != "{instance_id}"+f.FilePath {
			t.Errorf("%s goes to stream %q, want one per instance and file", f.FilePath, f.LogStreamName)
		}
		if strings.ContainsAny(strings.ReplaceAll(f.LogStreamName, "{instance_id}", ""), ":*") {
			t.Errorf("stream name %q holds a character CloudWatch Logs refuses", f.LogStreamName)
		}
	}
	want := []string{"/var/log/selfhealing-boot.log", "/var/log/cloud-init-output.log", "/var/log/app.log", "/srv/app/log/out.log"}
	if !slices.Equal(files, want) {
		t.Errorf("files = %v, want %v (defaults first, the repeat dropped)", files, want)
	}
	if strings.Contains(text, "retention_in_days") || strings.Contains(text, "metrics") {
		t.Errorf("the agent would set retention or send metrics, which its role may not: %s", text)
	}
}

func TestAgentConfigWithoutExtraFiles(t *testing.T) {
	text, err := userdata.LogsParams{LogGroupName: "g"}.AgentConfig()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(parseAgentConfig(t, text).Logs.LogsCollected.Files.CollectList); n != 2 {
		t.Errorf("%d files collected, want the boot log and cloud-init's", n)
	}
}
