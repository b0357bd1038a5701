package components_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

const (
	topicType        = "aws:sns/topic:Topic"
	subscriptionType = "aws:sns/topicSubscription:TopicSubscription"
	notificationType = "aws:autoscaling/notification:Notification"
	existingTopic    = "arn:aws:sns:eu-west-1:123456789012:ops-alerts"
)

func withNotifications(n *components.NotificationsArgs) *components.SelfHealingInstanceArgs {
	return &components.SelfHealingInstanceArgs{Notifications: n}
}

var wantNotificationTypes = []string{
	"autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE",
	"autoscaling:EC2_INSTANCE_LAUNCH_ERROR", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
}

// checkNotification asserts every input of the group's notification
// configuration.
func checkNotification(t *testing.T, d *deployment, topicArn string) {
	t.Helper()
	n := d.One(notificationType)
	in := inputs(n)
	if got := toStrings(in["groupNames"]); !slices.Equal(got, []string{d.Group()["name"].(string)}) {
		t.Errorf("notification groupNames = %v, want the group %v", got, d.Group()["name"])
	}
	if got := toStrings(in["notifications"]); !slices.Equal(got, wantNotificationTypes) {
		t.Errorf("notification types = %v, want %v", got, wantNotificationTypes)
	}
	if in["topicArn"] != topicArn || topicArn == "" {
		t.Errorf("notification topicArn = %v, want %q", in["topicArn"], topicArn)
	}
	if len(in) != 3 {
		t.Errorf("notification inputs = %v, want exactly groupNames, notifications, topicArn", in)
	}
	if n.ParentType != components.TypeToken {
		t.Errorf("notification parent = %q, want the component", n.ParentType)
	}
	if got := d.Outputs["notificationTopicArn"]; got != topicArn {
		t.Errorf("notificationTopicArn output = %v, want %q", got, topicArn)
	}
}

func TestNotificationsOnACreatedTopicWithAnEmail(t *testing.T) {
	d := mustDeploy(t, withNotifications(&components.NotificationsArgs{Email: "ops@example.com"}))
	topic := d.One(topicType)
	topicArn := plainOutputs(topic).(map[string]any)["arn"].(string)
	checkNotification(t, d, topicArn)

	in := inputs(topic)
	// Unencrypted on purpose (see notifications.go); a KMS key here would
	// stop Auto Scaling from publishing.
	if v, ok := in["kmsMasterKeyId"]; ok {
		t.Errorf("topic kmsMasterKeyId = %v, want unset", v)
	}
	if tags, _ := in["tags"].(map[string]any); tags["Name"] != d.Group()["name"] {
		t.Errorf("topic tags = %v, want the component's tags", in["tags"])
	}
	if _, fifo := in["fifoTopic"]; fifo || len(in) != 1 {
		t.Errorf("topic inputs = %v, want only tags", in)
	}

	sub := inputs(d.One(subscriptionType))
	for field, want := range map[string]any{"topic": topicArn, "protocol": "email", "endpoint": "ops@example.com"} {
		if sub[field] != want {
			t.Errorf("subscription %s = %v, want %v", field, sub[field], want)
		}
	}
	if len(sub) != 3 {
		t.Errorf("subscription inputs = %v, want exactly topic, protocol, endpoint", sub)
	}
}

func TestNotificationsOnAnExistingTopic(t *testing.T) {
	d := mustDeploy(t, withNotifications(&components.NotificationsArgs{TopicArn: pulumi.String(existingTopic)}))
	if n := len(d.Monitor.ByType(topicType)) + len(d.Monitor.ByType(subscriptionType)); n != 0 {
		t.Errorf("%d topics or subscriptions created for an existing topic without email", n)
	}
	checkNotification(t, d, existingTopic)

	withEmail := mustDeploy(t, withNotifications(&components.NotificationsArgs{TopicArn: pulumi.String(existingTopic), Email: "oncall@example.org"}))
	if got := inputs(withEmail.One(subscriptionType))["topic"]; got != existingTopic {
		t.Errorf("subscription topic = %v, want the existing %s", got, existingTopic)
	}
}

func TestNoNotificationsCreateNothing(t *testing.T) {
	d := mustDeploy(t, nil)
	for _, typ := range []string{topicType, subscriptionType, notificationType} {
		if n := len(d.Monitor.ByType(typ)); n != 0 {
			t.Errorf("%d %s without notifications", n, typ)
		}
	}
	if got, ok := d.Outputs["notificationTopicArn"]; !ok || got != "" {
		t.Errorf("notificationTopicArn = %#v, want \"\"", got)
	}
}

// None of the three options may give the instance a permission.
func TestOptionsAddNoInstancePermissions(t *testing.T) {
	plain := mustDeploy(t, nil)
	all := mustDeploy(t, &components.SelfHealingInstanceArgs{
		DNS:           &components.DNSArgs{ZoneID: pulumi.String("Z0123456789EXAMPLEZONE"), RecordName: "app.example.com"},
		Schedule:      officeHours(),
		Notifications: &components.NotificationsArgs{Email: "ops@example.com"},
	})
	for _, typ := range []string{"aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/role:Role"} {
		before, after := plain.Monitor.ByType(typ), all.Monitor.ByType(typ)
		if len(before) != len(after) {
			t.Errorf("%s: %d without options, %d with", typ, len(before), len(after))
			continue
		}
		for i := range before {
			if a, b := inputs(before[i]), inputs(after[i]); !reflect.DeepEqual(a, b) {
				t.Errorf("%s %s changed with the options:\n%v\n%v", typ, after[i].Name, a, b)
			}
		}
	}
}

