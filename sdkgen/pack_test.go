package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The TypeScript example's project pins the tools the SDK is built and
// tried with: typescript, @types/node and @pulumi/pulumi, in its
// package.json and package-lock.json (`make npm-ci` installs them).
const (
	exampleProject     = "../examples/typescript"
	exampleNodeModules = exampleProject + "/node_modules"
)

// requireTool fails the test when name is not on PATH: these tests never
// skip, on a developer's machine or in CI.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed to build and install the SDKs: %v", name, err)
	}
}

func requireExampleModules(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(exampleNodeModules, "typescript", "bin", "tsc")); err != nil {
		t.Fatalf("the pinned TypeScript tools are not installed: run `make npm-ci` (%v)", err)
	}
}

// exampleVersions reads the exact versions examples/typescript pins.
func exampleVersions(t *testing.T) (deps, devDeps map[string]string) {
	t.Helper()
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	b, err := os.ReadFile(filepath.Join(exampleProject, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &pkg)
	}
	if err != nil {
		t.Fatalf("reading %s/package.json: %v", exampleProject, err)
	}
	return pkg.Dependencies, pkg.DevDependencies
}

// registration is what the mocks were asked to register.
type registration struct {
	Type   string         `json:"type"`
	Name   string         `json:"name"`
	Inputs map[string]any `json:"inputs"`
}

