package components_test

import (
	"context"
	"fmt"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/deploytest"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/lab/internal/agentschema"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestLogGroupPolicyAndAgentConfigNameTheSameThings reads the stack and the
// agent configuration together, for every logs option (retention, key,
// extra files) with and without HTTPS and a data volume: the group the
// agent ships to is the log group the stack creates; every stream is
// "{instance_id}<file>", one per file; the instance role may create those
// streams and put events in them, in that group and no other; and the
// configuration meets the agent's own schema.
func TestLogGroupPolicyAndAgentConfigNameTheSameThings(t *testing.T) {
	agentschema.RequireRoot(t)
	type logsCase struct {
		name string
		args components.LogsArgs
	}
	logsCases := []logsCase{
		{"defaults", components.LogsArgs{RetentionDays: pulumi.IntRef(0)}},
		{"retention", components.LogsArgs{RetentionDays: pulumi.IntRef(14)}},
		{"key", components.LogsArgs{RetentionDays: pulumi.IntRef(0), KMSKeyARN: pulumi.String(logsKeyARN)}},
		{"extra files", components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: []string{"/var/log/app.log", "/srv/app/log/out.log"}}},
		{"everything", components.LogsArgs{RetentionDays: pulumi.IntRef(3653), KMSKeyARN: pulumi.String(logsKeyARN), ExtraFiles: []string{"/var/log/app.log"}}},
	}
	others := map[string]func(*components.SelfHealingInstanceArgs){
		"alone": func(*components.SelfHealingInstanceArgs) {},
		"https": func(a *components.SelfHealingInstanceArgs) {
			h := testHTTPS
			a.HTTPS, a.DNS = &h, &testHTTPSDNS
		},
		"data volume": func(a *components.SelfHealingInstanceArgs) {
			a.DataVolume = &components.DataVolumeArgs{SizeGiB: 5}
		},
	}
	for _, lc := range logsCases {
		for otherName, set := range others {
			t.Run(lc.name+"/"+otherName, func(t *testing.T) {
				l := lc.args
				args := &components.SelfHealingInstanceArgs{Logs: &l}
				set(args)
				var account *fake.Account
				d := mustDeploy(t, args, func(a *fake.Account) { account = a })

				// The stack: the one log group, and its name.
				group := deploytest.Inputs(d.One(typeLogGroup))
				groupName, _ := group["name"].(string)
				if groupName != components.LogGroupName(testProject, testStack, testName) {
					t.Fatalf("log group %q, want %q", groupName, components.LogGroupName(testProject, testStack, testName))
				}
				if group["retentionInDays"] != float64(*l.RetentionDays) {
					t.Errorf("retentionInDays = %v, want %d", group["retentionInDays"], *l.RetentionDays)
				}

				// The agent configuration the boot script hands over.
				h, err := agentschema.ConfigFromBootScript(context.Background(), emulator.InstanceRoot(t.TempDir()), d.BootScript())
				if err != nil {
					t.Fatal(err)
				}
				if err := agentschema.Validate(h.Config); err != nil {
					t.Errorf("the agent's schema refuses the configuration: %v\n%s", err, h.Config)
				}
				c, err := agentschema.ParseConfig(h.Config)
				if err != nil {
					t.Fatal(err)
				}
				var files, streams []string
				for _, f := range c.Logs.LogsCollected.Files.CollectList {
					files = append(files, f.FilePath)
					streams = append(streams, f.LogStreamName)
					if f.LogGroupName != groupName {
						t.Errorf("the agent ships %s to %q, but the stack's log group is %q", f.FilePath, f.LogGroupName, groupName)
					}
					if f.LogStreamName != "{instance_id}"+f.FilePath {
						t.Errorf("%s goes to stream %q, want {instance_id}%s", f.FilePath, f.LogStreamName, f.FilePath)
					}
				}
				want := append([]string{userdata.LogFile, userdata.CloudInitOutputLog}, l.ExtraFiles...)
				if !slices.Equal(files, want) {
					t.Errorf("the agent ships %v, want %v", files, want)
				}
				if len(slices.Compact(slices.Sorted(slices.Values(streams)))) != len(streams) {
					t.Errorf("two files share a stream: %v", streams)
				}

				// The policy: the agent's calls, on this group and its
				// streams, where a stream's ARN is
				// <group ARN>:log-stream:<name>.
				st := deploytest.Statement(t, d.RolePolicy(), "ShipLogsToThisLogGroup")
				groupARN := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", account.Partition, account.Region, account.AccountID, groupName)
				if !slices.Equal(st.Resource, []string{groupARN, groupARN + ":*"}) {
					t.Errorf("the logs statement is on %v, want %s and %s:*", st.Resource, groupARN, groupARN)
				}
				for _, stream := range streams {
					arn := groupARN + ":log-stream:" + strings.ReplaceAll(stream, "{instance_id}", "i-0123456789abcdef0")
					if !slices.ContainsFunc(st.Resource, func(r string) bool { return arnMatches(r, arn) }) {
						t.Errorf("no resource of the logs statement covers stream %s", arn)
					}
					other := strings.Replace(arn, groupName, groupName+"-other", 1)
					if slices.ContainsFunc(st.Resource, func(r string) bool { return arnMatches(r, other) }) {
						t.Errorf("the logs statement covers another group's stream %s", other)
					}
				}
				for _, action := range []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"} {
					if !slices.Contains(st.Action, action) {
						t.Errorf("the agent calls %s, which the logs statement does not allow: %v", action, st.Action)
					}
				}
				if slices.Contains(st.Action, "logs:CreateLogGroup") || slices.Contains(st.Action, "logs:PutRetentionPolicy") {
					t.Errorf("the role may create groups or set retention, which the stack owns: %v", st.Action)
				}
			})
		}
	}
}

// arnMatches reports whether an IAM resource pattern, whose only wildcard
// here is a trailing "*", matches arn.
func arnMatches(pattern, arn string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(arn, prefix)
	}
	return pattern == arn
}

func TestARNMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:logs:r:1:log-group:/g:*", "arn:aws:logs:r:1:log-group:/g:log-stream:i-1/var/log/x", true},
		{"arn:aws:logs:r:1:log-group:/g", "arn:aws:logs:r:1:log-group:/g:log-stream:i-1/var/log/x", false},
		{"arn:aws:logs:r:1:log-group:/g:*", "arn:aws:logs:r:1:log-group:/g-other:log-stream:i-1/var/log/x", false},
	} {
		if got := arnMatches(tc.pattern, tc.arn); got != tc.want {
			t.Errorf("arnMatches(%q, %q) = %v", tc.pattern, tc.arn, got)
		}
	}
}
