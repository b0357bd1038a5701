package userdata_test

import (
	"strings"
	"testing"
)

// With launch first, the old instance serves until the new one takes the
// address, so the new one does everything else first: its user script runs
// while the address is still on the old instance, and learns the address
// from its environment.
func TestUserScriptRunsBeforeTheAddressMovesAndIsToldIt(t *testing.T) {
	in := newInstance(t)
	previous := in.addressOnAnotherInstance()
	p := in.params()
	p.PublicIP = in.fixture.PublicIP
	p.UserScript = "aws ec2 describe-addresses --region " + in.moto.Region + " --allocation-ids " + in.fixture.AllocationID +
		" --query 'Addresses[0].InstanceId' --output text >/var/lib/holder-then\n" +
		"printf '%s' \"$SELFHEALING_PUBLIC_IP\" >/var/lib/told-ip\n" +
		"touch /var/lib/user-script-ran\n"
	r := in.boot(p)
	in.wantHealed(r)
	if got := strings.TrimSpace(in.fs.ReadFile("/var/lib/holder-then")); got != previous {
		t.Errorf("while the user script ran the address was on %q, want still on the old instance %s", got, previous)
	}
	if got := in.fs.ReadFile("/var/lib/told-ip"); got != in.fixture.PublicIP {
		t.Errorf("SELFHEALING_PUBLIC_IP = %q, want the Elastic IP's %s", got, in.fixture.PublicIP)
	}
}

// A new instance whose user script fails never takes the address: the
// instance holding it goes on serving.
func TestFailedUserScriptLeavesTheAddressWithTheOldInstance(t *testing.T) {
	in := newInstance(t)
	previous := in.addressOnAnotherInstance()
	p := in.params()
	p.UserScript = "exit 7"
	in.wantFailed(in.boot(p), "running the user script", "exited 7")
	if got := in.holder(); got != previous {
		t.Errorf("after a failed boot the Elastic IP is on %q, want still on %s", got, previous)
	}
	if got := in.api.Calls("AssociateAddress"); got != 0 {
		t.Errorf("AssociateAddress called %d times before the user script succeeded", got)
	}
}
