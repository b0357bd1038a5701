// Package agentschema checks a CloudWatch agent configuration against the
// agent's own JSON schema (testdata/amazon-cloudwatch-agent-schema.json,
// copied from aws/amazon-cloudwatch-agent; see testdata/README.md), and
// gets the configuration a rendered boot script hands the agent by running
// the script's own code for it with bash. The agent cannot run here; this
// is the contract it checks first.
package agentschema

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

//go:embed testdata/amazon-cloudwatch-agent-schema.json
var schemaJSON []byte

// SchemaURL is the schema's upstream path, the name it is compiled under.
const SchemaURL = "https://github.com/aws/amazon-cloudwatch-agent/blob/ab55b8daa204e95c42c0267ee5aa49ec3b3a7317/translator/config/schema.json"

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
)

func schema() (*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			compileErr = fmt.Errorf("the agent's schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		// The schema says draft-04 in its $schema; say it here too, so
		// that a schema without it is not read as another draft.
		c.DefaultDraft(jsonschema.Draft4)
		if err := c.AddResource(SchemaURL, doc); err != nil {
			compileErr = fmt.Errorf("the agent's schema: %w", err)
			return
		}
		compiled, compileErr = c.Compile(SchemaURL)
	})
	return compiled, compileErr
}

// Validate returns nil if config is JSON the agent's schema accepts, and
// otherwise says where and why it does not.
func Validate(config []byte) error {
	s, err := schema()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(config))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(doc)
}

// Handed is what a boot script's logs section gave the agent.
type Handed struct {
	// Config is the file the script told amazon-cloudwatch-agent-ctl to
	// fetch, as the stand-in read it.
	Config []byte
	// Args are the arguments amazon-cloudwatch-agent-ctl was called with.
	Args string
	// Path is the file's path on the instance.
	Path string
}

// The logs section's function, which writes the configuration and hands it
// to the agent (userdata/sh/logs.sh).
var nextFunction = regexp.MustCompile(`\n[A-Za-z_][A-Za-z0-9_]*\(\) \{\n`)

const (
	functionStart = "start_cloudwatch_agent() {\n"
	functionCall  = "if start_cloudwatch_agent; then\n"
)

