package userdata_test

import (
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestAgentMetricsTheScriptCannotCarryAreRefused: the disk paths land in
// the agent's JSON; each bad one is named.
func TestAgentMetricsTheScriptCannotCarryAreRefused(t *testing.T) {
	for _, tc := range []struct {
		m    userdata.AgentMetricsParams
		want string
	}{
		{userdata.AgentMetricsParams{}, "neither memory nor a disk"},
		{userdata.AgentMetricsParams{DiskPaths: []string{"data"}}, `disk path "data"`},
		{userdata.AgentMetricsParams{DiskPaths: []string{"/data/"}}, `disk path "/data/"`},
		{userdata.AgentMetricsParams{DiskPaths: []string{"/", "/"}}, `disk path "/"`},
	} {
		m := tc.m
		err := userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", GroupName: "proj-dev-web", AgentMetrics: &m}.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want it to say %s", tc.m, err, tc.want)
		}
	}
	ok := userdata.AgentMetricsParams{DiskPaths: []string{"/", "/srv/data"}, Memory: true}
	if err := (userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", GroupName: "proj-dev-web", AgentMetrics: &ok}).Validate(); err != nil {
		t.Errorf("good metrics refused: %v", err)
	}
}

// TestAgentConfigWithoutLogsHasNoLogsSection: the agent's schema refuses
// an empty collect_list, so a metrics-only configuration has no logs
// section at all; with logs, both.
func TestAgentConfigWithoutLogsHasNoLogsSection(t *testing.T) {
	m := &userdata.AgentMetricsParams{Memory: true}
	only, err := userdata.Params{GroupName: "g", AgentMetrics: m}.AgentConfig()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(only, `"logs"`) || !strings.Contains(only, `"metrics"`) {
		t.Errorf("metrics only: %s", only)
	}
	both, err := userdata.Params{GroupName: "g", Logs: &userdata.LogsParams{LogGroupName: "/g"}, AgentMetrics: m}.AgentConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(both, `"logs"`) || !strings.Contains(both, `"metrics"`) {
		t.Errorf("logs and metrics: %s", both)
	}
}

// TestGroupNameIsOneRuleForEveryUse: the group's name, which the launch
// gate, the hand-over, the failure report and the agent's metrics all use,
// is given once and checked once, and the script and the agent's JSON
// carry it as given.
func TestGroupNameIsOneRuleForEveryUse(t *testing.T) {
	for _, name := range []string{"", "g\"x", "a\tb", "with space", strings.Repeat("g", 256)} {
		err := userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", GroupName: name}.Validate()
		if err == nil || !strings.Contains(err.Error(), "groupName") {
			t.Errorf("group name %q: err = %v, want it refused, naming groupName", name, err)
		}
	}
	p := userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", GroupName: strings.Repeat("g", 255),
		AgentMetrics: &userdata.AgentMetricsParams{Memory: true}}
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatalf("a 255-character name: %v", err)
	}
	if !strings.Contains(script, "group_name='"+p.GroupName+"'") {
		t.Errorf("the script does not carry group_name once, as given")
	}
	config, err := p.AgentConfig()
	if err != nil || !strings.Contains(config, `"AutoScalingGroupName":"`+p.GroupName+`"`) {
		t.Errorf("the agent's metrics do not carry the group's name: %s, %v", config, err)
	}
}
