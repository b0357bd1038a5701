package userdata

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/testtool"
)

// shWith returns the text of sh/NAME with each of the pairs old, new
// replaced, failing the test unless each old is there exactly once.
func shWith(t *testing.T, name string, pairs ...string) string {
	t.Helper()
	text, err := shFiles.ReadFile("sh/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := string(text)
	for i := 0; i+1 < len(pairs); i += 2 {
		if n := strings.Count(s, pairs[i]); n != 1 {
			t.Fatalf("sh/%s holds %q %d times, want once", name, pairs[i], n)
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// TestDnfInstallGivesUpAtTheRetryWindow: dnf_install is bounded in time,
// as every retry of the script is, not only in tries. With the window
// scaled down to 3 s, a dnf that fails after 3 s is not tried again: no
// second try, after its pause, could start within the window. Nothing
// else bounds dnf, which may hang on a mirror for minutes.
func TestDnfInstallGivesUpAtTheRetryWindow(t *testing.T) {
	testtool.RequireTool(t, "bash", "apt-get install bash")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	calls := filepath.Join(dir, "dnf-calls")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// A mirror that takes 3 s to fail.
	dnf := "#!/bin/sh\necho \"$*\" >>'" + calls + "'\nsleep 3\necho 'Error: Failed to download metadata for repo amazonlinux' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "dnf"), []byte(dnf), 0o755); err != nil {
		t.Fatal(err)
	}
	common := shWith(t, "common.sh",
		"retry_window_seconds=180", "retry_window_seconds=3",
		"readonly log_file=/var/log/selfhealing-boot.log", "readonly log_file='"+filepath.Join(dir, "boot.log")+"'",
		"readonly status_dir=/run/selfhealing", "readonly status_dir='"+filepath.Join(dir, "run")+"'")
	script := "readonly with_launch_gate=0\n" + common + shWith(t, "packages.sh") +
		"\nmkdir -p \"$status_dir\"\nif dnf_install nginx; then echo INSTALLED; fi\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "INSTALLED") {
		t.Fatalf("dnf_install with a failing dnf: %v\n%s", err, out)
	}
	tries, _ := os.ReadFile(calls)
	if n := strings.Count(string(tries), "\n"); n != 1 {
		t.Errorf("dnf ran %d times, want once: no second try could end within the 3 s window\n%s", n, out)
	}
	for _, want := range []string{
		"dnf install nginx: failed (attempt 1/3): Error: Failed to download metadata",
		"dnf install nginx: gave up after 1 attempts: another could not end within 3s",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

// TestCertificateWaitsForTheNameToPointHere: before it asks Let's Encrypt,
// obtain_certificate tries again, with retry, until the domain resolves to
// the instance's address, and logs each try that it does not.
func TestCertificateWaitsForTheNameToPointHere(t *testing.T) {
	testtool.RequireTool(t, "bash", "apt-get install bash")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	calls := filepath.Join(dir, "getent-calls")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// The name points elsewhere for two lookups, then here.
	getent := "#!/bin/bash\necho x >>'" + calls + "'\nif (($(wc -l <'" + calls + "') < 3)); then echo '192.0.2.1 STREAM app.example.com'; else echo '203.0.113.10 STREAM app.example.com'; fi\n"
	for name, body := range map[string]string{"getent": getent, "certbot": "#!/bin/sh\nexit 0\n"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	common := shWith(t, "common.sh",
		"readonly log_file=/var/log/selfhealing-boot.log", "readonly log_file='"+filepath.Join(dir, "boot.log")+"'",
		"readonly status_dir=/run/selfhealing", "readonly status_dir='"+filepath.Join(dir, "run")+"'")
	script := "readonly with_launch_gate=0\n" + common + shWith(t, "https.sh") +
		"\nhttps_domain=app.example.com public_ip=203.0.113.10 certbot_staging=true certbot_args=(certonly) https_served=0" +
		"\nserve_https() { echo SERVED; }\nmkdir -p \"$status_dir\"\nobtain_certificate\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SERVED") {
		t.Fatalf("obtain_certificate: %v\n%s", err, out)
	}
	lookups, _ := os.ReadFile(calls)
	if n := strings.Count(string(lookups), "\n"); n != 3 {
		t.Errorf("the name was looked up %d times, want 3: twice elsewhere, then here\n%s", n, out)
	}
	for _, want := range []string{
		"app.example.com does not resolve to 203.0.113.10 yet (attempt 1/10): it resolves to '192.0.2.1'",
		"app.example.com does not resolve to 203.0.113.10 yet (attempt 2/10)",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "WARNING") {
		t.Errorf("the name came to point here, yet the log warns:\n%s", out)
	}
}