// ConfigFromBootScript runs, with bash, the rendered boot script's own
// start_cloudwatch_agent function on the simulated instance root: as the
// script defines it, with amazon-cloudwatch-agent-ctl replaced by a stand-in
// that keeps a copy of the file it is told to fetch. It needs root
// (emulator.RunOnInstance). It fails if the script has no logs section, or
// never calls the function.
func ConfigFromBootScript(ctx context.Context, root emulator.InstanceRoot, script string) (Handed, error) {
	_, rest, ok := strings.Cut(script, "\n"+functionStart)
	if !ok {
		return Handed{}, fmt.Errorf("the boot script defines no %q", strings.TrimSpace(functionStart))
	}
	// The script is compacted (no indentation), so an inner block's "}"
	// also starts a line: the function ends at the last "}" line before
	// the next function's definition.
	if next := nextFunction.FindStringIndex(rest); next != nil {
		rest = rest[:next[0]+1]
	}
	end := strings.LastIndex(rest, "\n}\n")
	if end < 0 {
		return Handed{}, fmt.Errorf("the boot script's %q has no end", strings.TrimSpace(functionStart))
	}
	body := rest[:end]
	if !strings.Contains(script, "\n"+functionCall) {
		return Handed{}, fmt.Errorf("the boot script never calls start_cloudwatch_agent")
	}
	dir, err := os.MkdirTemp(string(root), ".agent-")
	if err != nil {
		return Handed{}, err
	}
	ctl, copied, args := filepath.Join(dir, "amazon-cloudwatch-agent-ctl"), filepath.Join(dir, "handed.json"), filepath.Join(dir, "args")
	stand := "#!/bin/bash\nprintf '%s\\n' \"$*\" >" + quote(args) + "\n" +
		"for a; do [[ \"$a\" == file:* ]] && exec cp -- \"${a#file:}\" " + quote(copied) + "; done\n" +
		"echo 'no -c file:PATH' >&2; exit 1\n"
	if err := os.WriteFile(ctl, []byte(stand), 0o755); err != nil {
		return Handed{}, err
	}
	// The script makes /var/lib/selfhealing before this section runs.
	head, _, ok := strings.Cut(script, "\n"+userdata.HeaderEnd+"\n")
	if !ok {
		return Handed{}, fmt.Errorf("the boot script has no %q line", userdata.HeaderEnd)
	}
	command := head + "\nset -euo pipefail\numask 077\nmkdir -p /var/lib/selfhealing\n" +
		"log() { printf '%s\\n' \"$*\" >&2; }\n" +
		"dnf_install() { echo \"dnf_install $* called: the stand-in ctl is executable\" >&2; return 1; }\n" +
		"cloudwatch_agent_ctl=" + quote(ctl) + "\n" +
		functionStart + body + "\n}\n" +
		"start_cloudwatch_agent\n"
	results, err := emulator.RunOnInstance(ctx, root, command, []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, 1)
	if err != nil {
		return Handed{}, err
	}
	if results[0].ExitCode != 0 {
		return Handed{}, fmt.Errorf("start_cloudwatch_agent failed:\n%s\n--- the function run:\n%s", results[0], command)
	}
	var h Handed
	if h.Config, err = os.ReadFile(copied); err != nil {
		return Handed{}, fmt.Errorf("amazon-cloudwatch-agent-ctl was handed no file: %w", err)
	}
	a, _ := os.ReadFile(args)
	h.Args = strings.TrimSpace(string(a))
	_, h.Path, _ = strings.Cut(h.Args, "file:")
	h.Path, _, _ = strings.Cut(h.Path, " ")
	return h, nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// RequireRoot checks for what ConfigFromBootScript needs: root, unshare and
// bash. Like emulator.RequireTool, it fails the test in CI and skips it
// elsewhere.
func RequireRoot(t testing.TB) {
	t.Helper()
	emulator.RequireTool(t, "unshare", "apt-get install util-linux")
	emulator.RequireTool(t, "bash", "apt-get install bash")
	if os.Geteuid() == 0 {
		return
	}
	const why = "running the boot script's logs section needs root, for the instance's own /var/lib in a private mount namespace"
	if emulator.InCI() {
		t.Fatal(why)
	}
	t.Skip("skipping: " + why + " (run the tests with sudo)")
}

// Config is an agent configuration as the boot script writes it, in the
// agent's own field names: the user the agent runs as, and the files it
// ships, each to a group and a stream.
type Config struct {
	Agent struct {
		RunAsUser string `json:"run_as_user"`
	} `json:"agent"`
	Logs struct {
		LogsCollected struct {
			Files struct {
				CollectList []struct {
					FilePath      string `json:"file_path"`
					LogGroupName  string `json:"log_group_name"`
					LogStreamName string `json:"log_stream_name"`
				} `json:"collect_list"`
			} `json:"files"`
		} `json:"logs_collected"`
	} `json:"logs"`
	Metrics *struct {
		Namespace             string     `json:"namespace"`
		AggregationDimensions [][]string `json:"aggregation_dimensions"`
		MetricsCollected      map[string]struct {
			Measurement      []string          `json:"measurement"`
			Resources        []string          `json:"resources"`
			DropDevice       bool              `json:"drop_device"`
			AppendDimensions map[string]string `json:"append_dimensions"`
		} `json:"metrics_collected"`
	} `json:"metrics"`
}

// ParseConfig decodes config, refusing any field Config does not name: a
// field the boot script did not mean to write is an error, not ignored.
func ParseConfig(config []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("the agent configuration is not the expected JSON: %w", err)
	}
	return c, nil
}
