package components_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/deploytest"
	"github.com/selfhealing-dev/selfhealing/lab/internal/agentschema"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

const metricAlarmType = "aws:cloudwatch/metricAlarm:MetricAlarm"

// agentAlarm is what one registered alarm on the agent's namespace reads.
type agentAlarm struct {
	name, namespace, metric string
	dimensions              map[string]string
}

// agentAlarms returns the registered alarms that read the agent's
// namespace, and fails on an alarm that reads it through metric math,
// which this check does not follow.
func agentAlarms(t *testing.T, d *deploytest.Deployment) []agentAlarm {
	t.Helper()
	var out []agentAlarm
	for _, r := range d.Monitor.ByType(metricAlarmType) {
		in := deploytest.Inputs(r)
		if ns, _ := in["namespace"].(string); ns != userdata.CloudWatchAgentNamespace {
			if strings.Contains(fmt.Sprint(in["metricQueries"]), userdata.CloudWatchAgentNamespace) {
				t.Fatalf("alarm %v reads the agent's namespace through metric math", in["name"])
			}
			continue
		}
		dims := map[string]string{}
		for k, v := range in["dimensions"].(map[string]any) {
			dims[k] = v.(string)
		}
		out = append(out, agentAlarm{name: in["name"].(string), namespace: in["namespace"].(string), metric: in["metricName"].(string), dimensions: dims})
	}
	return out
}

// unread returns the alarms whose metric the agent, configured by config,
// does not publish: what they would wait for forever.
func unread(t *testing.T, alarms []agentAlarm, config []byte) []string {
	t.Helper()
	c, err := agentschema.ParseConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	published, ok := agentschema.Published(c)
	if !ok {
		t.Fatalf("the configuration collects a plugin Published has no rule for:\n%s", config)
	}
	var missing []string
	for _, a := range alarms {
		if !agentschema.Publishes(published, a.namespace, a.metric, a.dimensions) {
			missing = append(missing, fmt.Sprintf("%s reads %s %s %v", a.name, a.namespace, a.metric, a.dimensions))
		}
	}
	return missing
}

// TestTheAgentPublishesWhatEachAlarmReads: for every combination of the
// agent's alarms, with and without logs and a data volume, the boot
// script the stack renders, run with bash, hands the agent a configuration
// that its schema accepts and that publishes, by the agent's documented
// dimension rules (agentschema.Published), every metric an alarm on the
// agent's namespace reads: name, namespace, and exactly its dimensions.
// No alarm names an instance, and the agent publishes no alarm's metric
// for an alarm that is off.
func TestTheAgentPublishesWhatEachAlarmReads(t *testing.T) {
	agentschema.RequireRoot(t)
	off := &components.AlarmArgs{Disabled: true}
	alarmSets := map[string]components.AlarmsArgs{
		"every alarm":        {},
		"memory only":        {RootDisk: off, DataDisk: off},
		"disks only":         {Memory: off},
		"the root disk only": {Memory: off, DataDisk: off},
		"tuned":              {Memory: &components.AlarmArgs{Threshold: pulumi.IntRef(80)}, RootDisk: &components.AlarmArgs{PeriodSeconds: pulumi.IntRef(300)}},
	}
	others := map[string]func(*components.SelfHealingInstanceArgs){
		"alone": func(*components.SelfHealingInstanceArgs) {},
		"data volume": func(a *components.SelfHealingInstanceArgs) {
			a.DataVolume = &components.DataVolumeArgs{SizeGiB: 5, MountPath: "/srv/app-data"}
		},
		"logs and data volume": func(a *components.SelfHealingInstanceArgs) {
			a.DataVolume = &components.DataVolumeArgs{SizeGiB: 5}
			a.Logs = &components.LogsArgs{RetentionDays: pulumi.IntRef(7)}
		},
	}
	checked := 0
	for setName, set := range alarmSets {
		for otherName, other := range others {
			t.Run(setName+"/"+otherName, func(t *testing.T) {
				alarms := set
				args := &components.SelfHealingInstanceArgs{Notifications: &components.NotificationsArgs{}, Alarms: &alarms}
				other(args)
				if args.DataVolume == nil {
					alarms.DataDisk = nil
				}
				d := mustDeploy(t, args)
				read := agentAlarms(t, d)
				if len(read) == 0 {
					t.Fatal("no alarm reads the agent's metrics")
				}
				h, err := agentschema.ConfigFromBootScript(context.Background(), emulator.InstanceRoot(t.TempDir()), d.BootScript())
				if err != nil {
					t.Fatal(err)
				}
				if err := agentschema.Validate(h.Config); err != nil {
					t.Fatalf("the agent's schema refuses the configuration: %v\n%s", err, h.Config)
				}
				if missing := unread(t, read, h.Config); len(missing) > 0 {
					t.Errorf("the agent does not publish what these alarms read:\n%s\nconfiguration: %s", strings.Join(missing, "\n"), h.Config)
				}
				for _, a := range read {
					if _, ok := a.dimensions["InstanceId"]; ok || a.dimensions[userdata.GroupDimension] != d.Group()["name"] {
						t.Errorf("%s reads %v; want the group's name, no instance", a.name, a.dimensions)
					}
				}
				// What the agent is told to collect is what the alarms
				// read: no disk, no memory that no alarm watches.
				c, _ := agentschema.ParseConfig(h.Config)
				var wantPaths []string
				wantMem := false
				for _, a := range read {
					if a.metric == userdata.DiskUsedPercentMetric {
						wantPaths = append(wantPaths, a.dimensions[userdata.PathDimension])
					} else {
						wantMem = true
					}
				}
				slices.Sort(wantPaths)
				gotPaths := slices.Sorted(slices.Values(c.Metrics.MetricsCollected["disk"].Resources))
				_, gotMem := c.Metrics.MetricsCollected["mem"]
				if !slices.Equal(gotPaths, wantPaths) || gotMem != wantMem {
					t.Errorf("the agent collects disks %v and memory %v; the alarms read disks %v and memory %v", gotPaths, gotMem, wantPaths, wantMem)
				}
				checked++
			})
		}
	}
	t.Logf("%d stacks: the agent publishes every metric, namespace and dimension set each agent-fed alarm reads", checked)
}

