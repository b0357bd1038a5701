package userdata

import (
	"fmt"
	"path"
	"regexp"
	"slices"
)

// CloudWatchAgentNamespace is the CloudWatch namespace the agent publishes
// its metrics in: its default, CWAgent ("namespace" in the metrics section,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html),
// written out so that the configuration, the alarms and the instance
// role's cloudwatch:namespace condition name the same one.
const CloudWatchAgentNamespace = "CWAgent"

// GroupDimension is the dimension the agent's metrics carry the Auto
// Scaling group's name in, as AWS/EC2's and AWS/AutoScaling's do.
const GroupDimension = "AutoScalingGroupName"

// PathDimension is the dimension of the agent's disk metrics that holds the
// mount path.
const PathDimension = "path"

// The metrics the agent publishes, named as the agent names them: the
// plugin, "_", the measurement ("Metrics collected by the CloudWatch agent",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/metrics-collected-by-CloudWatch-agent.html).
const (
	MemoryUsedPercentMetric = "mem_used_percent"
	DiskUsedPercentMetric   = "disk_used_percent"
)

// AgentMetricsParams make the CloudWatch agent publish the memory and disk
// use that the component's alarms read, under the group's name rather than
// the instance's id, which changes at every heal.
type AgentMetricsParams struct {
	// DiskPaths are the mount paths whose used space is published, such
	// as "/" and the data volume's.
	DiskPaths []string
	// Memory publishes the memory in use.
	Memory bool
}

// groupNamePattern is what EC2 Auto Scaling takes as a group name (1 to
// 255 characters) less the characters that would need escaping anywhere
// the name lands.
var groupNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)

func (m AgentMetricsParams) validate() []error {
	var errs []error
	if !m.Memory && len(m.DiskPaths) == 0 {
		errs = append(errs, fmt.Errorf("agent metrics: neither memory nor a disk; leave AgentMetrics nil instead"))
	}
	for i, p := range m.DiskPaths {
		if !mountPathPattern.MatchString(p) && p != "/" || path.Clean(p) != p || slices.Contains(m.DiskPaths[:i], p) {
			errs = append(errs, fmt.Errorf("agent metrics disk path %q: want a clean absolute path of A-Z a-z 0-9 . _ - /, listed once", p))
		}
	}
	return errs
}

// metricsSection is the part of the agent configuration's "metrics"
// section this package writes.
type metricsSection struct {
	Namespace string `json:"namespace"`
	// AggregationDimensions has the agent publish each metric once more
	// with only these dimensions, the ones the alarms name.
	AggregationDimensions [][]string `json:"aggregation_dimensions"`
	Collected             struct {
		Mem  *collectedMetric `json:"mem,omitempty"`
		Disk *collectedMetric `json:"disk,omitempty"`
	} `json:"metrics_collected"`
}

type collectedMetric struct {
	Measurement []string `json:"measurement"`
	Resources   []string `json:"resources,omitempty"`
	// DropDevice leaves the device name out of the disk metrics'
	// dimensions: it changes with the instance type (xvda, nvme0n1).
	DropDevice bool `json:"drop_device,omitempty"`
	// AppendDimensions puts the group's name on the plugin's metrics.
	AppendDimensions map[string]string `json:"append_dimensions"`
}

// section returns m as the agent's metrics section.
//
// The group's name is written in, as a plugin's append_dimensions, which
// take any key and value, rather than the metrics section's
// {"AutoScalingGroupName": "${aws:AutoScalingGroupName}"}, which the agent
// resolves from the instance's aws:autoscaling:groupName tag through
// ec2:DescribeTags (its ec2tagger,
// https://github.com/aws/amazon-cloudwatch-agent/blob/main/plugins/processors/ec2tagger/README.md):
// the name is known when the script is rendered, so the instance needs no
// permission to read every instance's tags, and a metric never goes out
// without it.
//
// Each metric then also carries "host" (and a disk's "fstype"), which
// change with the instance; aggregation_dimensions has the agent publish
// it once more with only the dimensions named there: the group's name for
// memory, the group's name and the path for a disk.
func (m AgentMetricsParams) section(groupName string) *metricsSection {
	s := &metricsSection{Namespace: CloudWatchAgentNamespace}
	group := map[string]string{GroupDimension: groupName}
	if m.Memory {
		s.AggregationDimensions = append(s.AggregationDimensions, []string{GroupDimension})
		s.Collected.Mem = &collectedMetric{Measurement: []string{"used_percent"}, AppendDimensions: group}
	}
	if len(m.DiskPaths) > 0 {
		s.AggregationDimensions = append(s.AggregationDimensions, []string{GroupDimension, PathDimension})
		s.Collected.Disk = &collectedMetric{Measurement: []string{"used_percent"}, Resources: slices.Clone(m.DiskPaths), DropDevice: true, AppendDimensions: group}
	}
	return s
}
