package components_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm"

// withAlarms is the arguments with notifications on a created topic, the
// alarms set to alarms, and whatever more sets.
func withAlarms(alarms components.AlarmsArgs, more func(*components.SelfHealingInstanceArgs)) *components.SelfHealingInstanceArgs {
	a := &components.SelfHealingInstanceArgs{Notifications: &components.NotificationsArgs{}, Alarms: &alarms}
	if more != nil {
		more(a)
	}
	return a
}

// alarmsByName returns the registered alarms' inputs by their name in
// CloudWatch.
func alarmsByName(d *deployment) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range d.Monitor.ByType(alarmType) {
		in := inputs(r)
		out[in["name"].(string)] = in
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestEveryAlarmFollowsTheGroupAndPublishesToTheTopic: with every alarm
// that applies (a burstable type, a data volume), each alarm names the
// group and no instance, reads what it is documented to read, and
// publishes both ALARM and OK to the stack's topic; the group publishes
// the metrics the no-instance alarm reads; the instance may publish
// metrics in the agent's namespace only.
func TestEveryAlarmFollowsTheGroupAndPublishesToTheTopic(t *testing.T) {
	d := mustDeploy(t, withAlarms(components.AlarmsArgs{}, func(a *components.SelfHealingInstanceArgs) {
		a.DataVolume = &components.DataVolumeArgs{SizeGiB: 5, MountPath: "/srv/data"}
	}))
	group := d.Group()["name"].(string)
	topic := d.Outputs["notificationTopicArn"].(string)
	alarms := alarmsByName(d)
	wantNames := []string{group + "-cpu-credits-low", group + "-data-disk-full", group + "-memory-high",
		group + "-no-instance-in-service", group + "-root-disk-full", group + "-status-check-failed"}
	if got := sortedKeys(alarms); !slices.Equal(got, wantNames) {
		t.Fatalf("alarms %v, want %v", got, wantNames)
	}
	type read struct{ namespace, metric, path string }
	want := map[string]read{
		group + "-status-check-failed": {"AWS/EC2", "StatusCheckFailed", ""},
		group + "-cpu-credits-low":     {"AWS/EC2", "CPUCreditBalance", ""},
		group + "-root-disk-full":      {"CWAgent", "disk_used_percent", "/"},
		group + "-data-disk-full":      {"CWAgent", "disk_used_percent", "/srv/data"},
		group + "-memory-high":         {"CWAgent", "mem_used_percent", ""},
	}
	for name, in := range alarms {
		raw, _ := json.Marshal(in)
		if strings.Contains(string(raw), "InstanceId") || strings.Contains(string(raw), `"i-`) {
			t.Errorf("%s names an instance: %s", name, raw)
		}
		for _, actions := range []string{"alarmActions", "okActions"} {
			if got := toStrings(in[actions]); !slices.Equal(got, []string{topic}) {
				t.Errorf("%s %s = %v, want the topic %s", name, actions, got, topic)
			}
		}
		if w, single := want[name]; single {
			dims, _ := in["dimensions"].(map[string]any)
			wantDims := map[string]any{"AutoScalingGroupName": group}
			if w.path != "" {
				wantDims["path"] = w.path
			}
			if in["namespace"] != w.namespace || in["metricName"] != w.metric || !sameMap(dims, wantDims) {
				t.Errorf("%s reads %v %v %v, want %s %s %v", name, in["namespace"], in["metricName"], dims, w.namespace, w.metric, wantDims)
			}
			if in["treatMissingData"] != "notBreaching" {
				t.Errorf("%s treatMissingData = %v, want notBreaching (no instance, no data)", name, in["treatMissingData"])
			}
		}
	}
	// The no-instance alarm: in service below desired, from the group's
	// own metrics; no data is a breach.
	noInstance := alarms[group+"-no-instance-in-service"]
	queries, _ := noInstance["metricQueries"].([]any)
	var metrics []string
	for _, q := range queries {
		if m, ok := path(q, "metric").(map[string]any); ok {
			metrics = append(metrics, m["metricName"].(string))
			if m["namespace"] != "AWS/AutoScaling" || !sameMap(m["dimensions"].(map[string]any), map[string]any{"AutoScalingGroupName": group}) {
				t.Errorf("no-instance alarm reads %v", m)
			}
		} else if path(q, "expression") != "desired - inService" || path(q, "returnData") != true {
			t.Errorf("no-instance alarm's expression %v", q)
		}
	}
	slices.Sort(metrics)
	if !slices.Equal(metrics, components.GroupMetrics) || noInstance["treatMissingData"] != "breaching" ||
		noInstance["comparisonOperator"] != "GreaterThanThreshold" || noInstance["threshold"] != float64(0) {
		t.Errorf("no-instance alarm: metrics %v, %v %v %v", metrics, noInstance["comparisonOperator"], noInstance["threshold"], noInstance["treatMissingData"])
	}
	if noInstance["evaluationPeriods"] != float64(15) {
		t.Errorf("no-instance alarm evaluationPeriods = %v, want the default 15", noInstance["evaluationPeriods"])
	}

	g := d.Group()
	if got := toStrings(g["enabledMetrics"]); !slices.Equal(got, components.GroupMetrics) || g["metricsGranularity"] != "1Minute" {
		t.Errorf("group enabledMetrics %v, granularity %v; want %v, 1Minute", got, g["metricsGranularity"], components.GroupMetrics)
	}

	s := statement(t, d.RolePolicy(), "PublishTheAlarmsMetrics")
	if !slices.Equal(s.Action, []string{"cloudwatch:PutMetricData"}) || !slices.Equal(s.Resource, []string{"*"}) ||
		s.Condition["StringEquals"]["cloudwatch:namespace"] != userdata.CloudWatchAgentNamespace {
		t.Errorf("metrics statement %+v", s)
	}
	if !strings.Contains(d.BootScript(), `"metrics":{"namespace":"CWAgent"`) {
		t.Error("the boot script's agent configuration has no metrics section")
	}
}

func sameMap(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestAlarmsThatDoNotApplyAreLeftOut: on a type that earns no credits and
// without a data volume, those two alarms are not created; with the
// agent's alarms and the no-instance alarm disabled, the agent publishes
// nothing, the role may not publish, and the group publishes no metrics.
func TestAlarmsThatDoNotApplyAreLeftOut(t *testing.T) {
	d := mustDeploy(t, withAlarms(components.AlarmsArgs{}, func(a *components.SelfHealingInstanceArgs) { a.InstanceType = "m5.large" }))
	group := d.Group()["name"].(string)
	want := []string{group + "-memory-high", group + "-no-instance-in-service", group + "-root-disk-full", group + "-status-check-failed"}
	if got := sortedKeys(alarmsByName(d)); !slices.Equal(got, want) {
		t.Errorf("alarms %v, want %v", got, want)
	}

	off := &components.AlarmArgs{Disabled: true}
	d = mustDeploy(t, withAlarms(components.AlarmsArgs{NoInstanceInService: off, RootDisk: off, Memory: off, CPUCredits: off}, nil))
	group = d.Group()["name"].(string)
	if got := sortedKeys(alarmsByName(d)); !slices.Equal(got, []string{group + "-status-check-failed"}) {
		t.Errorf("alarms %v, want only the status check's", got)
	}
	if strings.Contains(d.BootScript(), "cloudwatch_agent_config") {
		t.Error("the boot script configures the agent, but no alarm reads its metrics")
	}
	for _, s := range d.RolePolicy().Statement {
		if slices.Contains(s.Action, "cloudwatch:PutMetricData") {
			t.Errorf("the role may publish metrics no alarm reads: %+v", s)
		}
	}
	if g := d.Group(); g["enabledMetrics"] != nil || g["metricsGranularity"] != nil {
		t.Errorf("the group publishes %v at %v, but no alarm reads them", g["enabledMetrics"], g["metricsGranularity"])
	}
}

// TestWithoutAlarmsThereAreNone: the default stack has no alarm and no
// group metrics.
func TestWithoutAlarmsThereAreNone(t *testing.T) {
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{Notifications: &components.NotificationsArgs{}})
	if n := len(d.Monitor.ByType(alarmType)); n != 0 {
		t.Errorf("%d alarms without the alarms option", n)
	}
	if g := d.Group(); g["enabledMetrics"] != nil {
		t.Errorf("group enabledMetrics %v without alarms", g["enabledMetrics"])
	}
}

// TestAlarmSettingsReachTheAlarms: a user's threshold, period and
// evaluation periods are the alarm's.
func TestAlarmSettingsReachTheAlarms(t *testing.T) {
	d := mustDeploy(t, withAlarms(components.AlarmsArgs{
		Memory:              &components.AlarmArgs{Threshold: intPtr(75), PeriodSeconds: intPtr(120), EvaluationPeriods: intPtr(4)},
		NoInstanceInService: &components.AlarmArgs{PeriodSeconds: intPtr(300), EvaluationPeriods: intPtr(2)},
	}, nil))
	group := d.Group()["name"].(string)
	alarms := alarmsByName(d)
	mem := alarms[group+"-memory-high"]
	if mem["threshold"] != float64(75) || mem["period"] != float64(120) || mem["evaluationPeriods"] != float64(4) {
		t.Errorf("memory alarm threshold %v period %v evaluationPeriods %v, want 75 120 4", mem["threshold"], mem["period"], mem["evaluationPeriods"])
	}
	noInstance := alarms[group+"-no-instance-in-service"]
	if noInstance["evaluationPeriods"] != float64(2) {
		t.Errorf("no-instance evaluationPeriods %v, want 2", noInstance["evaluationPeriods"])
	}
	queries, _ := noInstance["metricQueries"].([]any)
	if len(queries) != 3 {
		t.Fatalf("no-instance metricQueries %v, want the expression and two metrics", queries)
	}
	for _, q := range queries {
		if m := path(q, "metric"); m != nil && path(m, "period") != float64(300) {
			t.Errorf("no-instance metric period %v, want 300", path(m, "period"))
		}
	}
}

// TestBadAlarmSettingsAreRefusedAtPreview: each names the field and what
// is allowed.
func TestBadAlarmSettingsAreRefusedAtPreview(t *testing.T) {
	for _, tc := range []struct {
		name string
		args *components.SelfHealingInstanceArgs
		want []string
	}{
		{"no notifications", &components.SelfHealingInstanceArgs{Alarms: &components.AlarmsArgs{}}, []string{"alarms", "notifications"}},
		{"threshold over 99%", withAlarms(components.AlarmsArgs{RootDisk: &components.AlarmArgs{Threshold: intPtr(100)}}, nil), []string{"alarms.rootDisk.threshold 100", "1 to 99 percent"}},
		{"threshold 0 credits", withAlarms(components.AlarmsArgs{CPUCredits: &components.AlarmArgs{Threshold: intPtr(0)}}, nil), []string{"alarms.cpuCredits.threshold 0", "credits"}},
		{"a threshold where none is taken", withAlarms(components.AlarmsArgs{StatusCheckFailed: &components.AlarmArgs{Threshold: intPtr(1)}}, nil), []string{"alarms.statusCheckFailed.threshold", "no threshold"}},
		{"a period not of whole minutes", withAlarms(components.AlarmsArgs{Memory: &components.AlarmArgs{PeriodSeconds: intPtr(90)}}, nil), []string{"alarms.memory.periodSeconds 90", "multiple of 60 from 60 to 86400"}},
		{"credits every minute", withAlarms(components.AlarmsArgs{CPUCredits: &components.AlarmArgs{PeriodSeconds: intPtr(60)}}, nil), []string{"alarms.cpuCredits.periodSeconds 60", "from 300"}},
		{"over a day", withAlarms(components.AlarmsArgs{Memory: &components.AlarmArgs{PeriodSeconds: intPtr(3600), EvaluationPeriods: intPtr(25)}}, nil), []string{"alarms.memory.evaluationPeriods 25", "1 to 24"}},
		{"no evaluation period", withAlarms(components.AlarmsArgs{Memory: &components.AlarmArgs{EvaluationPeriods: intPtr(0)}}, nil), []string{"alarms.memory.evaluationPeriods 0", "1 to 1440"}},
		{"credits on m5", withAlarms(components.AlarmsArgs{CPUCredits: &components.AlarmArgs{}}, func(a *components.SelfHealingInstanceArgs) { a.InstanceType = "m5.large" }), []string{"alarms.cpuCredits", "m5.large", "disabled"}},
		{"credits with a Spot type that earns none", withAlarms(components.AlarmsArgs{CPUCredits: &components.AlarmArgs{}}, func(a *components.SelfHealingInstanceArgs) {
			a.Spot, a.SpotInstanceTypes = true, []string{"t3a.micro", "c5.large"}
		}), []string{"alarms.cpuCredits", "spotInstanceTypes[1] c5.large"}},
		{"data disk without a volume", withAlarms(components.AlarmsArgs{DataDisk: &components.AlarmArgs{Threshold: intPtr(80)}}, nil), []string{"alarms.dataDisk", "dataVolume"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := deploy(t, tc.args)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v; want it to say %q", err, w)
				}
			}
		})
	}
	// The edges are allowed.
	mustDeploy(t, withAlarms(components.AlarmsArgs{
		RootDisk:   &components.AlarmArgs{Threshold: intPtr(99), PeriodSeconds: intPtr(86400), EvaluationPeriods: intPtr(1)},
		Memory:     &components.AlarmArgs{Threshold: intPtr(1), PeriodSeconds: intPtr(60), EvaluationPeriods: intPtr(1440)},
		CPUCredits: &components.AlarmArgs{Threshold: pulumi.IntRef(1), PeriodSeconds: intPtr(300)},
	}, nil))
}