// TestNodeJSSDKInstallsAndRegistersTheComponent packs sdk/nodejs, installs
// the tarball into a new TypeScript project beside the pinned
// @pulumi/pulumi, compiles testdata/nodejs/index.ts there and runs it with
// node: the component must reach the mocks as the remote component
// selfhealing:index:SelfHealingInstance with the inputs the program gave,
// including one that is another resource's output.
func TestNodeJSSDKInstallsAndRegistersTheComponent(t *testing.T) {
	requireTool(t, "node")
	requireTool(t, "npm")
	requireExampleModules(t)

	tarball, err := PackNodeJS("../sdk/nodejs", exampleNodeModules, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	project := t.TempDir()
	deps, devDeps := exampleVersions(t)
	deps["@selfhealing-dev/selfhealing"] = "file:" + tarball
	manifest, err := json.MarshalIndent(map[string]any{
		"name": "selfhealing-sdk-test", "private": true,
		"dependencies": deps, "devDependencies": devDeps,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(project, "package.json"), manifest)
	// The example's lock pins @pulumi/pulumi and its whole tree, so npm
	// resolves nothing anew and, once its cache holds them, works offline.
	writeFile(t, filepath.Join(project, "package-lock.json"), readFile(t, filepath.Join(exampleProject, "package-lock.json")))
	for _, f := range []string{"index.ts", "tsconfig.json"} {
		writeFile(t, filepath.Join(project, f), readFile(t, filepath.Join("testdata", "nodejs", f)))
	}
	if _, err := run(project, "npm", "install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(project, "node", filepath.Join("node_modules", "typescript", "bin", "tsc"), "-p", "."); err != nil {
		t.Fatal(err)
	}
	out, err := run(project, "node", filepath.Join("bin", "index.js"))
	if err != nil {
		t.Fatal(err)
	}

	t.Logf("the program printed: %s", out)
	var got struct {
		Registered []registration `json:"registered"`
		URN        string         `json:"urn"`
		PublicIP   string         `json:"publicIp"`
		URL        string         `json:"url"`
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("the program's last line is not its JSON report: %v\n%s", err, out)
	}
	var web *registration
	for i, r := range got.Registered {
		if r.Type == "selfhealing:index:SelfHealingInstance" {
			web = &got.Registered[i]
		}
	}
	if web == nil {
		t.Fatalf("the mocks never saw selfhealing:index:SelfHealingInstance; they saw %+v", got.Registered)
	}
	if web.Name != "web" {
		t.Errorf("component name = %q, want web", web.Name)
	}
	for key, want := range map[string]any{
		"instanceType":     "t4g.small",
		"metadataHopLimit": float64(2),
		// Left unset, so the SDK's default from the schema.
		"launchGateTimeoutSeconds": float64(600),
	} {
		if web.Inputs[key] != want {
			t.Errorf("input %s = %#v, want %#v", key, web.Inputs[key], want)
		}
	}
	subnets, _ := web.Inputs["subnetIds"].([]any)
	if len(subnets) != 1 || subnets[0] != "subnet-0123456789abcdef0" {
		t.Errorf("input subnetIds = %#v, want the mocked subnet's output [subnet-0123456789abcdef0]", web.Inputs["subnetIds"])
	}
	volume, _ := web.Inputs["dataVolume"].(map[string]any)
	if volume["sizeGiB"] != float64(8) {
		t.Errorf("input dataVolume = %#v, want sizeGiB 8", web.Inputs["dataVolume"])
	}
	if !strings.HasSuffix(got.URN, "::selfhealing:index:SelfHealingInstance::web") {
		t.Errorf("urn = %q, want the component's", got.URN)
	}
	if got.PublicIP != "203.0.113.10" || got.URL != "http://203.0.113.10" {
		t.Errorf("outputs publicIp = %q, url = %q: want the mocked 203.0.113.10 and http://203.0.113.10", got.PublicIP, got.URL)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNodeJSSDKPinsTheToolsItIsBuiltWith: the SDK's package.json names the
// typescript and @types/node that examples/typescript pins, which
// PackNodeJS compiles the SDK with (the schema's language.nodejs options
// set them).
func TestNodeJSSDKPinsTheToolsItIsBuiltWith(t *testing.T) {
	var sdk struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(readFile(t, "../sdk/nodejs/package.json"), &sdk); err != nil {
		t.Fatal(err)
	}
	_, devDeps := exampleVersions(t)
	for _, name := range []string{"typescript", "@types/node"} {
		if sdk.DevDependencies[name] == "" || sdk.DevDependencies[name] != devDeps[name] {
			t.Errorf("sdk/nodejs/package.json pins %s %q, examples/typescript %q: change the schema's language.nodejs options (internal/pkgschema) and run `make sdks`",
				name, sdk.DevDependencies[name], devDeps[name])
		}
	}
}

// TestPythonSDKBuildsInstallsAndImports builds sdk/python into a wheel,
// installs it into a new virtual environment and runs
// testdata/python/check_sdk.py there. PyPI is out of reach on these
// machines, so the real pulumi package cannot be installed: the program
// imports testdata/python/standin instead, a stand-in for pulumi's API
// whose ComponentResource records what it is given. So this shows the
// wheel installs, its modules import, its metadata gives the version and
// SelfHealingInstance passes its inputs and defaults on as the remote
// component's props; it does not show the real pulumi registering it.
func TestPythonSDKBuildsInstallsAndImports(t *testing.T) {
	python, err := FindPython("python3", "/usr/bin/python3")
	if err != nil {
		t.Fatal(err)
	}
	wheel, err := PackPython(python, "../sdk/python", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := filepath.Base(wheel); got != "selfhealing_dev_selfhealing-0.1.0-py3-none-any.whl" {
		t.Errorf("wheel = %s, want selfhealing_dev_selfhealing-0.1.0-py3-none-any.whl", got)
	}

	// The venv sees the system's packaging and semver, which the SDK
	// imports; the SDK itself comes only from the wheel.
	venv := filepath.Join(t.TempDir(), "venv")
	if _, err := run(".", python, "-m", "venv", "--system-site-packages", venv); err != nil {
		t.Fatal(err)
	}
	venvPython := filepath.Join(venv, "bin", "python")
	if _, err := run(".", venvPython, "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", wheel); err != nil {
		t.Fatal(err)
	}
	standin, err := filepath.Abs(filepath.Join("testdata", "python", "standin"))
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "python", "check_sdk.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(venvPython, script)
	cmd.Dir = t.TempDir() // not sdk/python, so the import can only find the installed wheel
	cmd.Env = append(os.Environ(), "PYTHONPATH="+standin, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("check_sdk.py: %v\n%s", err, out)
	}
	t.Logf("check_sdk.py printed: %s", out)

	var got struct {
		Registered []struct {
			Type    string         `json:"type"`
			Name    string         `json:"name"`
			Remote  bool           `json:"remote"`
			Version string         `json:"version"`
			Props   map[string]any `json:"props"`
		} `json:"registered"`
		ResourceModules     [][]string `json:"resourceModules"`
		DistributionVersion string     `json:"distributionVersion"`
		PackageDir          string     `json:"packageDir"`
		PackageData         []string   `json:"packageData"`
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("check_sdk.py's last line is not its JSON report: %v\n%s", err, out)
	}
	if !strings.HasPrefix(got.PackageDir, venv+string(filepath.Separator)) {
		t.Errorf("the SDK was imported from %s, not from the venv the wheel went into", got.PackageDir)
	}
	if got.DistributionVersion != "0.1.0" {
		t.Errorf("installed distribution version = %q, want 0.1.0", got.DistributionVersion)
	}
	if strings.Join(got.PackageData, ",") != "pulumi-plugin.json,py.typed" {
		t.Errorf("package data = %v, want pulumi-plugin.json and py.typed", got.PackageData)
	}
	if len(got.ResourceModules) != 1 || strings.Join(got.ResourceModules[0], ":") != "selfhealing:index" {
		t.Errorf("resource modules registered = %v, want selfhealing:index", got.ResourceModules)
	}
	if len(got.Registered) != 1 {
		t.Fatalf("registered %+v, want the one component", got.Registered)
	}
	web := got.Registered[0]
	if web.Type != "selfhealing:index:SelfHealingInstance" || web.Name != "web" || !web.Remote {
		t.Errorf("registered %s %q remote=%v, want the remote component selfhealing:index:SelfHealingInstance \"web\"", web.Type, web.Name, web.Remote)
	}
	if web.Version != "0.1.0" {
		t.Errorf("resource options' version = %q, want 0.1.0, read from the installed package's metadata", web.Version)
	}
	for key, want := range map[string]any{
		"instance_type":      "t4g.small",
		"metadata_hop_limit": float64(2),
		// Left unset, so the SDK's default from the schema.
		"launch_gate_timeout_seconds": float64(600),
	} {
		if web.Props[key] != want {
			t.Errorf("prop %s = %#v, want %#v", key, web.Props[key], want)
		}
	}
	subnets, _ := web.Props["subnet_ids"].([]any)
	if len(subnets) != 1 || subnets[0] != "subnet-0123456789abcdef0" {
		t.Errorf("prop subnet_ids = %#v", web.Props["subnet_ids"])
	}
	volume, _ := web.Props["data_volume"].(map[string]any)
	if volume["size_gi_b"] != float64(8) || volume["mount_path"] != "/data" {
		t.Errorf("prop data_volume = %#v, want size_gi_b 8 and the default mount_path /data", web.Props["data_volume"])
	}
}
