package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// AlarmsArgs create CloudWatch alarms that publish to the notifications
// topic, each when its state changes, to ALARM and back to OK. Every alarm
// reads a metric of the Auto Scaling group, never of an instance, so that
// it follows the group across heals. An unset alarm is on, with its
// defaults, wherever it applies: the CPU credits alarm on a burstable
// instance type (t2, t3, t3a, t4g), the data disk alarm with a data volume.
type AlarmsArgs struct {
	// NoInstanceInService fires when fewer instances are in service than
	// the group wants (none, for a group of one, outside its scheduled
	// off hours) for the whole window, the period times the evaluation
	// periods: a heal loop, a launch that keeps failing. It reads the
	// group's own metrics, which the group then publishes. It takes no
	// threshold.
	NoInstanceInService *AlarmArgs `pulumi:"noInstanceInService,optional"`
	// StatusCheckFailed fires when the instance fails an EC2 status
	// check (the group's status check metric in AWS/EC2). It takes no
	// threshold.
	StatusCheckFailed *AlarmArgs `pulumi:"statusCheckFailed,optional"`
	// CPUCredits fires when the instance's CPU credit balance falls below
	// the threshold, in credits. Only when every type the group may
	// launch ([SelfHealingInstanceArgs.InstanceType], and
	// [SelfHealingInstanceArgs.SpotInstanceTypes] with Spot) is
	// burstable.
	CPUCredits *AlarmArgs `pulumi:"cpuCredits,optional"`
	// RootDisk fires when the root file system is fuller than the
	// threshold, in percent. The CloudWatch agent publishes its use.
	RootDisk *AlarmArgs `pulumi:"rootDisk,optional"`
	// DataDisk fires when the data volume's file system is fuller than
	// the threshold, in percent. Only with a data volume. The CloudWatch
	// agent publishes its use.
	DataDisk *AlarmArgs `pulumi:"dataDisk,optional"`
	// Memory fires when more of the memory is in use than the
	// threshold, in percent. The CloudWatch agent publishes its use.
	Memory *AlarmArgs `pulumi:"memory,optional"`
}

// AlarmArgs tune one alarm. The alarm fires when each of
// [AlarmArgs.EvaluationPeriods] consecutive periods of
// [AlarmArgs.PeriodSeconds] breaches [AlarmArgs.Threshold].
type AlarmArgs struct {
	// Disabled leaves the alarm out (and, for the agent's alarms, what
	// the agent would publish only for it).
	Disabled bool `pulumi:"disabled,optional"`
	// Threshold is the alarm's limit, in the alarm's unit (percent,
	// credits). Nil means the alarm's default.
	Threshold *int `pulumi:"threshold,optional"`
	// PeriodSeconds is the length of one period, a multiple of 60. Nil
	// means the alarm's default.
	PeriodSeconds *int `pulumi:"periodSeconds,optional"`
	// EvaluationPeriods is how many consecutive periods must breach. Nil
	// means the alarm's default.
	EvaluationPeriods *int `pulumi:"evaluationPeriods,optional"`
}

// alarmKind is what one alarm reads and how, and the rules for its
// settings: each alarm's defaults and ranges, in one place.
type alarmKind struct {
	// field is the alarm's key under alarms; suffix names it in AWS,
	// after the group's name.
	field, suffix string
	// get picks the alarm's arguments.
	get func(AlarmsArgs) *AlarmArgs
	// unit names the threshold's unit; "" means the alarm takes none.
	unit                       string
	threshold, minT, maxT      int
	period, minPeriod, periods int
	// applies says whether the alarm can exist for these arguments, and
	// if not, why not.
	applies func(SelfHealingInstanceArgs) (bool, string)
}

// The limits CloudWatch puts on a metric alarm (PutMetricAlarm,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):
// a standard-resolution period is a multiple of 60 seconds, and the
// evaluation periods times the period may not exceed a day.
const (
	alarmPeriodStep   = 60
	alarmMaxWindow    = 86400
	burstableFamilies = "t2 t3 t3a t4g"
)

// isBurstable says whether instanceType earns CPU credits: the T2, T3,
// T3a and T4g families (EC2 User Guide, "Burstable performance instances",
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-performance-instances.html).
func isBurstable(instanceType string) bool {
	family, _, _ := strings.Cut(instanceType, ".")
	return slices.Contains(strings.Fields(burstableFamilies), family)
}

