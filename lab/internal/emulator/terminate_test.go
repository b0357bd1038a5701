package emulator

import (
	"testing"
	"time"
)

// TestTerminateInstanceTakesTheAddressOffAsAWSDoes checks the one rule
// moto leaves out of a termination: AWS disassociates the dead instance's
// Elastic IP, unless the caller models the window before it does.
func TestTerminateInstanceTakesTheAddressOffAsAWSDoes(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	cfg := m.AWSConfig()
	ctx := testContext(t, time.Minute)
	holder := func(allocationID string) string {
		t.Helper()
		id, err := AddressInstanceID(ctx, cfg, allocationID)
		if err != nil {
			t.Fatalf("AddressInstanceID: %v", err)
		}
		return id
	}
	for _, tc := range []struct {
		name string
		opts TerminateOptions
		keep bool
	}{{"as AWS does", TerminateOptions{}, false}, {"keeping the association", TerminateOptions{KeepAssociation: true}, true}} {
		f := NewEIPFixture(t, cfg)
		if err := AssociateAddress(ctx, cfg, f.AllocationID, f.InstanceID); err != nil {
			t.Fatal(err)
		}
		if err := TerminateInstanceWith(ctx, cfg, f.InstanceID, tc.opts); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := ""
		if tc.keep {
			want = f.InstanceID
		}
		if got := holder(f.AllocationID); got != want {
			t.Errorf("%s: the address is held by %q after the termination, want %q", tc.name, got, want)
		}
	}
	// TerminateInstance is the first case; an instance with no address
	// terminates too.
	f := NewEIPFixture(t, cfg)
	if err := AssociateAddress(ctx, cfg, f.AllocationID, f.InstanceID); err != nil {
		t.Fatal(err)
	}
	if err := TerminateInstance(ctx, cfg, f.InstanceID); err != nil {
		t.Fatal(err)
	}
	if got := holder(f.AllocationID); got != "" {
		t.Errorf("TerminateInstance left the address on %q", got)
	}
	bare, err := CreateInstance(ctx, cfg, MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	if err := TerminateInstance(ctx, cfg, bare); err != nil {
		t.Errorf("terminating an instance with no address: %v", err)
	}
}