// TestTheNoInstanceAlarmOutwaitsTheLaunchGate: by default the alarm waits
// as long as the launch gate lets a boot take and 5 minutes more, 15
// minutes at least; without the gate, 15 minutes; in whole periods of
// whatever length.
func TestTheNoInstanceAlarmOutwaitsTheLaunchGate(t *testing.T) {
	for _, tc := range []struct {
		gate    *bool
		timeout *int
		period  *int
		want    float64
	}{
		{nil, nil, nil, 15}, {nil, intPtr(900), nil, 20}, {nil, intPtr(61), nil, 15}, {pulumi.BoolRef(false), nil, nil, 15}, {nil, intPtr(7200), nil, 125},
		// A longer period keeps the window, rounded up to whole periods.
		{nil, nil, intPtr(300), 3}, {nil, intPtr(900), intPtr(300), 4}, {nil, intPtr(900), intPtr(3600), 1},
	} {
		d := mustDeploy(t, withAlarms(components.AlarmsArgs{NoInstanceInService: &components.AlarmArgs{PeriodSeconds: tc.period}}, func(a *components.SelfHealingInstanceArgs) {
			a.LaunchGate, a.LaunchGateTimeoutSeconds = tc.gate, tc.timeout
		}))
		in := alarmsByName(d)[d.Group()["name"].(string)+"-no-instance-in-service"]
		if in["evaluationPeriods"] != tc.want {
			t.Errorf("gate %s, timeout %s, period %s: evaluationPeriods %v, want %v", show(tc.gate), show(tc.timeout), show(tc.period), in["evaluationPeriods"], tc.want)
		}
	}
}