func always(SelfHealingInstanceArgs) (bool, string) { return true, "" }

// alarmKinds are the alarms, in the order they are created.
var alarmKinds = []alarmKind{
	{
		field: "noInstanceInService", suffix: "no-instance-in-service",
		get: func(a AlarmsArgs) *AlarmArgs { return a.NoInstanceInService },
		// 15 minutes by default, or the launch gate's timeout and 5
		// minutes more if that is longer (defaultPeriods): a heal takes
		// a few minutes, and the gate lets a boot take up to its
		// timeout.
		period: 60, minPeriod: 60, periods: 15, applies: always,
	},
	{
		field: "statusCheckFailed", suffix: "status-check-failed",
		get: func(a AlarmsArgs) *AlarmArgs { return a.StatusCheckFailed },
		// Status check metrics are published every minute with basic
		// monitoring, and EC2 publishes its metrics of a group's
		// instances by AutoScalingGroupName too, with basic or detailed
		// monitoring (EC2 User Guide, "Status check metrics" and
		// "Amazon EC2 metric dimensions",
		// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html).
		period: 60, minPeriod: 60, periods: 3, applies: always,
	},
	{
		field: "cpuCredits", suffix: "cpu-credits-low",
		get: func(a AlarmsArgs) *AlarmArgs { return a.CPUCredits },
		// 100000 catches a typo: no burstable type accrues that many.
		unit: "credits", threshold: 20, minT: 1, maxT: 100000,
		// CPU credit metrics are available at a five-minute frequency
		// only (EC2 User Guide, "CPU credit metrics", the page above): a
		// shorter period would have no data.
		period: 300, minPeriod: 300, periods: 3,
		// Every type the group may launch must earn credits: on another,
		// the alarm would have no data.
		applies: func(a SelfHealingInstanceArgs) (bool, string) {
			types := []string{a.InstanceType}
			if a.Spot {
				types = append(types, a.SpotInstanceTypes...)
			}
			for i, t := range types {
				if !isBurstable(t) {
					field := "instanceType"
					if i > 0 {
						field = fmt.Sprintf("spotInstanceTypes[%d]", i-1)
					}
					return false, fmt.Sprintf("%s %s earns no CPU credits (only the %s families do)", field, t, burstableFamilies)
				}
			}
			return true, ""
		},
	},
	{
		field: "rootDisk", suffix: "root-disk-full",
		get:  func(a AlarmsArgs) *AlarmArgs { return a.RootDisk },
		unit: "percent", threshold: 90, minT: 1, maxT: 99,
		// The agent publishes every minute, its default interval.
		period: 60, minPeriod: 60, periods: 5, applies: always,
	},
	{
		field: "dataDisk", suffix: "data-disk-full",
		get:  func(a AlarmsArgs) *AlarmArgs { return a.DataDisk },
		unit: "percent", threshold: 90, minT: 1, maxT: 99,
		period: 60, minPeriod: 60, periods: 5,
		applies: func(a SelfHealingInstanceArgs) (bool, string) {
			if a.DataVolume != nil {
				return true, ""
			}
			return false, "there is no dataVolume"
		},
	},
	{
		field: "memory", suffix: "memory-high",
		get:  func(a AlarmsArgs) *AlarmArgs { return a.Memory },
		unit: "percent", threshold: 90, minT: 1, maxT: 99,
		period: 60, minPeriod: 60, periods: 5, applies: always,
	},
}