// TestTheAlarmsContractCheckCanFail: the same check, on a boot script
// whose agent configuration is broken one way at a time, finds the alarms
// it leaves without data.
func TestTheAlarmsContractCheckCanFail(t *testing.T) {
	agentschema.RequireRoot(t)
	d := mustDeploy(t, &components.SelfHealingInstanceArgs{
		Notifications: &components.NotificationsArgs{}, Alarms: &components.AlarmsArgs{},
		DataVolume: &components.DataVolumeArgs{SizeGiB: 5, MountPath: "/srv/app-data"},
	})
	read := agentAlarms(t, d)
	script := d.BootScript()
	group := d.Group()["name"].(string)
	for name, breakIt := range map[string][2]string{
		"no roll-up by the group":       {`"aggregation_dimensions":[["AutoScalingGroupName"],["AutoScalingGroupName","path"]]`, `"aggregation_dimensions":[["InstanceId"]]`},
		"disks rolled up without paths": {`["AutoScalingGroupName","path"]`, `["AutoScalingGroupName","device"]`},
		"another namespace":             {`"namespace":"CWAgent"`, `"namespace":"SelfHealing"`},
		"the data volume not collected": {`"/srv/app-data"`, `"/srv"`},
		"memory's group misspelt":       {`"append_dimensions":{"AutoScalingGroupName":"` + group + `"}}`, `"append_dimensions":{"AutoScalingGroup":"` + group + `"}}`},
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
			missing := unread(t, read, h.Config)
			if len(missing) == 0 {
				t.Errorf("every alarm is still fed by the broken configuration:\n%s", h.Config)
			}
			t.Logf("found: %s", strings.Join(missing, "; "))
		})
	}
}

// TestPublishedFollowsTheAgentsAggregationRule: the rule, on its own: a
// roll-up is published only for a set of dimensions the metric carries
// all of, with exactly those; the per-instance metric keeps the host.
func TestPublishedFollowsTheAgentsAggregationRule(t *testing.T) {
	config := `{"agent":{"run_as_user":"root"},"metrics":{"namespace":"CWAgent","aggregation_dimensions":[["AutoScalingGroupName"],["AutoScalingGroupName","path"],["InstanceType"]],` +
		`"metrics_collected":{"mem":{"measurement":["used_percent"],"append_dimensions":{"AutoScalingGroupName":"g"}},` +
		`"disk":{"measurement":["disk_used_percent"],"resources":["/"],"drop_device":true,"append_dimensions":{"AutoScalingGroupName":"g"}}}}}`
	if err := agentschema.Validate([]byte(config)); err != nil {
		t.Fatalf("the example is not a valid configuration: %v", err)
	}
	c, err := agentschema.ParseConfig([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := agentschema.Published(c)
	if !ok {
		t.Fatal("no rule for mem or disk")
	}
	var lines []string
	for _, m := range got {
		lines = append(lines, m.Namespace+" "+m.Name+" "+fmt.Sprint(slices.Sorted(maps.Keys(m.Dimensions))))
	}
	slices.Sort(lines)
	want := []string{
		"CWAgent disk_used_percent [AutoScalingGroupName fstype host path]",
		"CWAgent disk_used_percent [AutoScalingGroupName path]",
		"CWAgent disk_used_percent [AutoScalingGroupName]",
		"CWAgent mem_used_percent [AutoScalingGroupName host]",
		"CWAgent mem_used_percent [AutoScalingGroupName]",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("published:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !agentschema.Publishes(got, "CWAgent", "disk_used_percent", map[string]string{"AutoScalingGroupName": "g", "path": "/"}) ||
		agentschema.Publishes(got, "CWAgent", "mem_used_percent", map[string]string{"AutoScalingGroupName": "g", "host": agentschema.Unknown}) ||
		agentschema.Publishes(got, "CWAgent", "mem_used_percent", map[string]string{"AutoScalingGroupName": "other"}) {
		t.Error("Publishes answers against the rule")
	}
}
