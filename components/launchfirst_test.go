package components_test

import (
	"strings"

	"github.com/selfhealing-dev/selfhealing/userdata"
	"testing"

	"github.com/selfhealing-dev/selfhealing/components"
)

// replacementCase is one stack shape and how its group must replace its
// instance: the instance maintenance policy (health-check replacements),
// the instance refresh's preferences (rollouts) and, for Spot,
// capacityRebalance.
type replacementCase struct {
	name                          string
	args                          *components.SelfHealingInstanceArgs
	minHealthy, maxHealthy        float64
	refreshMinHealthy, refreshMax float64
	capacityRebalance             any // nil: unset (On-Demand)
}

func replacementCases() []replacementCase {
	volume := func(spot bool) *components.SelfHealingInstanceArgs {
		a := withVolume(components.DataVolumeArgs{SizeGiB: 10})
		a.Spot = spot
		return a
	}
	return []replacementCase{
		// Nothing but the address moves: launch the new instance, let it
		// do all it can, then let it take the address.
		{"no volume", nil, 100, 200, 100, 200, nil},
		{"no volume, Spot", &components.SelfHealingInstanceArgs{Spot: true}, 100, 200, 100, 200, true},
		// One volume, attachable to one instance at a time: a failing
		// instance is terminated first, as it may still write; a rollout
		// launches first and the old instance hands the volume over.
		{"volume", volume(false), 0, 100, 100, 200, nil},
		{"volume, Spot", volume(true), 0, 100, 100, 200, true},
		{"network interface, Spot", &components.SelfHealingInstanceArgs{Spot: true, NetworkInterface: &components.NetworkInterfaceArgs{}}, 0, 100, 0, 100, false},
		// A network interface leaves an instance only when it is
		// terminated: every replacement terminates first.
		{"network interface", &components.SelfHealingInstanceArgs{NetworkInterface: &components.NetworkInterfaceArgs{}}, 0, 100, 0, 100, nil},
		{"network interface and volume", func() *components.SelfHealingInstanceArgs {
			a := volume(false)
			a.NetworkInterface = &components.NetworkInterfaceArgs{}
			return a
		}(), 0, 100, 0, 100, nil},
	}
}

func TestGroupLaunchesFirstWhenOnlyTheAddressMoves(t *testing.T) {
	for _, tc := range replacementCases() {
		t.Run(tc.name, func(t *testing.T) {
			group := mustDeploy(t, tc.args).Group()
			policy, ok := group["instanceMaintenancePolicy"].(map[string]any)
			want := map[string]any{"minHealthyPercentage": tc.minHealthy, "maxHealthyPercentage": tc.maxHealthy}
			if !ok || len(policy) != len(want) {
				t.Errorf("instanceMaintenancePolicy = %v, want exactly %v", group["instanceMaintenancePolicy"], want)
			}
			for field, value := range want {
				if got := policy[field]; got != value {
					t.Errorf("instanceMaintenancePolicy.%s = %v, want %v", field, got, value)
				}
			}
			for field, value := range map[string]any{"minHealthyPercentage": tc.refreshMinHealthy, "maxHealthyPercentage": tc.refreshMax} {
				if got := path(group, "instanceRefresh", "preferences", field); got != value {
					t.Errorf("instanceRefresh.preferences.%s = %v, want %v", field, got, value)
				}
			}
			got, set := group["capacityRebalance"]
			if tc.capacityRebalance == nil {
				if set && got != nil {
					t.Errorf("capacityRebalance = %v on an On-Demand group, want it unset", got)
				}
			} else if got != tc.capacityRebalance {
				t.Errorf("capacityRebalance = %v (set %v), want %v", got, set, tc.capacityRebalance)
			}
		})
	}
}

// The instance takes the address after the user script, which gets it from
// the stack instead: the boot script carries the Elastic IP's address.
func TestBootScriptCarriesTheAddressForTheUserScript(t *testing.T) {
	d := mustDeploy(t, nil)
	publicIP, _ := d.Outputs["publicIp"].(string)
	if publicIP == "" {
		t.Fatalf("publicIp = %v, want the Elastic IP's address", d.Outputs["publicIp"])
	}
	if want := "elastic_ip=" + userdata.ShellQuote(publicIP); !strings.Contains(d.BootScript(), want) {
		t.Errorf("the boot script lacks %s", want)
	}
}
