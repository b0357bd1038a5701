package tests

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/selfhealing-dev/selfhealing"

// layerRules says, for each package (and, with a trailing "/...", each one
// below it), which of this repository's packages it must never depend on.
// They keep the test lab in its three layers (docs/repository-layout.md):
// the mock monitors know nothing of the emulators or the lab, the emulators
// nothing of the monitors or the lab, and what users build (the component,
// the boot script, the program, the provider) and test with
// (components/selfhealingtest) nothing of any of them, nor of the modules
// only the lab needs. A path under lab/ is in the lab's own module, and is
// listed there; a path whose first element has a dot is another module's.
var layerRules = []struct {
	pkg     string
	mustNot []string
}{
	{"internal/mockmonitor/...", theLab},
	{"lab/internal/mockmonitor/...", []string{"lab/internal/emulator/...", "lab/internal/heallab"}},
	{"lab/internal/emulator/...", []string{"internal/mockmonitor/...", "lab/internal/mockmonitor/...", "lab/internal/heallab", "components", "program"}},
	{"components", theLab},
	{"components/selfhealingtest", theLab},
	{"userdata", theLab},
	{"program", theLab},
	{"internal/policy", theLab},
	{"cmd/pulumi-resource-selfhealing", theLab},
	{".", theLab},
}

// theLab is the test lab's packages and the modules only it needs: the AWS
// SDK it drives moto with, AWS's metadata mock, the ACME test server.
var theLab = []string{
	"lab/internal/mockmonitor/...", "lab/internal/emulator/...", "lab/internal/heallab",
	"github.com/aws/aws-sdk-go-v2/...", "github.com/aws/amazon-ec2-metadata-mock/...", "github.com/letsencrypt/pebble/...",
}

// TestTheTestLabStaysInItsLayers fails when a package depends, directly or
// not, on one its layer must not know (tests excluded: go list -deps
// follows only the packages' own imports).
func TestTheTestLabStaysInItsLayers(t *testing.T) {
	for _, rule := range layerRules {
		deps := goListDeps(t, rule.pkg)
		for _, banned := range rule.mustNot {
			for _, dep := range deps {
				if within(dep, banned) {
					t.Errorf("%s depends on %s: the test lab's layers forbid it (see docs/repository-layout.md)", rule.pkg, strings.TrimPrefix(dep, module+"/"))
				}
			}
		}
	}
}

// TestLayerCheckSeesADependency shows the check can fail: the end-to-end lab
// does depend on both the moto monitor and the emulators, and on the AWS SDK.
func TestLayerCheckSeesADependency(t *testing.T) {
	deps := goListDeps(t, "lab/internal/heallab")
	for _, want := range []string{"lab/internal/mockmonitor/...", "lab/internal/emulator", "github.com/aws/aws-sdk-go-v2/..."} {
		if !slices.ContainsFunc(deps, func(dep string) bool { return within(dep, want) }) {
			t.Errorf("lab/internal/heallab's dependencies do not include %s; the layer check would see nothing: %v", want, deps)
		}
	}
}

// within reports whether the import path dep is the package pkg (this
// module's, unless pkg's first element has a dot), or one below it when
// pkg ends in "/...".
func within(dep, pkg string) bool {
	if first, _, _ := strings.Cut(pkg, "/"); !strings.Contains(first, ".") {
		pkg = module + "/" + pkg
	}
	if base, ok := strings.CutSuffix(pkg, "/..."); ok {
		return dep == base || strings.HasPrefix(dep, base+"/")
	}
	return dep == pkg
}

// goListDeps returns the import paths of pkg's packages (a path from the
// repository's root, as in layerRules) and all they depend on, or fails the
// test. A package under lab/ is listed in the lab's module, the rest in
// this one.
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	dir, pattern := "..", "./"+strings.TrimPrefix(pkg, ".")
	if rest, ok := strings.CutPrefix(pkg, "lab/"); ok {
		dir, pattern = "../lab", "./"+rest
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pattern)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s (in %s): %s", pattern, dir, msg)
	}
	return strings.Fields(string(out))
}
