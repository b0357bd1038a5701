package emulator

import (
	"testing"
	"time"
)

// TestEIPFixture shows the fixture and AddressInstanceID following an
// Elastic IP from unassociated, to an instance, to another one.
func TestEIPFixture(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	cfg := m.AWSConfig()
	ctx := testContext(t, time.Minute)
	f := NewEIPFixture(t, cfg)
	if f.InstanceID == "" || f.AllocationID == "" || f.PublicIP == "" {
		t.Fatalf("NewEIPFixture = %+v, want every field set", f)
	}

	holder := func() string {
		t.Helper()
		id, err := AddressInstanceID(ctx, cfg, f.AllocationID)
		if err != nil {
			t.Fatalf("AddressInstanceID: %v", err)
		}
		return id
	}
	if got := holder(); got != "" {
		t.Errorf("a new address is held by %q, want nobody", got)
	}
	if err := AssociateAddress(ctx, cfg, f.AllocationID, f.InstanceID); err != nil {
		t.Fatal(err)
	}
	if got := holder(); got != f.InstanceID {
		t.Errorf("address held by %q, want %s", got, f.InstanceID)
	}

	other, err := CreateInstance(ctx, cfg, MotoAMI)
	if err != nil {
		t.Fatal(err)
	}
	if other == f.InstanceID {
		t.Fatalf("CreateInstance returned the fixture's instance %s again", other)
	}
	if err := AssociateAddress(ctx, cfg, f.AllocationID, other); err != nil {
		t.Fatal(err)
	}
	if got := holder(); got != other {
		t.Errorf("address held by %q after reassociation, want %s", got, other)
	}

	if _, err := AddressInstanceID(ctx, cfg, "eipalloc-00000000000000000"); err == nil {
		t.Error("AddressInstanceID of an unknown allocation returned no error")
	}
}