// TestAlarmNamesFitCloudWatchsLimit: a group's name may take all of Auto
// Scaling's 255 characters; the alarm's name still fits CloudWatch's 255,
// keeps its suffix, and differs between groups that differ only at the
// end.
func TestAlarmNamesFitCloudWatchsLimit(t *testing.T) {
	if got := components.AlarmName("proj-dev-web", "memory-high"); got != "proj-dev-web-memory-high" {
		t.Errorf("short name: %s", got)
	}
	long := strings.Repeat("g", 254)
	a, b := components.AlarmName(long+"a", "no-instance-in-service"), components.AlarmName(long+"b", "no-instance-in-service")
	if len(a) != 255 || !strings.HasSuffix(a, "-no-instance-in-service") || a == b {
		t.Errorf("long names %q (%d) and %q", a, len(a), b)
	}
}

// TestAlarmInputsMeetTheProvidersValidation: every registered alarm's
// inputs pass the checks the AWS provider makes before it calls
// PutMetricAlarm (terraform-provider-aws, internal/service/cloudwatch/
// metric_alarm.go, which pulumi-aws 6.83.4 wraps): name 1 to 255,
// description at most 1024, a comparison operator and statistics CloudWatch
// knows, treatMissingData one of its four values, evaluation periods at
// least 1, periods of a whole number of minutes, a namespace without ':',
// and either a metric or metric queries, not both, each query an
// expression or a metric, with an id that starts with a lowercase letter.
func TestAlarmInputsMeetTheProvidersValidation(t *testing.T) {
	d := mustDeploy(t, withAlarms(components.AlarmsArgs{}, func(a *components.SelfHealingInstanceArgs) {
		a.DataVolume = &components.DataVolumeArgs{SizeGiB: 5}
	}))
	operators := []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
	statistics := []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	missing := []string{"breaching", "notBreaching", "ignore", "missing"}
	period := func(v any) bool { f, ok := v.(float64); return ok && f >= 60 && int(f)%60 == 0 }
	for name, in := range alarmsByName(d) {
		bad := func(format string, v ...any) { t.Errorf(name+": "+format, v...) }
		if len(name) < 1 || len(name) > 255 || len(in["alarmDescription"].(string)) > 1024 {
			bad("name or description too long")
		}
		if !slices.Contains(operators, in["comparisonOperator"].(string)) || !slices.Contains(missing, in["treatMissingData"].(string)) {
			bad("comparisonOperator %v, treatMissingData %v", in["comparisonOperator"], in["treatMissingData"])
		}
		if n, _ := in["evaluationPeriods"].(float64); n < 1 {
			bad("evaluationPeriods %v", in["evaluationPeriods"])
		}
		if _, ok := in["threshold"].(float64); !ok {
			bad("threshold %v", in["threshold"])
		}
		queries, _ := in["metricQueries"].([]any)
		if _, single := in["metricName"]; single == (len(queries) > 0) {
			bad("both or neither of metricName and metricQueries: %v", in)
		}
		if len(queries) == 0 {
			if !slices.Contains(statistics, in["statistic"].(string)) || !period(in["period"]) || strings.Contains(in["namespace"].(string), ":") {
				bad("statistic %v, period %v, namespace %v", in["statistic"], in["period"], in["namespace"])
			}
			continue
		}
		returned := 0
		for _, q := range queries {
			id, _ := path(q, "id").(string)
			if id == "" || id[0] < 'a' || id[0] > 'z' {
				bad("query id %q", id)
			}
			m, _ := path(q, "metric").(map[string]any)
			if _, expr := path(q, "expression").(string); expr == (m != nil) {
				bad("query %v: want an expression or a metric", q)
			}
			if m != nil && (!slices.Contains(statistics, m["stat"].(string)) || !period(m["period"])) {
				bad("query metric %v", m)
			}
			if path(q, "returnData") == true {
				returned++
			}
		}
		if returned != 1 {
			bad("%d queries return data, want 1", returned)
		}
	}
}
