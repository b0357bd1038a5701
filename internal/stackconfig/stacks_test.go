package stackconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot holds the repository's Pulumi.yaml and its example stacks.
const repoRoot = "../.."

// The repository's own stacks load with the CLI's loaders and pass the types
// Pulumi.yaml declares: dev, and full, which sets every optional object.
func TestTheRepositorysStacksLoad(t *testing.T) {
	for _, stack := range []string{"dev", "full"} {
		s, err := Load(repoRoot, stack)
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		if s.Project != "selfhealing" || s.Config["aws:region"] != "us-east-1" {
			t.Errorf("%s: project %q, region %q", stack, s.Project, s.Config["aws:region"])
		}
		// An optional feature is absent when off (Pulumi.yaml declares no
		// default for it), and an object when on: full sets each one.
		for _, key := range []string{"dns", "schedule", "notifications"} {
			raw, set := s.Config["selfhealing:"+key]
			if set != (stack == "full") {
				t.Errorf("%s: selfhealing:%s set = %v, want it set only in full", stack, key, set)
				continue
			}
			var object map[string]any
			if err := json.Unmarshal([]byte(raw), &object); set && err != nil {
				t.Errorf("%s: selfhealing:%s = %q, not a JSON object: %v", stack, key, raw, err)
			}
		}
	}
	// Both stacks have a data volume; dev's is small and mounted under /srv.
	dev, err := Load(repoRoot, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if got := dev.Config["selfhealing:dataVolume"]; got != `{"mountPath":"/srv/data","sizeGiB":8}` {
		t.Errorf("dev dataVolume = %s", got)
	}
	full, err := Load(repoRoot, "full")
	if err != nil {
		t.Fatal(err)
	}
	if got := full.Config["selfhealing:schedule"]; got != `{"start":"0 8 * * MON-FRI","stop":"0 19 * * MON-FRI","timeZone":"Europe/Berlin"}` {
		t.Errorf("full schedule = %s", got)
	}
	if got := full.Config["selfhealing:dns"]; got != `{"recordName":"app.example.com","ttl":300,"zoneId":"Z0123456789EXAMPLEZONE"}` {
		t.Errorf("full dns = %s", got)
	}
}

// A stack that sets a declared key to a value of another type is refused
// by the loader, as `pulumi up` refuses it. (The keys Pulumi.yaml leaves
// undeclared, such as the option objects, are checked by the program's own
// decoding: tests/config_test.go.)
func TestAValueOfTheWrongTypeIsRefused(t *testing.T) {
	project, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ value, got string }{
		{"two", "string"},
		{"[1, 2]", "array"},
		{"true", "boolean"},
	} {
		dir := t.TempDir()
		write(t, dir, "Pulumi.yaml", string(project))
		write(t, dir, "Pulumi.s.yaml", "config:\n  selfhealing:metadataHopLimit: "+tc.value+"\n")
		_, err := Load(dir, "s")
		if err == nil || !strings.Contains(err.Error(), "declares it integer, but the stack sets a "+tc.got) {
			t.Errorf("metadataHopLimit: %s: err = %v, want a refusal naming integer and %s", tc.value, err, tc.got)
		}
	}
}
