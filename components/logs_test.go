package components_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

const (
	typeLogGroup  = "aws:cloudwatch/logGroup:LogGroup"
	testLogGroup  = "/selfhealing/proj/test/bastion"
	logGroupARN   = "arn:aws:logs:eu-west-1:123456789012:log-group:" + testLogGroup
	logsKeyARN    = "arn:aws:kms:eu-west-1:123456789012:key/1111bbbb-12ab-34cd-56ef-1234567890ab"
	logsAgentJSON = `{"agent":{"run_as_user":"root"}`
)

func withLogs(l components.LogsArgs) *components.SelfHealingInstanceArgs {
	return &components.SelfHealingInstanceArgs{Logs: &l}
}

func TestLogGroupOutlivesTheInstanceWithItsRetention(t *testing.T) {
	d := mustDeploy(t, withLogs(components.LogsArgs{RetentionDays: pulumi.IntRef(30), ExtraFiles: []string{"/var/log/app.log"}, KMSKeyARN: pulumi.String(logsKeyARN)}))
	group := d.One(typeLogGroup)
	in := inputs(group)
	if in["name"] != testLogGroup || in["retentionInDays"] != 30.0 || in["kmsKeyId"] != logsKeyARN {
		t.Errorf("log group = %v, want %s, 30 days, key %s", in, testLogGroup, logsKeyARN)
	}
	if path(in, "tags", "Name") != "proj-test-bastion" {
		t.Errorf("log group tags = %v", in["tags"])
	}
	if !slices.Contains(d.One("aws:autoscaling/group:Group").Dependencies, group.URN) {
		t.Errorf("the group does not wait for the log group its first instance writes to")
	}
}

func TestLogsNeverExpireAtZero(t *testing.T) {
	in := inputs(mustDeploy(t, withLogs(components.LogsArgs{RetentionDays: pulumi.IntRef(0)})).One(typeLogGroup))
	if in["retentionInDays"] != 0.0 {
		t.Errorf("retentionInDays = %v, want 0 (never expire)", in["retentionInDays"])
	}
	if _, ok := in["kmsKeyId"]; ok {
		t.Errorf("kmsKeyId = %v, want unset", in["kmsKeyId"])
	}
}

// TestInstanceWritesOnlyToItsOwnLogGroup fails if the logs statement is
// widened: another group, "*", logs:*, or creating groups.
func TestInstanceWritesOnlyToItsOwnLogGroup(t *testing.T) {
	doc := mustDeploy(t, withLogs(components.LogsArgs{RetentionDays: pulumi.IntRef(7)})).RolePolicy()
	st := statement(t, doc, "ShipLogsToThisLogGroup")
	if !slices.Equal(st.Action, []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}) {
		t.Errorf("logs statement allows %v", st.Action)
	}
	if !slices.Equal(st.Resource, []string{logGroupARN, logGroupARN + ":*"}) {
		t.Errorf("logs statement on %v, want only %s and its streams", st.Resource, logGroupARN)
	}
	if st.Condition != nil {
		t.Errorf("unexpected conditions %v", st.Condition)
	}
	for _, s := range doc.Statement {
		for _, action := range s.Action {
			if strings.HasPrefix(action, "logs:") && (s.Sid != "ShipLogsToThisLogGroup" || slices.Contains(s.Resource, "*")) {
				t.Errorf("%s allows %s on %v", s.Sid, action, s.Resource)
			}
		}
	}
}

func TestBootScriptShipsToTheLogGroup(t *testing.T) {
	script := mustDeploy(t, withLogs(components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: []string{"/srv/app/app.log"}})).BootScript()
	start := strings.Index(script, logsAgentJSON)
	if start < 0 {
		t.Fatalf("the boot script has no agent configuration")
	}
	end := strings.Index(script[start:], "'")
	var config map[string]any
	if err := json.Unmarshal([]byte(script[start:start+end]), &config); err != nil {
		t.Fatalf("the agent configuration in the script is not JSON: %v", err)
	}
	files, _ := path(config, "logs", "logs_collected", "files", "collect_list").([]any)
	if len(files) != 3 || path(files[2], "file_path") != "/srv/app/app.log" || path(files[2], "log_group_name") != testLogGroup {
		t.Errorf("collect_list = %v, want the boot log, cloud-init's and /srv/app/app.log into %s", files, testLogGroup)
	}
}

