package heallab

import (
	"fmt"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// Outcome is what a scenario expects of a script.
type Outcome string

const (
	// Healed: the script exits 0 with the Elastic IP on its instance.
	Healed Outcome = "healed"
	// Failed: the address is not on the instance.
	Failed Outcome = "failed"
)

// Scenario is one way an instance can die and its replacement boot.
type Scenario struct {
	// Name is short and stable: it keys reports.
	Name string
	// Description says what happens, for reports.
	Description string
	// Kill shapes the old instance's death.
	Kill KillOptions
	// WriteVolumeFile writes a file on the data volume of the old
	// instance, while it runs, before the kill (Lab.WriteVolumeFile); the
	// replacement must then read the same bytes.
	WriteVolumeFile bool
	// APIFaults arranges faults on the AWS API before the boot.
	APIFaults func(*emulator.FaultProxy)
	// MetadataFaults arranges faults on the instance metadata service.
	MetadataFaults func(*emulator.FaultProxy)
	// IMDSv2Only serves metadata with tokens required to the seed script
	// too (the component's instances always get that).
	IMDSv2Only bool
	// Expect is each script's expected outcome in the dev stack. A script
	// without an entry does not run there.
	Expect map[Script]Outcome
	// SeedStack is the seed script's expected outcome in the stack shaped
	// for it (SeedStackOverrides: no data volume, no launch gate); empty:
	// not run there.
	SeedStack Outcome
	// InterfaceStack is our script's expected outcome in the stack with a
	// network interface (NetworkInterfaceOverrides); empty: not run there.
	InterfaceStack Outcome
	// FailureMentions, for a scenario where our script is expected to fail,
	// is what its one FAILED line must say.
	FailureMentions []string
	// Note explains a script left out, for reports.
	Note string
}

// Scenarios are the healing scenarios every run goes through, each for both
// scripts unless noted. The API faults follow what AWS documents as
// throttled or eventually consistent; the metadata faults follow a service
// that is not up yet at early boot.
//
// The two data-volume scenarios come first: they need the old instance to
// be one of ours with the volume mounted, as the first boot's is, and the
// seed script's are not. Every later scenario still checks that the volume
// is mounted with the data written then.
func Scenarios() []Scenario {
	// The seed's faults are the CLI's to retry: it runs with the CLI's
	// defaults, which the report names.
	const cliRetriesNote = "The seed has no retry of its own; the AWS CLI's default retries (named in the report) absorb these 5xx, " +
		"so in the seed-shaped stack the address moves; in the dev stack the seed still leaves the data volume detached."
	const seedHasNoVolumeStep = "The seed script has no volume step, so it is not run here; " +
		"in `replacement` it runs, and leaves the volume detached."
	return []Scenario{
		{
			Name: "data-survives",
			Description: "a 1 MiB file is written and synced on the data volume of the running instance, which is then terminated; " +
				"the volume stays in-use, attached to it, for 5 s, as EBS detaches it gradually; the replacement attaches and mounts it and must read the same bytes",
			WriteVolumeFile: true,
			Expect:          map[Script]Outcome{Ours: Healed},
			Note:            seedHasNoVolumeStep,
		},
		{
			Name:        "volume-held",
			Description: "the data volume stays in-use, attached to the terminated instance, for 15 s after the kill",
			Kill:        KillOptions{VolumeHeldFor: 15 * time.Second},
			Expect:      map[Script]Outcome{Ours: Healed},
			Note:        seedHasNoVolumeStep,
		},
		{
			Name: "interface-held",
			Description: "in the stack with a persistent network interface, which carries the Elastic IP: the interface stays attached " +
				"to the terminated instance (detaching) for 15 s after the kill; the replacement waits, attaches it, and checks in its " +
				"metadata that the interface is there with its private address",
			Kill:           KillOptions{InterfaceHeldFor: 15 * time.Second},
			InterfaceStack: Healed,
			Note:           "Only our script runs here: the seed has no interface step, and moves the address onto the instance's own interface.",
		},
		{
			Name:        "replacement",
			Description: "the instance is terminated; the group's replacement boots",
			Expect:      map[Script]Outcome{Ours: Healed, Seed: Failed},
			SeedStack:   Healed,
			Note: "In the dev stack the seed script moves the address and exits 0, but never attaches the data volume " +
				"(the article never claimed it would) and never answers the launch gate, which only our stack has: " +
				"there the instance comes up without its data, and nothing says so. " +
				"In the stack shaped for the seed (no volume, no gate) it is judged on what it promises, the address moving.",
		},
		{
			Name:        "imdsv2-required",
			Description: "as above, with IMDSv2 required, as the launch template sets and new AMIs default to",
			IMDSv2Only:  true,
			Expect:      map[Script]Outcome{Ours: Healed, Seed: Failed},
			SeedStack:   Failed,
			Note:        "The seed reads the instance id with IMDSv1, which is refused here (401), so its associate-address never gets a valid instance id.",
		},
		{
			Name:        "address-still-held",
			Description: "the old instance still holds the address when the new one boots (Spot capacity rebalance)",
			Kill:        KillOptions{KeepAssociation: true},
			Expect:      map[Script]Outcome{Ours: Healed},
			Note: "The seed script is left out: it omits --allow-reassociation, which AWS treats as reassociation " +
				"allowed in a VPC, but moto as forbidden, so moto would decide its result, not AWS.",
		},
		{
			Name:        "throttled",
			Description: "AssociateAddress answers RequestLimitExceeded 3 times",
			APIFaults:   func(p *emulator.FaultProxy) { p.ThrottleFirst("AssociateAddress", 3) },
			Expect:      map[Script]Outcome{Ours: Healed, Seed: Failed},
			SeedStack:   Failed,
			Note: "The seed has no retry of its own, and the AWS CLI's default retries do not absorb this fault here: " +
				"in legacy mode (CLI v1's default) botocore retries EC2's RequestLimitExceeded only when it comes with HTTP 503, " +
				"and the lab's proxy sends it with HTTP 400; standard mode (CLI v2's default) retries the code whatever the status. " +
				"Which status EC2 itself sends is not settled in this repository, so this row may differ on AWS.",
		},
		{
			Name:        "server-errors",
			Description: "AssociateAddress answers 503 Unavailable twice, DescribeAddresses 500 once",
			APIFaults: func(p *emulator.FaultProxy) {
				p.ServerErrorFirst("AssociateAddress", 2)
				p.FailFirst("DescribeAddresses", 1, emulator.InternalError)
			},
			Expect:    map[Script]Outcome{Ours: Healed, Seed: Failed},
			SeedStack: Healed,
			Note:      cliRetriesNote + " The seed makes no DescribeAddresses call.",
		},
		{
			Name:        "iam-propagation",
			Description: "a role created in the same deployment: AuthFailure for 5 s, then UnauthorizedOperation twice",
			APIFaults: func(p *emulator.FaultProxy) {
				p.AuthFailureFor("", 5*time.Second)
				p.FailFirst("AssociateAddress", 2, emulator.UnauthorizedOperation)
			},
			Expect:    map[Script]Outcome{Ours: Healed, Seed: Failed},
			SeedStack: Failed,
			Note:      "The AWS CLI does not retry AuthFailure or UnauthorizedOperation in any retry mode, so the seed's one associate-address fails.",
		},
		{
			Name:           "metadata-slow",
			Description:    "the metadata service drops 2 connections, then answers 500 twice",
			MetadataFaults: func(p *emulator.FaultProxy) { p.DropFirstRequests(2); p.FailFirstRequests(2, 500) },
			Expect:         map[Script]Outcome{Ours: Healed, Seed: Failed},
			SeedStack:      Failed,
			Note:           "The seed's one curl meets the dropped connection, and its -e stops the script there.",
		},
		{
			Name:        "address-refused",
			Description: "AssociateAddress is refused for good (InvalidAllocationID.NotFound): the boot cannot succeed",
			APIFaults: func(p *emulator.FaultProxy) {
				p.FailFirst("AssociateAddress", 1_000_000, emulator.APIError{Status: 400, Code: "InvalidAllocationID.NotFound", Message: "The allocation ID does not exist"})
			},
			Expect:          map[Script]Outcome{Ours: Failed, Seed: Failed},
			SeedStack:       Failed,
			FailureMentions: []string{"associating Elastic IP", "InvalidAllocationID.NotFound"},
			Note: "Ours answers the launch gate with ABANDON, so the group replaces the instance at once; " +
				"the seed never answers it, so on AWS the hook's timeout (600 s by default) decides.",
		},
		{
			Name:            "metadata-down",
			Description:     "the metadata service never answers 200",
			MetadataFaults:  func(p *emulator.FaultProxy) { p.FailFirstRequests(1_000_000, 503) },
			Expect:          map[Script]Outcome{Ours: Failed, Seed: Failed},
			SeedStack:       Failed,
			FailureMentions: []string{"reading instance metadata", "meta-data/instance-id"},
		},
	}
}

// ScenarioNamed returns the scenario called name.
func ScenarioNamed(name string) (Scenario, error) {
	for _, sc := range Scenarios() {
		if sc.Name == name {
			return sc, nil
		}
	}
	return Scenario{}, fmt.Errorf("no scenario is called %q", name)
}
