package userdata_test

import (
	"os"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// TestBootParsesTheCLIsOutputThoughItWarns: an AWS CLI that writes a
// warning line to stderr on every call, as the CLI does for deprecations
// and configuration it finds odd. The script parses only what a call
// printed on stdout, so the boot acts on the right values: it formats the
// new, blank volume (describe-volumes says no snapshot and no tag), mounts
// it, and sees the address on this instance; it classifies errors by
// stderr, so a throttled call and a volume not yet free are waited out;
// and the warning reaches the log.
func TestBootParsesTheCLIsOutputThoughItWarns(t *testing.T) {
	c := newCloud(t, diskBytes)
	c.extraEnv = append(c.extraEnv, "PATH="+emulator.WarningAWSCLI(t, emulator.CLIDeprecationWarning)+
		string(os.PathListSeparator)+c.shims+string(os.PathListSeparator)+os.Getenv("PATH"))
	h := c.newHost()
	c.api.FailFirst("AttachVolume", 1, emulator.APIError{Status: 400, Code: "IncorrectState", Message: "vol is 'in-use'"})
	c.api.ThrottleFirst("DescribeAddresses", 1)
	r := c.boot1(h, c.params())
	c.wantMounted(h, r)
	if calls := c.mkfsCalls(); len(calls) != 1 {
		t.Errorf("mkfs calls %q, want the one that formats the new, blank volume", calls)
	}
	for _, want := range []string{
		"data volume " + c.volumeID + ": tagged selfhealing:formatted=ext4 by " + h.id,
		"Elastic IP " + c.publicIP + " (" + c.alloc + ") is associated with " + h.id,
		"attach-volume: not yet:",
		"describe-addresses: retryable error",
		emulator.CLIDeprecationWarning,
	} {
		if !strings.Contains(r.Log, want) {
			t.Errorf("the log lacks %q:\n%s", want, r.Log)
		}
	}
	if got := c.addressHolder(); got != h.id {
		t.Errorf("the Elastic IP is on %q, want %s", got, h.id)
	}
	if n := c.api.Calls("AttachVolume"); n != 2 {
		t.Errorf("AttachVolume called %d times, want IncorrectState, then success", n)
	}
}
