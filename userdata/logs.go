package userdata

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
)

// CloudInitOutputLog is where cloud-init writes the output of user data,
// including this script's stderr and the user script's output.
const CloudInitOutputLog = "/var/log/cloud-init-output.log"

// CloudWatchAgentConfigFile is where the boot script writes the agent's
// configuration before handing it to amazon-cloudwatch-agent-ctl.
const CloudWatchAgentConfigFile = "/var/lib/selfhealing/cloudwatch-agent.json"

// LogsParams make the script install and start the Amazon CloudWatch agent,
// shipping its own log, cloud-init's output and ExtraFiles to a log group.
type LogsParams struct {
	// LogGroupName is the existing log group to ship to. The instance may
	// create streams in it, not groups.
	LogGroupName string
	// ExtraFiles are more absolute file paths to ship, one stream each.
	ExtraFiles []string
}

// MaxExtraLogFiles bounds LogsParams.ExtraFiles: each is a stream per
// instance.
const MaxExtraLogFiles = 20

// maxLogFileBytes keeps "{instance_id}<path>", the stream name, within
// CloudWatch Logs' 512 characters once the agent puts in the instance id.
const maxLogFileBytes = 490

// logFilePattern keeps a file path usable as part of a log stream name,
// which may not contain ':' or '*', and as a literal, not a glob, for the
// agent.
var logFilePattern = regexp.MustCompile(`^(/[A-Za-z0-9._@+-]+)+$`)

// ExtraLogFilesProblem says what is wrong with shipping n extra files, or
// "".
func ExtraLogFilesProblem(n int) string {
	if n > MaxExtraLogFiles {
		return fmt.Sprintf("%d files; want at most %d", n, MaxExtraLogFiles)
	}
	return ""
}

// ExtraLogFileProblem says what is wrong with files[i] as one more file
// for the agent to ship, or "": a clean absolute path, a literal that can
// name a stream, not shipped already (LogFile, CloudInitOutputLog, or
// listed before it).
func ExtraLogFileProblem(files []string, i int) string {
	f := files[i]
	switch {
	case len(f) > maxLogFileBytes || !logFilePattern.MatchString(f) || path.Clean(f) != f:
		return fmt.Sprintf("want a clean absolute path of at most %d of A-Z a-z 0-9 . _ @ + - /, such as /var/log/app.log (no globs: the path names the stream)",
			maxLogFileBytes)
	case f == LogFile || f == CloudInitOutputLog || slices.Contains(files[:i], f):
		return fmt.Sprintf("already shipped; %s and %s always are, and a file is listed once", LogFile, CloudInitOutputLog)
	}
	return ""
}

// LogFiles returns every file the agent ships: the boot script's log,
// cloud-init's output, then ExtraFiles in order, without repeats.
func (l LogsParams) LogFiles() []string {
	files := []string{LogFile, CloudInitOutputLog}
	for _, f := range l.ExtraFiles {
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	return files
}

// LogStreamName is the stream a file's lines go to: one per instance and
// file, such as "i-0123456789abcdef0/var/log/cloud-init-output.log". The
// agent replaces {instance_id} on the instance.
func LogStreamName(file string) string {
	return "{instance_id}" + file
}

// cloudWatchAgentConfig is the part of the agent's configuration file
// schema this component uses.
type cloudWatchAgentConfig struct {
	Agent struct {
		// RunAsUser is root so the agent can read root's 0600 logs, such
		// as the boot script's.
		RunAsUser string `json:"run_as_user"`
	} `json:"agent"`
	Metrics *metricsSection `json:"metrics,omitempty"`
	Logs    *logsSection    `json:"logs,omitempty"`
}

type logsSection struct {
	LogsCollected struct {
		Files struct {
			CollectList []collectedFile `json:"collect_list"`
		} `json:"files"`
	} `json:"logs_collected"`
}

type collectedFile struct {
	FilePath      string `json:"file_path"`
	LogGroupName  string `json:"log_group_name"`
	LogStreamName string `json:"log_stream_name"`
}

// logsSectionFor is what the logs section ships: files, to group.
type logsSectionFor struct {
	group string
	files []string
}

// AgentConfig returns the agent configuration, as JSON, for p's Logs and
// AgentMetrics, those that are not nil: the logs section ships LogFiles,
// the metrics section publishes what AgentMetrics asks for, under the
// group's name.
func (p Params) AgentConfig() (string, error) {
	var logs *logsSectionFor
	if l := p.Logs; l != nil {
		logs = &logsSectionFor{l.LogGroupName, l.LogFiles()}
	}
	return agentConfig(logs, p.AgentMetrics, p.GroupName)
}

func agentConfig(logs *logsSectionFor, metrics *AgentMetricsParams, groupName string) (string, error) {
	var c cloudWatchAgentConfig
	c.Agent.RunAsUser = "root"
	if logs != nil {
		c.Logs = &logsSection{}
		c.Logs.LogsCollected.Files.CollectList = []collectedFile{}
		for _, f := range logs.files {
			c.Logs.LogsCollected.Files.CollectList = append(c.Logs.LogsCollected.Files.CollectList,
				collectedFile{FilePath: f, LogGroupName: logs.group, LogStreamName: LogStreamName(f)})
		}
	}
	if metrics != nil {
		c.Metrics = metrics.section(groupName)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("marshalling the CloudWatch agent configuration: %w", err)
	}
	return string(b), nil
}

// AgentConfig returns the agent configuration, as JSON, for these
// parameters alone: it ships LogFiles to LogGroupName, one stream per
// instance and file, and sets no retention_in_days, so the agent never
// calls logs:PutRetentionPolicy: the stack owns the group's retention.
func (l LogsParams) AgentConfig() (string, error) {
	return Params{Logs: &l}.AgentConfig()
}
