package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/selfhealing-dev/selfhealing/internal/synth"
)

// yamlHostDir is the module that pins the Pulumi YAML language host
// (github.com/pulumi/pulumi-yaml), apart from this one: the two pin
// different versions of the Pulumi SDK.
var yamlHostDir = filepath.Join(moduleDir, "yamlhost")

var (
	yamlHostOnce sync.Once
	yamlHostErr  error
)

// yamlHost builds the Pulumi YAML language host, pulumi-language-yaml, into
// bin/ beside the CLI, unless it is newer than the yamlhost module's go.mod
// and go.sum. The CLI looks for the language hosts it ships with beside
// itself, even with PULUMI_IGNORE_AMBIENT_PLUGINS set, as the Pulumi
// release lays them out.
func yamlHost(t *testing.T) {
	t.Helper()
	cli, _ := tools(t)
	yamlHostOnce.Do(func() {
		host := filepath.Join(filepath.Dir(cli), "pulumi-language-yaml")
		if !stale(host, filepath.Join(yamlHostDir, "go.mod"), filepath.Join(yamlHostDir, "go.sum")) {
			return
		}
		const module = "github.com/pulumi/pulumi-yaml"
		out, err := exec.Command("go", "-C", yamlHostDir, "list", "-m", "-f", "{{.Version}}", module).Output()
		if err != nil {
			yamlHostErr = fmt.Errorf("go list -m %s in %s: %w", module, yamlHostDir, err)
			return
		}
		version := strings.TrimSpace(string(out))
		start := time.Now()
		fmt.Printf("building the Pulumi YAML language host %s into %s (a cold build takes about 2 minutes on 2 cores)...\n", version, host)
		// The host reports this version to the CLI.
		yamlHostErr = goBuildIn(yamlHostDir, host, "-ldflags", "-X "+module+"/pkg/version.Version="+version,
			module+"/cmd/pulumi-language-yaml")
		fmt.Printf("built the Pulumi YAML language host in %s\n", time.Since(start).Round(time.Second))
	})
	if yamlHostErr != nil {
		t.Fatal(yamlHostErr)
	}
}

// yamlExample writes examples/yaml/Pulumi.yaml into the lab's project with
// its selfhealing package taken from a directory holding the component
// provider, built. The example names the provider's source directory,
// whose PulumiPlugin.yaml (runtime: go) has the CLI run it through the Go
// language host, pulumi-language-go, which the Go module proxy does not
// serve; a directory with the binary alone is run as it is.
func (l *lab) yamlExample() {
	l.t.Helper()
	providerDir := filepath.Join(filepath.Dir(l.dir), "selfhealing-provider")
	if err := goBuild(filepath.Join(providerDir, "pulumi-resource-selfhealing"),
		"github.com/selfhealing-dev/selfhealing/cmd/pulumi-resource-selfhealing"); err != nil {
		l.t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(repoDir, "examples", "yaml", "Pulumi.yaml"))
	if err != nil {
		l.t.Fatal(err)
	}
	const source = "\n  selfhealing: ../../cmd/pulumi-resource-selfhealing\n"
	if !strings.Contains(string(b), source) {
		l.t.Fatalf("examples/yaml/Pulumi.yaml no longer takes the selfhealing package from%s", strings.TrimSuffix(source, "\n"))
	}
	project := strings.Replace(string(b), source, "\n  selfhealing: "+providerDir+"\n", 1)
	if err := os.WriteFile(filepath.Join(l.dir, "Pulumi.yaml"), []byte(project), 0o644); err != nil {
		l.t.Fatal(err)
	}
}

// localStack selects or creates the stack name of the program in the lab's
// project, run by the CLI with the project's runtime, as `pulumi up` in
// that directory runs it.
func (l *lab) localStack(name string) *deployment {
	l.t.Helper()
	d := &deployment{lab: l, name: name}
	var err error
	d.stack, err = auto.UpsertStackLocalSource(context.Background(), name, l.dir,
		auto.Pulumi(l.command), auto.EnvVars(l.env), auto.SecretsProvider("passphrase"))
	if err != nil {
		l.t.Fatal(err)
	}
	return d
}

// componentTree is the resources of URNs as "qualified type name", each
// name with the component's own name in front made "<component>": the
// place of each resource in the tree, whatever the program names the
// component. The stack and providers are left out.
func componentTree(urns []string) []string {
	component := ""
	for _, urn := range urns {
		if typeOfURN(urn) == "selfhealing:index:SelfHealingInstance" {
			component = urnName(urn)
		}
	}
	var out []string
	for _, urn := range urns {
		parts := strings.Split(urn, "::")
		if len(parts) < 4 || parts[2] == "pulumi:pulumi:Stack" || strings.HasPrefix(parts[2], "pulumi:providers:") {
			continue
		}
		name := urnName(urn)
		if component != "" && strings.HasPrefix(name, component) {
			name = "<component>" + strings.TrimPrefix(name, component)
		}
		out = append(out, parts[2]+" "+name)
	}
	return sortedCopy(out)
}

// urnsStepped lists the URNs the engine's pre-events name.
func (s Step) urnsStepped() []string {
	var out []string
	for _, e := range s.Events {
		if e.ResourcePreEvent != nil {
			out = append(out, e.ResourcePreEvent.Metadata.URN)
		}
	}
	return out
}

// TestYAMLExample runs examples/yaml, the dev stack in Pulumi YAML, through
// the CLI with the YAML language host, the component provider as the
// example's selfhealing package and the stand-in AWS provider: preview
// shows the component and its children where the Go program's dev stack
// has them (synth), up creates them, and a second up changes nothing.
func TestYAMLExample(t *testing.T) {
	l := newEmptyLab(t)
	yamlHost(t)
	l.yamlExample()
	d := l.localStack("yaml-dev")
	d.config("aws:region us-east-1")

	report, err := synth.Run(repoDir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var goURNs []string
	for _, r := range report.Resources {
		goURNs = append(goURNs, r.URN)
	}
	goTree := componentTree(goURNs)
	all := len(goTree) + 1

	preview := d.preview("yaml-preview")
	want(t, preview, true, map[apitype.OpType]int{apitype.OpCreate: all})
	if got := componentTree(preview.urnsStepped()); strings.Join(got, "\n") != strings.Join(goTree, "\n") {
		t.Errorf("the YAML program's preview shows\n%s\nthe Go program's dev stack (synth) has\n%s", strings.Join(got, "\n"), strings.Join(goTree, "\n"))
	}
	want(t, d.up("yaml-up"), true, map[apitype.OpType]int{apitype.OpCreate: all})
	want(t, d.up("yaml-up-again"), true, map[apitype.OpType]int{apitype.OpSame: all})

	// The component's outputs reach the YAML program's.
	outputs, err := d.stack.Outputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ip, _ := outputs["publicIp"].Value.(string)
	if url, _ := outputs["url"].Value.(string); ip == "" || url != "http://"+ip {
		t.Errorf("the YAML program's outputs publicIp %v and url %v: want an address and http:// it", outputs["publicIp"].Value, outputs["url"].Value)
	}
}
