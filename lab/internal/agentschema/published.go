package agentschema

import (
	"maps"
	"slices"
	"strings"
)

// Metric is one metric the agent publishes: its namespace, name and
// dimensions. A dimension whose value only the instance knows (its host
// name, a file system's type) has the value Unknown.
type Metric struct {
	Namespace, Name string
	Dimensions      map[string]string
}

// Unknown stands for a dimension value that only the running instance
// knows.
const Unknown = "<known on the instance>"

// DefaultNamespace is the agent's namespace when the configuration names
// none.
const DefaultNamespace = "CWAgent"

// pluginDimensions are the dimensions the agent gives each plugin's
// metrics on Linux, besides "host" and append_dimensions: a disk's
// metrics carry its mount path, device and file system type; memory's
// carry none ("Metrics collected by the CloudWatch agent",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/metrics-collected-by-CloudWatch-agent.html).
// Only the plugins the boot script configures are listed: Published
// refuses any other.
var pluginDimensions = map[string][]string{
	"mem":  nil,
	"disk": {"path", "device", "fstype"},
}

// Published returns every metric the agent publishes for c's metrics
// section, by the agent's documented rules (CloudWatch agent
// configuration file, metrics section,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html):
//   - a measurement m of plugin p is published as "p_m" (a measurement may
//     be written with the prefix already), in "namespace", CWAgent by
//     default;
//   - each carries "host", the plugin's own dimensions (a disk's "path" is
//     one of its resources; drop_device leaves out "device") and the
//     plugin's append_dimensions;
//   - aggregation_dimensions: for each listed set of dimension names that
//     the metric carries all of, the agent also publishes the metric with
//     exactly those dimensions, rolled up over the rest.
//
// It returns false for a plugin it has no rule for.
func Published(c Config) ([]Metric, bool) {
	if c.Metrics == nil {
		return nil, true
	}
	namespace := c.Metrics.Namespace
	if namespace == "" {
		namespace = DefaultNamespace
	}
	var out []Metric
	for _, plugin := range slices.Sorted(maps.Keys(c.Metrics.MetricsCollected)) {
		own, known := pluginDimensions[plugin]
		if !known {
			return nil, false
		}
		p := c.Metrics.MetricsCollected[plugin]
		resources := []string{""}
		if slices.Contains(own, "path") {
			resources = p.Resources
		}
		for _, m := range p.Measurement {
			name := plugin + "_" + strings.TrimPrefix(m, plugin+"_")
			for _, resource := range resources {
				dims := map[string]string{"host": Unknown}
				for _, d := range own {
					switch {
					case d == "path":
						dims[d] = resource
					case d == "device" && p.DropDevice:
					default:
						dims[d] = Unknown
					}
				}
				maps.Copy(dims, p.AppendDimensions)
				out = append(out, Metric{Namespace: namespace, Name: name, Dimensions: dims})
				for _, set := range c.Metrics.AggregationDimensions {
					rolled := map[string]string{}
					for _, d := range set {
						if v, ok := dims[d]; ok {
							rolled[d] = v
						}
					}
					if len(rolled) == len(set) && !containsMetric(out, namespace, name, rolled) {
						out = append(out, Metric{Namespace: namespace, Name: name, Dimensions: rolled})
					}
				}
			}
		}
	}
	return out, true
}

func containsMetric(ms []Metric, namespace, name string, dims map[string]string) bool {
	return slices.ContainsFunc(ms, func(m Metric) bool {
		return m.Namespace == namespace && m.Name == name && maps.Equal(m.Dimensions, dims)
	})
}

// Publishes says whether ms holds the metric namespace/name with exactly
// dims, none of them Unknown: what a CloudWatch alarm, which names every
// dimension with its value, can read.
func Publishes(ms []Metric, namespace, name string, dims map[string]string) bool {
	for _, v := range dims {
		if v == Unknown {
			return false
		}
	}
	return containsMetric(ms, namespace, name, dims)
}
