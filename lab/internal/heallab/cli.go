package heallab

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// retrySettings are the environment variables that change the AWS CLI's
// retries. A fresh Amazon Linux 2023 instance sets none of them, so the
// harness gives an instance none: the seed runs with the CLI's defaults, and
// our boot script with exactly what it exports itself.
var retrySettings = []string{"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"}

func isRetrySetting(name string) bool {
	for _, s := range retrySettings {
		if name == s {
			return true
		}
	}
	return false
}

// ScriptRetrySettings returns the CLI retry settings script exports
// itself ("AWS_RETRY_MODE=standard"), each variable once, last value kept.
func ScriptRetrySettings(script []byte) []string {
	seen := map[string]int{}
	var out []string
	for _, line := range strings.Split(string(script), "\n") {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "export ") && !strings.HasPrefix(trimmed, "AWS_") {
			continue
		}
		for _, field := range strings.Fields(strings.TrimPrefix(trimmed, "export ")) {
			name, _, ok := strings.Cut(field, "=")
			if !ok || !isRetrySetting(name) {
				continue
			}
			if i, dup := seen[name]; dup {
				out[i] = field
				continue
			}
			seen[name] = len(out)
			out = append(out, field)
		}
	}
	return out
}

// CLIRetry is how the AWS CLI on the instance retries, as the CLI itself
// shows it.
type CLIRetry struct {
	// Version is `aws --version`.
	Version string
	// Env is the retry settings in the CLI's environment ("NAME=value").
	Env []string
	// Configured is what `aws configure get retry_mode` and `max_attempts`
	// answer ("" when the config sets none).
	ConfiguredMode, ConfiguredAttempts string
	// Mode is the retry handler the CLI's debug log shows: "standard",
	// "legacy" or "adaptive".
	Mode string
	// Attempts is how many requests the API proxy saw for one command
	// whose every request was answered 503.
	Attempts int
}

func (c CLIRetry) String() string {
	env := "none"
	if len(c.Env) > 0 {
		env = strings.Join(c.Env, " ")
	}
	return fmt.Sprintf("%s; retry settings in the environment: %s; `aws configure get retry_mode`/`max_attempts`: %q/%q; retry mode %s, %d attempts for a call answered 503 every time",
		c.Version, env, c.ConfiguredMode, c.ConfiguredAttempts, c.Mode, c.Attempts)
}

// ProbeCLI asks the AWS CLI, in the environment the lab gives an
// instance's boot plus extra (the settings a script exports), which version
// it is and how it retries: it reads `aws --version` and `aws configure
// get`, then makes one DescribeAddresses call that the API proxy answers
// 503 every time, and counts the requests and reads the --debug log. The
// proxy's faults are reset before and after.
func (l *Lab) ProbeCLI(ctx context.Context, extra []string) (c CLIRetry, err error) {
	dir, err := l.newInstanceDir("cli-probe")
	if err != nil {
		return c, err
	}
	env, aws, closeEnv, err := l.instanceCLI(ctx, dir)
	if err != nil {
		return c, err
	}
	defer func() { err = errors.Join(err, closeEnv()) }()
	env = append(env, extra...)
	for _, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); isRetrySetting(name) {
			c.Env = append(c.Env, kv)
		}
	}
	version, err := emulator.RunCommand(ctx, env, aws, "--version")
	if err != nil || version.ExitCode != 0 {
		return c, fmt.Errorf("aws --version (%v):\n%s", err, version)
	}
	c.Version = strings.TrimSpace(version.Stdout + version.Stderr)
	for _, q := range []struct {
		key string
		to  *string
	}{{"retry_mode", &c.ConfiguredMode}, {"max_attempts", &c.ConfiguredAttempts}} {
		// Exit 1 with no output: the config does not set it.
		res, err := emulator.RunCommand(ctx, env, aws, "configure", "get", q.key)
		if err != nil {
			return c, fmt.Errorf("aws configure get %s: %w", q.key, err)
		}
		*q.to = strings.TrimSpace(res.Stdout)
	}

	l.API.Reset()
	defer l.API.Reset()
	l.API.ServerErrorFirst("DescribeAddresses", 1_000_000)
	res, err := emulator.RunCommand(ctx, env, aws, "--debug", "ec2", "describe-addresses", "--region", l.Region)
	if err != nil {
		return c, fmt.Errorf("the retry probe: %w", err)
	}
	if res.ExitCode == 0 {
		return c, fmt.Errorf("the retry probe succeeded through a proxy that answers 503 to every request:\n%s", res)
	}
	c.Attempts = l.API.Calls("DescribeAddresses")
	c.Mode = retryModeFromDebug(res.Stderr)
	if c.Mode == "" {
		return c, fmt.Errorf("the CLI's debug log names no retry handler:\n%s", truncate(res.Stderr, 4000))
	}
	return c, nil
}

// retryModeFromDebug names the retry handler botocore's debug log shows:
// botocore.retryhandler is the legacy mode's, botocore.retries.standard
// the standard mode's, botocore.retries.adaptive the adaptive mode's (on
// top of standard's).
func retryModeFromDebug(log string) string {
	switch {
	case strings.Contains(log, "botocore.retries.adaptive"):
		return "adaptive"
	case strings.Contains(log, "botocore.retries.standard"):
		return "standard"
	case strings.Contains(log, "botocore.retryhandler"):
		return "legacy"
	}
	return ""
}
