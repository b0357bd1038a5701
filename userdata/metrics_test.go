package userdata_test

import (
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestAgentMetricsTheScriptCannotCarryAreRefused: the group's name and the
// disk paths land in the agent's JSON; each bad one is named.
func TestAgentMetricsTheScriptCannotCarryAreRefused(t *testing.T) {
	for _, tc := range []struct {
		m    userdata.AgentMetricsParams
		want string
	}{
		{userdata.AgentMetricsParams{GroupName: "", Memory: true}, `group name ""`},
		{userdata.AgentMetricsParams{GroupName: "g\"x", Memory: true}, "group name"},
		{userdata.AgentMetricsParams{GroupName: "g"}, "neither memory nor a disk"},
		{userdata.AgentMetricsParams{GroupName: "g", DiskPaths: []string{"data"}}, `disk path "data"`},
		{userdata.AgentMetricsParams{GroupName: "g", DiskPaths: []string{"/data/"}}, `disk path "/data/"`},
		{userdata.AgentMetricsParams{GroupName: "g", DiskPaths: []string{"/", "/"}}, `disk path "/"`},
	} {
		m := tc.m
		err := userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", AgentMetrics: &m}.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want it to say %s", tc.m, err, tc.want)
		}
	}
	ok := userdata.AgentMetricsParams{GroupName: "proj-dev-web", DiskPaths: []string{"/", "/srv/data"}, Memory: true}
	if err := (userdata.Params{AllocationID: "eipalloc-0123456789abcdef0", AgentMetrics: &ok}).Validate(); err != nil {
		t.Errorf("good metrics refused: %v", err)
	}
}

// TestAgentConfigWithoutLogsHasNoLogsSection: the agent's schema refuses
// an empty collect_list, so a metrics-only configuration has no logs
// section at all; with logs, both.
func TestAgentConfigWithoutLogsHasNoLogsSection(t *testing.T) {
	m := &userdata.AgentMetricsParams{GroupName: "g", Memory: true}
	only, err := userdata.AgentConfig(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(only, `"logs"`) || !strings.Contains(only, `"metrics"`) {
		t.Errorf("metrics only: %s", only)
	}
	both, err := userdata.AgentConfig(&userdata.LogsParams{LogGroupName: "/g"}, m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(both, `"logs"`) || !strings.Contains(both, `"metrics"`) {
		t.Errorf("logs and metrics: %s", both)
	}
}
