package userdata_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/agentschema"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestWhatTheAgentShipsIsOnTheInstanceToo: the logs a dead instance leaves
// in CloudWatch are also files on the instance, for whoever logs in while
// it lives. Of the files the agent configuration names, the boot script
// writes its own log; this checks that the file holds every line the
// script printed to stderr (what cloud-init copies to
// /var/log/cloud-init-output.log and the console), in order, whether the
// boot heals or fails, and that only root may read it. cloud-init's own
// file is cloud-init's to write; the lab has no cloud-init, so the script's
// stderr stands in for it here.
func TestWhatTheAgentShipsIsOnTheInstanceToo(t *testing.T) {
	for _, tc := range []struct {
		name, userScript string
		healed           bool
	}{
		{"healed", "touch /var/lib/user-script-ran", true},
		{"failed", "echo 'the app would not start' >&2; exit 3", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newInstance(t)
			p := in.withLogs()
			p.UserScript = tc.userScript
			r := in.boot(p)
			if tc.healed {
				in.wantHealed(r)
			} else {
				in.wantFailed(r, "running the user script", "the user script exited 3")
				if !strings.Contains(r.Stderr, "the app would not start") {
					t.Errorf("the user script's output is not in the script's stderr (cloud-init-output.log):\n%s", r.Stderr)
				}
			}

			// The agent configuration the script left on the instance
			// names the boot log, and that file is there.
			config, err := agentschema.ParseConfig([]byte(in.fs.ReadFile(userdata.CloudWatchAgentConfigFile)))
			if err != nil {
				t.Fatalf("%s: %v", userdata.CloudWatchAgentConfigFile, err)
			}
			var files []string
			for _, f := range config.Logs.LogsCollected.Files.CollectList {
				files = append(files, f.FilePath)
			}
			if !slices.Contains(files, userdata.LogFile) || !slices.Contains(files, userdata.CloudInitOutputLog) {
				t.Fatalf("the agent ships %v; want %s and %s among them", files, userdata.LogFile, userdata.CloudInitOutputLog)
			}
			info, err := os.Stat(in.fs.Path(userdata.LogFile))
			if err != nil {
				t.Fatalf("the boot log the agent ships is not on the instance: %v", err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600: root's to read", userdata.LogFile, info.Mode().Perm())
			}

			// Every line the script logged reached the file, in order.
			var logged []string
			for _, line := range strings.Split(r.Stderr, "\n") {
				if strings.Contains(line, " selfhealing: ") {
					logged = append(logged, line)
				}
			}
			inFile := strings.Split(strings.TrimSuffix(r.Log, "\n"), "\n")
			if len(logged) < 5 || !slices.Equal(inFile, logged) {
				t.Errorf("%s holds %d lines; the script logged %d to stderr; want the same lines.\nfile:\n%s\nstderr:\n%s",
					userdata.LogFile, len(inFile), len(logged), r.Log, r.Stderr)
			}
			if !tc.healed && !strings.Contains(r.Log, "FAILED: running the user script: the user script exited 3") {
				t.Errorf("the failure is not in %s:\n%s", userdata.LogFile, r.Log)
			}
		})
	}
}