// validateAlarms checks the alarms option against the rest of the
// arguments: it needs notifications, whose topic the alarms publish to;
// an alarm set explicitly must apply; and each setting must be in range.
func (a SelfHealingInstanceArgs) validateAlarms() []error {
	if a.Alarms == nil {
		return nil
	}
	var errs []error
	if a.Notifications == nil {
		errs = append(errs, fmt.Errorf("alarms: need notifications, the topic the alarms publish to; set notifications ({} creates a topic), or remove alarms"))
	}
	for _, k := range alarmKinds {
		args := k.get(*a.Alarms)
		if args == nil || args.Disabled {
			continue
		}
		bad := func(format string, v ...any) {
			errs = append(errs, fmt.Errorf("alarms."+k.field+"."+format, v...))
		}
		if ok, why := k.applies(a); !ok {
			errs = append(errs, fmt.Errorf("alarms.%s: does not apply: %s; remove it, or set disabled", k.field, why))
		}
		switch t := args.Threshold; {
		case t == nil:
		case k.unit == "":
			bad("threshold %d: this alarm takes no threshold; remove it", *t)
		case *t < k.minT || *t > k.maxT:
			bad("threshold %d: want %d to %d %s", *t, k.minT, k.maxT, k.unit)
		}
		period := k.period
		if p := args.PeriodSeconds; p != nil {
			period = *p
			if *p < k.minPeriod || *p > alarmMaxWindow || *p%alarmPeriodStep != 0 {
				bad("periodSeconds %d: want a multiple of %d from %d to %d", *p, alarmPeriodStep, k.minPeriod, alarmMaxWindow)
				continue
			}
		}
		if n := args.EvaluationPeriods; n != nil && (*n < 1 || *n*period > alarmMaxWindow) {
			bad("evaluationPeriods %d: want 1 to %d, so that evaluationPeriods × periodSeconds (%d) is at most a day (%d seconds)",
				*n, alarmMaxWindow/period, period, alarmMaxWindow)
		}
	}
	return errs
}

// alarmMetric is one metric an alarm reads: its namespace, name and
// dimensions, and the statistic over each period.
type alarmMetric struct {
	Namespace, Name, Statistic string
	Dimensions                 map[string]string
}

// alarmSpec is one alarm, as CloudWatch takes it, computed from the plan.
type alarmSpec struct {
	// Field is the alarm's key under alarms; Suffix names its resource
	// and, after the group's name, the alarm.
	Field, Suffix string
	// Name is the alarm's name in CloudWatch.
	Name, Description string
	// Metric is what a single-metric alarm reads; nil for Math.
	Metric *alarmMetric
	// Math, when set, is a metric math alarm: Expression over Metrics,
	// by id.
	Expression string
	Metrics    map[string]alarmMetric

	Comparison        string
	Threshold         float64
	Period            int
	EvaluationPeriods int
	// TreatMissingData is CloudWatch's: "breaching", "notBreaching".
	TreatMissingData string
}

// Group metrics the no-instance alarm reads (EC2 Auto Scaling User Guide,
// "Amazon CloudWatch metrics for Amazon EC2 Auto Scaling",
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html):
// once enabled, at one-minute granularity at no additional charge, sent
// every minute on a best-effort basis.
const (
	autoScalingNamespace = "AWS/AutoScaling"
	ec2Namespace         = "AWS/EC2"
	// GroupMetricsGranularity is the one granularity Auto Scaling
	// publishes group metrics at.
	GroupMetricsGranularity = "1Minute"
)

// GroupMetrics are the group metrics the group publishes when the
// no-instance alarm is on: what the alarm reads, and nothing else.
var GroupMetrics = []string{"GroupDesiredCapacity", "GroupInServiceInstances"}