func TestOptionResourcesAreChildrenOfTheComponent(t *testing.T) {
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{
		DNS:           &components.DNSArgs{ZoneID: pulumi.String("Z0123456789EXAMPLEZONE"), RecordName: "app.example.com"},
		Schedule:      officeHours(),
		Notifications: &components.NotificationsArgs{Email: "ops@example.com"},
	})
	found := 0
	for _, r := range d.Monitor.Resources() {
		switch r.Type {
		case recordType, scheduleType, topicType, subscriptionType, notificationType:
			found++
			if r.ParentType != components.TypeToken || !strings.HasPrefix(r.Name, testName+"-") {
				t.Errorf("%s %s: parent %q; want a child of the component named %s-…", r.Type, r.Name, r.ParentType, testName)
			}
		}
	}
	if found != 6 {
		t.Errorf("found %d option resources, want 6 (record, 2 schedules, topic, subscription, notification)", found)
	}
}

func TestInvalidNotificationsNameTheFieldAndWhatIsAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    components.NotificationsArgs
		want []string
	}{
		{"not an arn", components.NotificationsArgs{TopicArn: pulumi.String("ops-alerts")}, []string{"notifications.topicArn", `"ops-alerts"`, "arn:aws:sns:us-east-1:123456789012:ops", "leave it unset to create"}},
		{"a queue", components.NotificationsArgs{TopicArn: pulumi.String("arn:aws:sqs:eu-west-1:123456789012:q")}, []string{"notifications.topicArn", "SNS topic ARN"}},
		{"short account", components.NotificationsArgs{TopicArn: pulumi.String("arn:aws:sns:eu-west-1:12345:ops")}, []string{"notifications.topicArn"}},
		{"subscription arn", components.NotificationsArgs{TopicArn: pulumi.String(existingTopic + ":0f1e2d3c-0000-0000-0000-000000000000")}, []string{"notifications.topicArn"}},
		{"fifo", components.NotificationsArgs{TopicArn: pulumi.String(existingTopic + ".fifo")}, []string{"notifications.topicArn", "FIFO", "standard topic"}},
		{"email without domain", components.NotificationsArgs{Email: "ops"}, []string{"notifications.email", `"ops"`, "ops@example.com"}},
		{"email with name", components.NotificationsArgs{Email: "Ops <ops@example.com>"}, []string{"notifications.email", "no display name"}},
		{"two emails", components.NotificationsArgs{Email: "a@example.com, b@example.com"}, []string{"notifications.email", "one bare address"}},
		{"local domain", components.NotificationsArgs{Email: "root@localhost"}, []string{"notifications.email", `domain "localhost"`}},
		{"bad domain", components.NotificationsArgs{Email: "ops@exa_mple.com"}, []string{"notifications.email", `domain "exa_mple.com"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, withNotifications(&tc.n))
			if err == nil {
				t.Fatalf("accepted %+v", tc.n)
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

func TestATopicElsewhereIsRefusedBeforeAnythingIsCreated(t *testing.T) {
	for _, tc := range []struct{ arn, want string }{
		{"arn:aws:sns:us-east-1:123456789012:ops", "is in aws/us-east-1, but the stack deploys to aws/eu-west-1"},
		{"arn:aws-cn:sns:eu-west-1:123456789012:ops", "is in aws-cn/eu-west-1"},
	} {
		d, err := deploy(t, withNotifications(&components.NotificationsArgs{TopicArn: pulumi.String(tc.arn)}))
		if err == nil || !strings.Contains(err.Error(), "notifications.topicArn") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("topic %s: err = %v, want one naming notifications.topicArn and saying %q", tc.arn, err, tc.want)
		}
		for _, r := range d.Monitor.Resources() {
			if r.Custom {
				t.Errorf("topic %s: %s %s was created before the error", tc.arn, r.Type, r.Name)
			}
		}
	}
}

func TestEveryOptionsProblemIsReportedAtOnce(t *testing.T) {
	_, err := deploy(t, &components.SelfHealingInstanceArgs{
		InstanceType:  "big",
		DNS:           &components.DNSArgs{ZoneID: pulumi.String("example.com"), RecordName: "a_b.example.com", TTL: intPtr(-5)},
		Schedule:      &components.ScheduleArgs{Stop: "0 25 * * *", Start: "0 8 * *", TimeZone: "Mars/Olympus"},
		Notifications: &components.NotificationsArgs{TopicArn: pulumi.String("topic"), Email: "nobody"},
	})
	for _, field := range []string{"instanceType", "dns.zoneId", "dns.recordName", "dns.ttl", "schedule.stop", "schedule.start",
		"schedule.timeZone", "notifications.topicArn", "notifications.email"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v does not report %s", err, field)
		}
	}
}
