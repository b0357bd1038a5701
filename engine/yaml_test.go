package engine_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/selfhealing-dev/selfhealing/engine/standin"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
	"github.com/selfhealing-dev/selfhealing/userdata"
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

// componentTree is the resources of URNs as their places in the tree
// (place), the stack and providers left out.
func componentTree(urns []string) []string {
	component := componentName(urns)
	var out []string
	for _, urn := range urns {
		parts := strings.Split(urn, "::")
		if len(parts) < 4 || parts[2] == "pulumi:pulumi:Stack" || strings.HasPrefix(parts[2], "pulumi:providers:") {
			continue
		}
		out = append(out, place(urn, component))
	}
	return sortedCopy(out)
}

// place is where urn is in the tree, whatever the program names the
// component: "qualified type name", the component's name in front of the
// name made "<component>".
func place(urn, component string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	name := urnName(urn)
	if component != "" && strings.HasPrefix(name, component) {
		name = "<component>" + strings.TrimPrefix(name, component)
	}
	return parts[2] + " " + name
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

// wantInputsAsGo fails unless the stand-in created, for each AWS resource
// synth shows for the Go program's dev stack, the one at the same place in
// the tree with the same inputs: each name derived from the project, stack
// and component names (project-stack-component) taken as one, and each
// value only a deployment knows (synth's [unknown]) matching anything. The
// boot script is compared decoded.
func wantInputsAsGo(t *testing.T, report *synth.Report, created []standin.Received) {
	t.Helper()
	wantByPlace := map[string]any{}
	var goURNs []string
	for _, r := range report.Resources {
		goURNs = append(goURNs, r.URN)
	}
	goComponent := componentName(goURNs)
	goName := report.Project + "-" + report.Stack + "-" + goComponent
	for _, r := range report.Resources {
		if !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		inputs := maps.Clone(r.Inputs)
		if r.BootScript != nil {
			inputs["userData"] = r.BootScript.Text
		}
		wantByPlace[place(r.URN, goComponent)] = renamed(inputs, goName, "<name>")
	}

	var urns []string
	for _, c := range created {
		urns = append(urns, c.URN)
	}
	parts := strings.Split(componentURN(urns), "::")
	if len(parts) < 4 {
		t.Fatalf("the stand-in created no resource under the component: %v", urns)
	}
	stack := strings.TrimPrefix(parts[0], "urn:pulumi:")
	component := componentName(urns)
	name := parts[1] + "-" + stack + "-" + component
	for _, c := range created {
		if c.Op != "create" {
			t.Errorf("the stand-in received a %s of %s; the first up only creates", c.Op, c.URN)
			continue
		}
		inputs, err := c.InputMap()
		if err != nil {
			t.Fatal(err)
		}
		got := inputs.Mappable()
		if b64, ok := got["userData"].(string); ok {
			if got["userData"], err = userdata.Decode(b64); err != nil {
				t.Fatalf("%s: userData: %v", c.URN, err)
			}
		}
		at := place(c.URN, component)
		want, ok := wantByPlace[at]
		if !ok {
			t.Errorf("the stand-in created %s, which the Go program does not", c.URN)
			continue
		}
		delete(wantByPlace, at)
		if where := mismatch(want, renamed(got, name, "<name>"), ""); where != "" {
			t.Errorf("%s: the YAML program's inputs differ from the Go program's at %s", c.URN, where)
		}
	}
	for place := range wantByPlace {
		t.Errorf("the stand-in created no %s for the YAML program", place)
	}
}

// componentURN is the component's URN among urns, componentName its name.
func componentURN(urns []string) string {
	for _, urn := range urns {
		if typeOfURN(urn) == "selfhealing:index:SelfHealingInstance" {
			return urn
		}
	}
	// The stand-in sees only the component's children: their URNs carry
	// the component's type and, in front of their names, its name.
	for _, urn := range urns {
		if parts := strings.Split(urn, "::"); len(parts) == 4 && strings.HasPrefix(parts[2], "selfhealing:index:SelfHealingInstance$") {
			name := urnName(urn)
			if i := strings.LastIndex(name, "-"); i > 0 {
				name = name[:i]
			}
			return strings.Join([]string{parts[0], parts[1], "selfhealing:index:SelfHealingInstance", name}, "::")
		}
	}
	return ""
}

func componentName(urns []string) string { return urnName(componentURN(urns)) }

// renamed replaces name with to in every string in v.
func renamed(v any, name, to string) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, name, to)
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = renamed(e, name, to)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = renamed(e, name, to)
		}
		return out
	}
	return v
}

// mismatch is the path of the first place got differs from want, "" if
// none; synth.Unknown in a string of want's matches any text on its line.
func mismatch(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %v, want an object", path, got)
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if _, ok := g[k]; !ok {
				return fmt.Sprintf("%s.%s: missing", path, k)
			}
			if where := mismatch(w[k], g[k], path+"."+k); where != "" {
				return where
			}
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s.%s: %v, which the Go program does not set", path, k, g[k])
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: %v, want %d items", path, got, len(w))
		}
		for i := range w {
			if where := mismatch(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); where != "" {
				return where
			}
		}
		return ""
	case string:
		g, ok := got.(string)
		if !ok {
			return fmt.Sprintf("%s: %v, want %q", path, got, w)
		}
		// A script is compared line by line, to name the line.
		wantLines, gotLines := strings.Split(w, "\n"), strings.Split(g, "\n")
		if len(wantLines) != len(gotLines) {
			return fmt.Sprintf("%s: %d lines, want %d", path, len(gotLines), len(wantLines))
		}
		for i := range wantLines {
			pattern := "^" + strings.Join(strings.Split(regexp.QuoteMeta(wantLines[i]), regexp.QuoteMeta(synth.Unknown)), ".*") + "$"
			if !regexp.MustCompile(pattern).MatchString(gotLines[i]) {
				if len(wantLines) > 1 {
					path = fmt.Sprintf("%s line %d", path, i+1)
				}
				return fmt.Sprintf("%s: %q, want %q", path, gotLines[i], wantLines[i])
			}
		}
		return ""
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return fmt.Sprintf("%s: %v, want %v", path, got, want)
	}
	return ""
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
	before := len(d.received())
	want(t, d.up("yaml-up"), true, map[apitype.OpType]int{apitype.OpCreate: all})
	wantInputsAsGo(t, report, d.received()[before:])
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