// planAlarms returns the alarms for a, with defaults applied, whose group
// is groupName: none without the alarms option, and of the rest those
// that apply and are not disabled. It is a pure function.
func planAlarms(a SelfHealingInstanceArgs, groupName string) []alarmSpec {
	if a.Alarms == nil {
		return nil
	}
	group := map[string]string{userdata.GroupDimension: groupName}
	var specs []alarmSpec
	for _, k := range alarmKinds {
		args := k.get(*a.Alarms)
		if args == nil {
			args = &AlarmArgs{}
		}
		if ok, _ := k.applies(a); !ok || args.Disabled {
			continue
		}
		s := alarmSpec{
			Field:     k.field,
			Suffix:    k.suffix,
			Name:      alarmName(groupName, k.suffix),
			Threshold: float64(*orDefault(args.Threshold, k.threshold)),
			Period:    *orDefault(args.PeriodSeconds, k.period),
			// An instance-fed metric has no data while there is no
			// instance: during a heal, and in a schedule's off hours.
			// That is not a failure of what the alarm watches, and the
			// no-instance alarm covers the instance being gone.
			TreatMissingData: "notBreaching",
		}
		s.EvaluationPeriods = *orDefault(args.EvaluationPeriods, defaultPeriods(k, a, s.Period))
		minutes := s.Period * s.EvaluationPeriods / 60
		agent := func(name string, dims map[string]string) *alarmMetric {
			return &alarmMetric{Namespace: userdata.CloudWatchAgentNamespace, Name: name, Statistic: "Maximum", Dimensions: dims}
		}
		switch k.field {
		case "noInstanceInService":
			// In service below desired, rather than in service below 1,
			// so that a schedule's off hours (desired 0) do not alarm.
			// The largest in-service count of a minute against the
			// smallest desired count: a minute with an instance in
			// service, or with nothing wanted, does not breach.
			s.Expression = "desired - inService"
			s.Metrics = map[string]alarmMetric{
				"desired":   {Namespace: autoScalingNamespace, Name: "GroupDesiredCapacity", Statistic: "Minimum", Dimensions: group},
				"inService": {Namespace: autoScalingNamespace, Name: "GroupInServiceInstances", Statistic: "Maximum", Dimensions: group},
			}
			s.Comparison, s.Threshold = "GreaterThanThreshold", 0
			// Auto Scaling publishes both every minute, instance or
			// not: no data means the group no longer reports (its
			// metrics were turned off, or it is gone), and then
			// nothing shows that an instance is in service.
			s.TreatMissingData = "breaching"
			s.Description = fmt.Sprintf("No instance of %s has been in service, while the group wants one, for %d minutes: a heal loop or a launch that keeps failing. See the group's activity history and the boot log.", groupName, minutes)
		case "statusCheckFailed":
			s.Metric = &alarmMetric{Namespace: ec2Namespace, Name: "StatusCheckFailed", Statistic: "Maximum", Dimensions: group}
			s.Comparison, s.Threshold = "GreaterThanOrEqualToThreshold", 1
			s.Description = fmt.Sprintf("The instance of %s has failed an EC2 status check for %d minutes; the group replaces an impaired instance. See the instance's status checks and console output.", groupName, minutes)
		case "cpuCredits":
			s.Metric = &alarmMetric{Namespace: ec2Namespace, Name: "CPUCreditBalance", Statistic: "Minimum", Dimensions: group}
			s.Comparison = "LessThanThreshold"
			s.Description = fmt.Sprintf("The instance of %s has had fewer than %g CPU credits for %d minutes: it is throttled to its baseline (standard mode) or pays for surplus credits (unlimited mode).", groupName, s.Threshold, minutes)
		case "rootDisk":
			s.Metric = agent(userdata.DiskUsedPercentMetric, withDimension(group, userdata.PathDimension, "/"))
			s.Comparison = "GreaterThanThreshold"
			s.Description = fmt.Sprintf("The root file system of %s has been over %g%% full for %d minutes.", groupName, s.Threshold, minutes)
		case "dataDisk":
			mount := a.DataVolume.MountPath
			s.Metric = agent(userdata.DiskUsedPercentMetric, withDimension(group, userdata.PathDimension, mount))
			s.Comparison = "GreaterThanThreshold"
			s.Description = fmt.Sprintf("The data volume of %s, on %s, has been over %g%% full for %d minutes.", groupName, mount, s.Threshold, minutes)
		case "memory":
			s.Metric = agent(userdata.MemoryUsedPercentMetric, group)
			s.Comparison = "GreaterThanThreshold"
			s.Description = fmt.Sprintf("Over %g%% of the memory of %s's instance has been in use for %d minutes.", s.Threshold, groupName, minutes)
		}
		specs = append(specs, s)
	}
	return specs
}

// maxAlarmNameLength is CloudWatch's limit on an alarm's name
// (PutMetricAlarm, AlarmName).
const maxAlarmNameLength = 255

// alarmName is "<group name>-<suffix>". A group's name may take up to 255
// characters itself; then the group's name is cut and ends in a hash of
// the whole, as AutoScalingGroupName does, so that alarms of distinct
// groups keep distinct names.
func alarmName(groupName, suffix string) string {
	name := groupName + "-" + suffix
	if len(name) <= maxAlarmNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(groupName))
	hash := "-" + hex.EncodeToString(sum[:])[:16]
	return groupName[:maxAlarmNameLength-len(hash)-1-len(suffix)] + hash + "-" + suffix
}