func TestNoLogGroupByDefault(t *testing.T) {
	d := mustDeploy(t, nil)
	if n := len(d.Monitor.ByType(typeLogGroup)); n != 0 {
		t.Errorf("default args created %d log groups", n)
	}
	if strings.Contains(d.BootScript(), "cloudwatch") {
		t.Errorf("the default boot script starts the CloudWatch agent")
	}
}

func TestBadLogsAreRefusedNamingTheField(t *testing.T) {
	tooMany := make([]string, 21)
	for i := range tooMany {
		tooMany[i] = "/var/log/f" + strings.Repeat("x", i)
	}
	for _, tc := range []struct {
		name string
		logs components.LogsArgs
		want []string
	}{
		{"no retention", components.LogsArgs{}, []string{"logs.retentionDays: required", "0 to keep logs forever"}},
		{"retention", components.LogsArgs{RetentionDays: pulumi.IntRef(10)}, []string{"logs.retentionDays 10", "1, 3, 5, 7, 14", "3653", "0 to keep logs forever"}},
		{"negative retention", components.LogsArgs{RetentionDays: pulumi.IntRef(-1)}, []string{"logs.retentionDays -1"}},
		{"relative file", components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: []string{"app.log"}}, []string{"logs.extraFiles[0]", `"app.log"`, "absolute"}},
		{"glob", components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: []string{"/var/log/*.log"}}, []string{"logs.extraFiles[0]", "no globs"}},
		{"unclean path", components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: []string{"/var/log/../etc/shadow"}}, []string{"logs.extraFiles[0]", "clean"}},
		{"colon", components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: []string{"/var/log/a:b"}}, []string{"logs.extraFiles[0]"}},
		{"shipped already", components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: []string{"/var/log/cloud-init-output.log"}}, []string{"logs.extraFiles[0]", "already shipped"}},
		{"twice", components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: []string{"/var/log/a.log", "/var/log/a.log"}}, []string{"logs.extraFiles[1]", "already shipped"}},
		{"too many", components.LogsArgs{RetentionDays: pulumi.IntRef(0), ExtraFiles: tooMany}, []string{"logs.extraFiles", "21 files", "at most 20"}},
		{"key", components.LogsArgs{RetentionDays: pulumi.IntRef(0), KMSKeyARN: pulumi.String("alias/aws/logs")}, []string{"logs.kmsKeyArn", `"alias/aws/logs"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, withLogs(tc.logs))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := len(d.Monitor.Resources()); n != 0 {
				t.Errorf("%d resources were registered before the error", n)
			}
		})
	}
}

func TestEveryRetentionCloudWatchAcceptsIsAccepted(t *testing.T) {
	for _, days := range append([]int{0}, components.LogRetentionDays...) {
		if _, err := deploy(t, withLogs(components.LogsArgs{RetentionDays: pulumi.IntRef(days)})); err != nil {
			t.Errorf("retention %d refused: %v", days, err)
		}
	}
}

func TestLogsKeyInAnotherRegionIsRefused(t *testing.T) {
	_, err := deploy(t, withLogs(components.LogsArgs{RetentionDays: pulumi.IntRef(0), KMSKeyARN: pulumi.String("arn:aws:kms:us-west-2:123456789012:key/1111bbbb-12ab-34cd-56ef-1234567890ab")}))
	if err == nil || !strings.Contains(err.Error(), "logs.kmsKeyArn") || !strings.Contains(err.Error(), "us-west-2") {
		t.Errorf("err = %v, want a refusal of the us-west-2 key", err)
	}
}
