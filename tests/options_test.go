package tests

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
)

// TestFullStackDeploys runs the program on Pulumi.full.yaml, which turns on
// DNS, office hours and notifications, and checks each option's resources
// against the stack file.
func TestFullStackDeploys(t *testing.T) {
	monitor, err := runProgram(t, loadStack(t, "full"), nil)
	if err != nil {
		t.Fatalf("the program failed on the full stack: %v", err)
	}
	group := only(t, monitor, "aws:autoscaling/group:Group")
	groupName := group["name"]
	if groupName != "selfhealing-full-instance" {
		t.Errorf("group name = %v", groupName)
	}
	eip := monitor.ByType("aws:ec2/eip:Eip")[0]

	record := only(t, monitor, "aws:route53/record:Record")
	for field, want := range map[string]any{"zoneId": fake.StandInZoneID, "name": "app.example.com", "type": "A", "ttl": 300.0} {
		if record[field] != want {
			t.Errorf("record %s = %v, want %v", field, record[field], want)
		}
	}
	if ips := record["records"].([]any); len(ips) != 1 || ips[0] != eip.Outputs["publicIp"].StringValue() {
		t.Errorf("record records = %v, want the Elastic IP", ips)
	}

	schedules := map[string]map[string]any{}
	for _, r := range monitor.ByType("aws:autoscaling/schedule:Schedule") {
		schedules[r.Name] = synth.Plain(resource.NewProperty(r.Inputs)).(map[string]any)
	}
	for name, want := range map[string]map[string]any{
		"instance-stop":  {"recurrence": "0 19 * * MON-FRI", "desiredCapacity": 0.0, "minSize": 0.0, "maxSize": 0.0},
		"instance-start": {"recurrence": "0 8 * * MON-FRI", "desiredCapacity": 1.0, "minSize": 1.0, "maxSize": 1.0},
	} {
		got := schedules[name]
		want["timeZone"], want["autoscalingGroupName"] = "Europe/Berlin", groupName
		for field, value := range want {
			if got[field] != value {
				t.Errorf("%s %s = %v, want %v", name, field, got[field], value)
			}
		}
	}
	if len(schedules) != 2 {
		t.Errorf("scheduled actions %v, want stop and start", schedules)
	}
	groups := monitor.ByType("aws:autoscaling/group:Group")
	if !slices.Contains(groups[0].IgnoreChanges, "desiredCapacity") {
		t.Errorf("group ignoreChanges = %v, want the sizes the schedule changes", groups[0].IgnoreChanges)
	}

	topic := monitor.ByType("aws:sns/topic:Topic")
	if len(topic) != 1 {
		t.Fatalf("want one topic, got %d", len(topic))
	}
	topicArn := topic[0].Outputs["arn"].StringValue()
	sub := only(t, monitor, "aws:sns/topicSubscription:TopicSubscription")
	if sub["endpoint"] != "ops@example.com" || sub["protocol"] != "email" || sub["topic"] != topicArn {
		t.Errorf("subscription = %v, want ops@example.com by email on %s", sub, topicArn)
	}
	notification := only(t, monitor, "aws:autoscaling/notification:Notification")
	if notification["topicArn"] != topicArn || len(notification["notifications"].([]any)) != 4 ||
		notification["groupNames"].([]any)[0] != groupName {
		t.Errorf("notification = %v, want 4 event types on %s for %v", notification, topicArn, groupName)
	}
	alarms := map[string]map[string]any{}
	for _, r := range monitor.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		in := synth.Plain(resource.NewProperty(r.Inputs)).(map[string]any)
		alarms[in["name"].(string)] = in
		if actions := in["alarmActions"].([]any); len(actions) != 1 || actions[0] != topicArn {
			t.Errorf("alarm %v publishes to %v, want %s", in["name"], actions, topicArn)
		}
	}
	for _, suffix := range []string{"no-instance-in-service", "status-check-failed", "root-disk-full", "data-disk-full", "memory-high"} {
		if _, ok := alarms[groupName.(string)+"-"+suffix]; !ok {
			t.Errorf("no %s alarm among %v", suffix, slices.Sorted(maps.Keys(alarms)))
		}
	}
	if len(alarms) != 5 || alarms[groupName.(string)+"-memory-high"]["threshold"] != 85.0 {
		t.Errorf("alarms %v, want the five that apply, memory at 85", slices.Sorted(maps.Keys(alarms)))
	}
}

func TestFullStackSynthShowsEveryOptionWithItsInputs(t *testing.T) {
	report, err := synth.Run(repoRoot, "full")
	if err != nil {
		t.Fatal(err)
	}
	if report.Outputs["url"] != "https://app.example.com" {
		t.Errorf("url = %v, want https://app.example.com (the https option is on)", report.Outputs["url"])
	}
	var text bytes.Buffer
	if err := synth.WriteText(&text, report, synth.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"aws:route53/record:Record instance-dns", `zoneId: "` + fake.StandInZoneID + `"`,
		"aws:autoscaling/schedule:Schedule instance-stop", `recurrence: "0 19 * * MON-FRI"`, `timeZone: "Europe/Berlin"`,
		"aws:sns/topic:Topic instance-events",
		"aws:sns/topicSubscription:TopicSubscription instance-email", `endpoint: "ops@example.com"`,
		"aws:autoscaling/notification:Notification instance-notifications", `"autoscaling:EC2_INSTANCE_TERMINATE_ERROR"`,
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("synth text lacks %q", want)
		}
	}
}