// defaultPeriods is k's default evaluation periods for periods of period
// seconds. The no-instance alarm waits for as long as the launch gate lets
// a boot take and 5 minutes more, so that one slow boot, which the gate
// allows, is not an alarm; and for k.periods default periods (15 minutes)
// at least, whatever the period.
func defaultPeriods(k alarmKind, a SelfHealingInstanceArgs, period int) int {
	if k.field != "noInstanceInService" {
		return k.periods
	}
	window := k.periods * k.period
	if a.LaunchGateTimeoutSeconds != nil {
		window = max(window, *a.LaunchGateTimeoutSeconds+300)
	}
	return (window + period - 1) / period
}

func withDimension(dims map[string]string, name, value string) map[string]string {
	out := maps.Clone(dims)
	out[name] = value
	return out
}

// agentMetrics are what the CloudWatch agent must publish for alarms, or
// nil when no alarm reads the agent's metrics.
func agentMetrics(alarms []alarmSpec) *userdata.AgentMetricsParams {
	var m userdata.AgentMetricsParams
	for _, s := range alarms {
		if s.Metric == nil || s.Metric.Namespace != userdata.CloudWatchAgentNamespace {
			continue
		}
		switch s.Metric.Name {
		case userdata.MemoryUsedPercentMetric:
			m.Memory = true
		case userdata.DiskUsedPercentMetric:
			m.DiskPaths = append(m.DiskPaths, s.Metric.Dimensions[userdata.PathDimension])
		}
	}
	if !m.Memory && len(m.DiskPaths) == 0 {
		return nil
	}
	return &m
}

// groupMetrics are the group's enabledMetrics and metricsGranularity:
// what the no-instance alarm reads, or nothing without it.
func (p *plan) groupMetrics() (pulumi.StringArrayInput, pulumi.StringPtrInput) {
	for _, s := range p.alarms {
		if s.Field == "noInstanceInService" {
			return pulumi.ToStringArray(GroupMetrics), pulumi.String(GroupMetricsGranularity)
		}
	}
	return nil, nil
}

// alarms creates the plan's alarms, each publishing to topicArn when it
// goes into ALARM and when it is OK again.
func (b *builder) alarms(topicArn pulumi.StringOutput) error {
	for _, s := range b.p.alarms {
		args := &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(s.Name),
			AlarmDescription:   pulumi.String(s.Description),
			ComparisonOperator: pulumi.String(s.Comparison),
			Threshold:          pulumi.Float64(s.Threshold),
			EvaluationPeriods:  pulumi.Int(s.EvaluationPeriods),
			TreatMissingData:   pulumi.String(s.TreatMissingData),
			AlarmActions:       pulumi.Array{topicArn},
			OkActions:          pulumi.Array{topicArn},
			Tags:               b.p.flows.tags,
		}
		if m := s.Metric; m != nil {
			args.Namespace, args.MetricName, args.Statistic = pulumi.String(m.Namespace), pulumi.String(m.Name), pulumi.String(m.Statistic)
			args.Dimensions = pulumi.ToStringMap(m.Dimensions)
			args.Period = pulumi.Int(s.Period)
		} else {
			queries := cloudwatch.MetricAlarmMetricQueryArray{cloudwatch.MetricAlarmMetricQueryArgs{
				Id: pulumi.String("e"), Expression: pulumi.String(s.Expression), ReturnData: pulumi.Bool(true),
			}}
			for _, id := range slices.Sorted(maps.Keys(s.Metrics)) {
				m := s.Metrics[id]
				queries = append(queries, cloudwatch.MetricAlarmMetricQueryArgs{
					Id: pulumi.String(id),
					Metric: cloudwatch.MetricAlarmMetricQueryMetricArgs{
						Namespace: pulumi.String(m.Namespace), MetricName: pulumi.String(m.Name), Stat: pulumi.String(m.Statistic),
						Dimensions: pulumi.ToStringMap(m.Dimensions), Period: pulumi.Int(s.Period),
					},
				})
			}
			args.MetricQueries = queries
		}
		if _, err := cloudwatch.NewMetricAlarm(b.ctx, b.p.name+"-"+s.Suffix, args, b.parent); err != nil {
			return fmt.Errorf("creating the %s alarm: %w", s.Field, err)
		}
	}
	return nil
}
