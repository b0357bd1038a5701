package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/engine/standin"
	"github.com/selfhealing-dev/selfhealing/program"
)

// cliVersion is the Pulumi CLI the engine module pins (go.mod's
// github.com/pulumi/pulumi/pkg/v3); the Automation API refuses a CLI that
// reports no version, so the build stamps it.
const cliVersion = "v3.274.1"

// moduleDir is this module's directory, repoDir the repository's.
var moduleDir, repoDir = func() (string, string) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	return dir, filepath.Dir(dir)
}()

var (
	buildOnce         sync.Once
	cliPath, awsStand string
	buildErr          error
)

// tools builds the Pulumi CLI into bin/pulumi, unless it is newer than
// go.sum (a cold build takes minutes), and the stand-in AWS provider.
func tools(t *testing.T) (cli, plugin string) {
	t.Helper()
	buildOnce.Do(func() {
		cliPath = filepath.Join(moduleDir, "bin", "pulumi")
		if stale(cliPath, filepath.Join(moduleDir, "go.sum"), filepath.Join(moduleDir, "go.mod")) {
			start := time.Now()
			fmt.Printf("building the Pulumi CLI %s into %s (a cold build takes 5 to 11 minutes on 2 cores)...\n", cliVersion, cliPath)
			buildErr = goBuild(cliPath, "-ldflags", "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version="+cliVersion,
				"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi")
			fmt.Printf("built the Pulumi CLI in %s\n", time.Since(start).Round(time.Second))
			if buildErr != nil {
				return
			}
		}
		// Not beside the CLI: the engine takes a plugin there (or on PATH)
		// as ambient, whatever its version, and the test wants it found as
		// an installed aws v6.83.4.
		awsStand = filepath.Join(os.TempDir(), fmt.Sprintf("selfhealing-engine-%d", os.Getpid()), "pulumi-resource-aws")
		buildErr = goBuild(awsStand, "./cmd/pulumi-resource-aws")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return cliPath, awsStand
}

func stale(target string, sources ...string) bool {
	built, err := os.Stat(target)
	if err != nil {
		return true
	}
	for _, s := range sources {
		if src, err := os.Stat(s); err != nil || src.ModTime().After(built.ModTime()) {
			return true
		}
	}
	return false
}

func goBuild(out string, args ...string) error { return goBuildIn(moduleDir, out, args...) }

// goBuildIn builds in the module in dir.
func goBuildIn(dir, out string, args ...string) error {
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// lab is one isolated Pulumi world: its own PULUMI_HOME with the stand-in
// installed as aws v6.83.4, a local file backend, a passphrase secrets
// provider, a project directory holding the repository's Pulumi.yaml, and
// the stand-in's account.
type lab struct {
	t       *testing.T
	cli     string
	dir     string
	world   string
	env     map[string]string
	command auto.PulumiCommand
}

// passphrase protects the labs' stacks' secrets; it is not itself a secret.
const passphrase = "engine-test-passphrase"

func newLab(t *testing.T) *lab {
	t.Helper()
	l := newEmptyLab(t)
	copyFile(t, filepath.Join(repoDir, "Pulumi.yaml"), filepath.Join(l.dir, "Pulumi.yaml"))
	return l
}

// newEmptyLab is a lab whose project directory holds no Pulumi.yaml yet.
func newEmptyLab(t *testing.T) *lab {
	t.Helper()
	cli, plugin := tools(t)
	root := t.TempDir()
	l := &lab{t: t, cli: cli, dir: filepath.Join(root, "project"), world: filepath.Join(root, "aws-world.json")}
	for _, d := range []string{l.dir, filepath.Join(root, "home"), filepath.Join(root, "backend")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l.env = map[string]string{
		"PULUMI_HOME":                                 filepath.Join(root, "home"),
		"PULUMI_BACKEND_URL":                          "file://" + filepath.Join(root, "backend"),
		"PULUMI_CONFIG_PASSPHRASE":                    passphrase,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		standin.StateEnv:                              l.world,
	}
	l.sh("pulumi plugin install resource aws v" + standin.Version + " --file " + plugin)
	var err error
	l.command, err = auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: moduleDir})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// copyFile copies a file of the repository into a lab.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// shOut runs a command line as sh does and returns its standard output
// alone.
func (l *lab) shOut(line string) string {
	l.t.Helper()
	cmd := l.shell(line)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", line, err, stderr.String())
	}
	return string(out)
}

// sh runs a command line as a user would type it, in the project, with the
// built CLI first on PATH.
func (l *lab) sh(line string) string {
	l.t.Helper()
	out, err := l.shell(line).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", line, err, out)
	}
	return string(out)
}

func (l *lab) shell(line string) *exec.Cmd {
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = l.dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(l.cli)+":"+os.Getenv("PATH"))
	for k, v := range l.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// deployment is one stack of the program in a lab, run as an Automation
// API inline program.
type deployment struct {
	lab   *lab
	name  string
	stack auto.Stack
	// keys are the stack's configuration keys, read before each operation.
	keys []string
}

// stack selects or creates the stack name in the lab, with the
// configuration of the repository's stack file Pulumi.<from>.yaml; an
// empty from keeps the configuration the lab's project has for it.
func (l *lab) stack(name, from string) *deployment {
	l.t.Helper()
	if from != "" {
		copyFile(l.t, filepath.Join(repoDir, "Pulumi."+from+".yaml"), filepath.Join(l.dir, "Pulumi."+name+".yaml"))
	}
	d := &deployment{lab: l, name: name}
	// Inline programs get no PULUMI_CONFIG: the program is handed the
	// stack's keys.
	run := func(ctx *pulumi.Context) error { return program.RunWithConfigKeys(d.keys)(ctx) }
	var err error
	d.stack, err = auto.UpsertStackInlineSource(context.Background(), name, "selfhealing", run,
		auto.WorkDir(l.dir), auto.Pulumi(l.command), auto.EnvVars(l.env), auto.SecretsProvider("passphrase"))
	if err != nil {
		l.t.Fatal(err)
	}
	return d
}

// Step is one engine operation's outcome, from the engine's own summary.
type Step struct {
	Stack, Name string
	OK          bool
	Counts      map[apitype.OpType]int
	Err         error
	// Events are the engine's events, to check what it did to which
	// resource.
	Events []events.EngineEvent
}

func (s Step) String() string {
	return fmt.Sprintf("ENGINE stack=%s step=%s ok=%t creates=%d updates=%d replaces=%d deletes=%d sames=%d",
		s.Stack, s.Name, s.OK, s.Counts[apitype.OpCreate], s.Counts[apitype.OpUpdate], s.Counts[apitype.OpReplace],
		s.Counts[apitype.OpDelete], s.Counts[apitype.OpSame])
}

// ops lists, by operation, the URNs of the resources the engine stepped
// on (not the stack, not providers).
func (s Step) ops() map[apitype.OpType][]string {
	out := map[apitype.OpType][]string{}
	for _, e := range s.Events {
		if e.ResOutputsEvent == nil {
			continue
		}
		m := e.ResOutputsEvent.Metadata
		if strings.HasPrefix(m.Type, "pulumi:providers:") || m.Type == "pulumi:pulumi:Stack" {
			continue
		}
		out[m.Op] = append(out[m.Op], m.URN)
	}
	for op := range out {
		slices.Sort(out[op])
	}
	return out
}

// resourcesStepped lists "type name" of every resource the engine's
// pre-events name (not the stack, not providers).
func (s Step) resourcesStepped() []string {
	var out []string
	for _, e := range s.Events {
		if e.ResourcePreEvent == nil {
			continue
		}
		m := e.ResourcePreEvent.Metadata
		if strings.HasPrefix(m.Type, "pulumi:providers:") || m.Type == "pulumi:pulumi:Stack" {
			continue
		}
		out = append(out, m.Type+" "+urnName(m.URN))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func urnName(urn string) string { return urn[strings.LastIndex(urn, "::")+2:] }

// run runs op with an event stream, and prints and returns its step line.
func (d *deployment) run(name string, op func(ctx context.Context, ch chan<- events.EngineEvent) error) Step {
	d.lab.t.Helper()
	ctx := context.Background()
	cfg, err := d.stack.GetAllConfig(ctx)
	if err != nil {
		d.lab.t.Fatal(err)
	}
	d.keys = d.keys[:0]
	for k := range cfg {
		d.keys = append(d.keys, k)
	}
	ch := make(chan events.EngineEvent)
	var mu sync.Mutex
	var all []events.EngineEvent
	done := make(chan struct{})
	go func() {
		for e := range ch {
			mu.Lock()
			all = append(all, e)
			mu.Unlock()
		}
		close(done)
	}()
	err = op(ctx, ch)
	// The Automation API closes the channels it is given once the engine's
	// events end; an operation that fails before it starts the engine
	// closes none.
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	mu.Lock()
	step := Step{Stack: d.name, Name: name, OK: err == nil, Err: err, Events: slices.Clone(all), Counts: map[apitype.OpType]int{}}
	mu.Unlock()
	for _, e := range step.Events {
		if e.SummaryEvent != nil {
			step.Counts = e.SummaryEvent.ResourceChanges
		}
	}
	fmt.Println(step)
	if err != nil {
		d.lab.t.Logf("%s %s: %v", d.name, name, firstLines(err.Error(), 40))
	}
	return step
}

func firstLines(s string, n int) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() && len(out) < n {
		out = append(out, sc.Text())
	}
	return strings.Join(out, "\n")
}

func (d *deployment) preview(name string) Step {
	return d.run(name, func(ctx context.Context, ch chan<- events.EngineEvent) error {
		_, err := d.stack.Preview(ctx, optpreview.EventStreams(ch))
		return err
	})
}

func (d *deployment) up(name string) Step {
	return d.run(name, func(ctx context.Context, ch chan<- events.EngineEvent) error {
		_, err := d.stack.Up(ctx, optup.EventStreams(ch))
		return err
	})
}

func (d *deployment) refresh(name string) Step {
	return d.run(name, func(ctx context.Context, ch chan<- events.EngineEvent) error {
		_, err := d.stack.Refresh(ctx, optrefresh.EventStreams(ch))
		return err
	})
}

func (d *deployment) destroy(name string) Step {
	return d.run(name, func(ctx context.Context, ch chan<- events.EngineEvent) error {
		_, err := d.stack.Destroy(ctx, optdestroy.EventStreams(ch))
		return err
	})
}

// config runs `pulumi config set` with the CLI, as a user would.
func (d *deployment) config(args string) {
	d.lab.sh("pulumi config set --stack " + d.name + " " + args)
}

// world is what the stand-in account holds, as "type" per id.
func (d *deployment) world() map[string]string {
	d.lab.t.Helper()
	w, err := standin.ReadWorld(d.lab.world)
	if err != nil {
		d.lab.t.Fatal(err)
	}
	out := map[string]string{}
	for id, o := range w {
		out[id] = o.Type
	}
	return out
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
