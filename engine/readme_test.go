package engine_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// readmeCommands are the configuration commands of README.md's "Deploy to
// AWS": `pulumi stack init` and each `pulumi config set`, verbatim but for
// trailing comments.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(b)
	if i := strings.Index(section, "## Deploy to AWS"); i >= 0 {
		section = section[i:]
	}
	if i := strings.Index(section[1:], "\n## "); i >= 0 {
		section = section[:i+1]
	}
	var out []string
	command := regexp.MustCompile(`^\s*(pulumi (stack init|config set) [^#]*?)\s*(#.*)?$`)
	for _, line := range strings.Split(section, "\n") {
		if m := command.FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
		}
	}
	if len(out) < 2 || !strings.HasPrefix(out[0], "pulumi stack init ") {
		t.Fatalf("README.md's Deploy to AWS shows no `pulumi stack init` and `pulumi config set` commands: %q", out)
	}
	return out
}

// A value for a secret parameter; the test looks for it, in clear, in the
// stack's exported state.
const secretValue = "s3cr3t-value-that-must-never-show"

// TestReadmeStack configures a stack with the CLI, with the exact commands
// README.md shows, plus one secret parameter as docs/configuration.md
// shows; previews it (the resources synth shows for the same stack file),
// deploys it, checks the exported state for the secret in clear text, and
// destroys it.
func TestReadmeStack(t *testing.T) {
	l := newLab(t)
	commands := readmeCommands(t)
	for _, c := range commands {
		l.sh(c)
	}
	name := strings.Fields(strings.TrimPrefix(commands[0], "pulumi stack init "))[0]
	l.sh("pulumi config set --secret --path 'secretParameters.db-password' " + secretValue)
	d := l.stack(name, "")

	all := deployAsSynthShows(t, d, synthResources(t, l.dir, name))

	// As a user runs it. (The Automation API's Stack.Export passes
	// --show-secrets, so it is not what a user sees.)
	state := l.sh("pulumi stack export --stack " + name)
	if strings.Contains(state, secretValue) {
		t.Errorf("pulumi stack export holds the secret parameter's value in clear text")
	}
	// Not vacuous: the value is in the state, encrypted.
	if n := strings.Count(state, `"ciphertext"`); n == 0 {
		t.Errorf("pulumi stack export holds no secret at all; the secret parameter should be there, encrypted")
	} else {
		t.Logf("the exported state holds %d encrypted values and no secret in clear text", n)
	}

	want(t, d.destroy("destroy"), true, map[apitype.OpType]int{apitype.OpDelete: all})
	if w := d.world(); len(w) != 0 {
		t.Errorf("after destroy the stand-in still holds %v", w)
	}
}

// TestRetainOnDelete: with retainOnDelete and the data volume's
// deletionPolicy retain, destroy leaves exactly the Elastic IP and the
// volume in the account.
func TestRetainOnDelete(t *testing.T) {
	l := newLab(t)
	d := l.stack("dev-retain", "dev")
	d.config("retainOnDelete true")
	d.config("--path dataVolume.deletionPolicy retain")
	all := len(synthResources(t, l.dir, "dev-retain")) + 1
	want(t, d.up("up"), true, map[apitype.OpType]int{apitype.OpCreate: all})
	want(t, d.destroy("destroy"), true, map[apitype.OpType]int{apitype.OpDelete: all})
	var left []string
	for _, typ := range d.world() {
		left = append(left, typ)
	}
	if got := strings.Join(sortedCopy(left), ","); got != "aws:ebs/volume:Volume,aws:ec2/eip:Eip" {
		t.Errorf("after destroy the stand-in holds %s, want the Elastic IP and the data volume", got)
	}
}
