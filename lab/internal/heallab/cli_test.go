package heallab

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// TestAnInstanceGetsNoRetrySettingsFromTheHarness: the harness's own CLI
// environment sets AWS_MAX_ATTEMPTS=1; an instance's must not, so the seed
// runs with the CLI's default retries.
func TestAnInstanceGetsNoRetrySettingsFromTheHarness(t *testing.T) {
	emulator.RequireAWSCLIv2(t)
	proxy := emulator.StartHTTPSProxy(t, "http://127.0.0.1:1")
	harness, err := emulator.CLIEnvE(proxy, emulator.Credentials{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	instance, err := emulator.InstanceCLIEnvE(proxy, "http://127.0.0.1:1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	settings := func(env []string) (out []string) {
		for _, kv := range env {
			if name, _, _ := strings.Cut(kv, "="); slices.Contains(retrySettings, name) {
				out = append(out, kv)
			}
		}
		return out
	}
	if len(settings(harness)) == 0 {
		t.Fatalf("the harness's environment has no retry settings; this test would prove nothing: %v", harness)
	}
	if got := settings(instance); len(got) != 0 {
		t.Errorf("the instance's environment has retry settings %v", got)
	}
}

// TestOurScriptSetsItsOwnRetries: with nothing from the harness, our boot
// script must set the CLI's retries itself, since its own loop does the
// retrying.
func TestOurScriptSetsItsOwnRetries(t *testing.T) {
	script, err := userdata.Render(userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, kv := range ScriptRetrySettings([]byte(script)) {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"}) {
		t.Errorf("our boot script sets %v, want both AWS_MAX_ATTEMPTS and AWS_RETRY_MODE", names)
	}
	seed, err := SeedUserData("eipalloc-1", "us-east-1", "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if got := ScriptRetrySettings(seed); len(got) != 0 {
		t.Errorf("the seed sets %v, want nothing", got)
	}
}

func TestRetryModeFromDebug(t *testing.T) {
	for log, want := range map[string]string{
		"2024 - MainThread - botocore.retryhandler - DEBUG - No retry needed.": "legacy",
		"botocore.retries.standard - DEBUG - Retry needed":                     "standard",
		"nothing": "",
	} {
		if got := retryModeFromDebug(log); got != want {
			t.Errorf("retryModeFromDebug(%q) = %q, want %q", log, got, want)
		}
	}
}