func TestOptionsAreOffByDefault(t *testing.T) {
	monitor, err := runProgram(t, loadDev(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"aws:route53/record:Record", "aws:autoscaling/schedule:Schedule", "aws:sns/topic:Topic",
		"aws:sns/topicSubscription:TopicSubscription", "aws:autoscaling/notification:Notification"} {
		if n := len(monitor.ByType(typ)); n != 0 {
			t.Errorf("the dev stack, which sets no option, has %d %s", n, typ)
		}
	}
}

func TestOptionConfigurationIsReadStrictly(t *testing.T) {
	// HTTPS needs the DNS record these cases take apart; leave it out.
	full := loadStack(t, "full")
	delete(full.Config, "selfhealing:https")
	for _, tc := range []struct {
		key, value string
		want       []string
	}{
		{"selfhealing:dns", `{"zone":"Z0123456789EXAMPLEZONE","recordName":"app.example.com"}`, []string{"selfhealing:dns", `unknown field "zone"`}},
		{"selfhealing:dns", `{"zoneId":"Z0123456789EXAMPLEZONE","recordName":"app.example.com","ttl":"sixty"}`, []string{"selfhealing:dns", "want ", "ttl"}},
		{"selfhealing:dns", `"app.example.com"`, []string{"selfhealing:dns", "want "}},
		{"selfhealing:dns", `{"ttl":300}`, []string{"dns.zoneId: required", "dns.recordName: required"}},
		{"selfhealing:dns", `{"zoneId":"Z0123456789EXAMPLEZONE","recordName":"app.example.org"}`, []string{"dns.recordName", "not inside hosted zone"}},
		{"selfhealing:schedule", `{"stop":"0 19 * * MON-FRI","start":"0 8 * * MON-FRI","tz":"Europe/Berlin"}`, []string{"selfhealing:schedule", `unknown field "tz"`}},
		{"selfhealing:schedule", `{"stop":"0 19 * * MON-FRI","timeZone":"Europe/Berlin"}`, []string{"schedule.start: required"}},
		{"selfhealing:schedule", `{"stop":["0 19 * * MON-FRI"],"start":"0 8 * * *","timeZone":"UTC"}`, []string{"selfhealing:schedule", "want "}},
		{"selfhealing:notifications", `{"emails":["ops@example.com"]}`, []string{"selfhealing:notifications", `unknown field "emails"`}},
		// createTopic is gone: {} creates a topic, as unset topicArn does in Go.
		{"selfhealing:notifications", `{"createTopic":true}`, []string{"selfhealing:notifications", `unknown field "createTopic"`}},
		{"selfhealing:notifications", `{"topicArn":"arn:aws:sns:eu-west-1:123456789012:ops"}`, []string{"notifications.topicArn", "eu-west-1", "us-east-1"}},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			requireRejected(t, full, map[string]string{tc.key: tc.value}, tc.want...)
		})
	}
}

func TestOptionConfigurationVariants(t *testing.T) {
	// HTTPS needs the DNS record these cases take apart; leave it out.
	full := loadStack(t, "full")
	delete(full.Config, "selfhealing:https")
	for _, tc := range []struct {
		name             string
		overrides        map[string]string
		topics, subs, nf int
		records, actions int
	}{
		{"a topic with no subscriber", map[string]string{"selfhealing:notifications": `{}`}, 1, 0, 1, 1, 2},
		{"an email implies a topic", map[string]string{"selfhealing:notifications": `{"email":"ops@example.com"}`}, 1, 1, 1, 1, 2},
		{"an existing topic", map[string]string{"selfhealing:notifications": `{"topicArn":"arn:aws:sns:us-east-1:123456789012:ops"}`}, 0, 0, 1, 1, 2},
		{"the default TTL", map[string]string{"selfhealing:dns": `{"zoneId":"Z0123456789EXAMPLEZONE","recordName":"App.Example.com."}`}, 1, 1, 1, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			monitor, err := runProgram(t, full, tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{
				"aws:sns/topic:Topic": tc.topics, "aws:sns/topicSubscription:TopicSubscription": tc.subs,
				"aws:autoscaling/notification:Notification": tc.nf, "aws:route53/record:Record": tc.records,
				"aws:autoscaling/schedule:Schedule": tc.actions,
			}
			for typ, want := range counts {
				if got := len(monitor.ByType(typ)); got != want {
					t.Errorf("%d %s, want %d", got, typ, want)
				}
			}
			if tc.name == "the default TTL" {
				record := only(t, monitor, "aws:route53/record:Record")
				if record["ttl"] != 60.0 || record["name"] != "app.example.com" {
					t.Errorf("record ttl %v name %v, want 60 and app.example.com", record["ttl"], record["name"])
				}
			}
		})
	}
}
