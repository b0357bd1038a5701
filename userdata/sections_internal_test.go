package userdata

import (
	"bytes"
	"compress/gzip"
	"os/exec"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/testtool"
)

// TestScriptWithEveryOptionPassesShellcheck renders the script with logs,
// https and parameters all on, past the uncompressed 16 KB check (gzip-
// compressed user data is what brings it under EC2's limit), and reports
// its size raw and compressed.
func TestScriptWithEveryOptionPassesShellcheck(t *testing.T) {
	testtool.RequireTool(t, "shellcheck", "apt-get install shellcheck")
	p := Params{
		GroupName:    "proj-dev-web",
		AllocationID: "eipalloc-0123456789abcdef0",
		UserScript:   "systemctl start app",
		Logs:         &LogsParams{LogGroupName: "/selfhealing/proj/dev/web", ExtraFiles: []string{"/var/log/app.log"}},
		HTTPS:        &HTTPSParams{DomainName: "app.example.com", Email: "ops@example.com", AppPort: 8080, CertDir: "/data/.selfhealing/tls"},
		Parameters:   &ParametersParams{Path: "/proj/dev/web"},
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	var script bytes.Buffer
	script.WriteString(assemble(p))
	var compressed bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&compressed, gzip.BestCompression)
	_, _ = zw.Write(script.Bytes())
	_ = zw.Close()
	t.Logf("boot script with logs, https and parameters: %d bytes, %d gzip-compressed (EC2 allows %d)", script.Len(), compressed.Len(), MaxBytes)
	// The header, the other features' files and the user's script need
	// the rest: keep at least 6 KB of EC2's limit for them.
	if room := MaxBytes - compressed.Len(); room < 6<<10 {
		t.Errorf("even compressed, the script takes %d of EC2's %d bytes, leaving %d; want at least %d", compressed.Len(), MaxBytes, room, 6<<10)
	}
	for _, args := range [][]string{{"-n"}} {
		cmd := exec.Command("bash", args...)
		cmd.Stdin = strings.NewReader(script.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s", err, out)
		}
	}
	cmd := exec.Command("shellcheck", "-s", "bash", "-S", "style", "-o", "add-default-case,quote-safe-variables,require-double-brackets", "-")
	cmd.Stdin = strings.NewReader(script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
