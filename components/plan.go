package components

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// plan is the arguments resolved once, what every builder reads: newPlan
// applies the defaults and runs every field's rule, and lookup adds what
// AWS says. A default is applied here and nowhere else: the switches and
// numbers below are plain values. A value that may be another resource's
// output stays an input, and flows carries it, checked by its field's rule
// when it resolves.
type plan struct {
	project, stack, name, groupName string
	// args are the arguments with defaults applied: the resources read
	// their plain fields and the sections' own arguments.
	args SelfHealingInstanceArgs

	sessionManager, launchGate, instanceRefresh bool
	// launchFirst is how the group replaces its instance: true when only
	// the Elastic IP has to move (launchesFirst), so the replacement
	// launches, boots and takes the address before the old instance is
	// terminated; false when the stack holds something only one instance
	// can have at a time, so the old one goes first.
	launchFirst bool
	// launchGateTimeout is 0 without the launch gate; dnsTTL,
	// logRetentionDays and snapshotRetainCount are 0 without their option.
	launchGateTimeout, metadataHopLimit, gracePeriod int
	dnsTTL, logRetentionDays, snapshotRetainCount    int
	// parameters are Parameters and SecretParameters, sorted by key.
	parameters []parameter
	// alarms are the alarms to create, with their defaults applied.
	alarms []alarmSpec
	// boot is the boot script's parameters, less the values that may be
	// outputs (bootInputs), which bootParams fills in.
	boot userdata.Params

	// What lookup adds: where the stack deploys, and what the arguments
	// name in AWS.
	env     awsEnvironment
	where   resolvedPlacement
	image   machineImage
	zone    resolvedZone
	address existingAddress
	adopted existingVolume
	// adoptedInterface is the interface networkInterface.networkInterfaceId
	// adopts.
	adoptedInterface existingInterface
	flows            flows
}

// newPlan resolves a in project and stack, as component name, into a plan
// whose group is groupName. It is a pure function: it applies the
// defaults, runs every field's rule and then checks, once, that the boot
// script fits EC2's user-data limit, unless args bring an Elastic IP by a
// literal id: then the builder's lookup does, with the address it looks
// up. It returns the plan even with an error, so that tests can compare
// the rules with the boot script's own.
func newPlan(a SelfHealingInstanceArgs, project, stack, name, groupName string) (*plan, error) {
	d := a.WithDefaults()
	p := &plan{
		project: project, stack: stack, name: name, groupName: groupName, args: d,
		sessionManager: *d.EnableSessionManager, launchGate: *d.LaunchGate, instanceRefresh: *d.InstanceRefresh,
		metadataHopLimit: *d.MetadataHopLimit, gracePeriod: *d.HealthCheckGracePeriodSeconds,
		parameters: d.parameters(), alarms: planAlarms(d, groupName),
		launchFirst: launchesFirst(d),
	}
	if p.launchGate {
		p.launchGateTimeout = *d.LaunchGateTimeoutSeconds
	}
	if d.DNS != nil {
		p.dnsTTL = *d.DNS.TTL
	}
	if d.Logs != nil && d.Logs.RetentionDays != nil { // required: validate says so
		p.logRetentionDays = *d.Logs.RetentionDays
	}
	if v := d.DataVolume; v != nil && v.Snapshots != nil {
		p.snapshotRetainCount = *v.Snapshots.RetainCount
	}
	p.boot = p.bootScriptParams()
	if err := errors.Join(validateName(name), d.validate(project)); err != nil {
		return p, err
	}
	if p.addressLookedUp() {
		return p, nil
	}
	return p, p.checkBootScriptSize("")
}

// addressLookedUp reports that args bring the Elastic IP by a literal
// allocation id, whose address the builder looks up before it creates
// anything.
func (p *plan) addressLookedUp() bool {
	id, known := knownString(p.args.AllocationID)
	return known && id != ""
}

// launchesFirst is the rule for how the group replaces its instance: it
// launches the replacement first whenever nothing but the Elastic IP has
// to move, which any number of instances can take turns at. A data volume
// and a persistent network interface attach to one instance at a time, so
// with either the old instance lets go first (replacementBounds says how).
func launchesFirst(a SelfHealingInstanceArgs) bool {
	return a.DataVolume == nil && a.NetworkInterface == nil
}

// bootScriptParams are the boot script's parameters that the plan knows.
func (p *plan) bootScriptParams() userdata.Params {
	a := p.args
	boot := userdata.Params{GroupName: p.groupName}
	if p.launchGate {
		boot.LaunchGate = &userdata.LaunchGateParams{HookName: LaunchGateHookName, TimeoutSeconds: p.launchGateTimeout}
	}
	if h := a.AppHealthCheck; h != nil {
		boot.HealthCheck = &userdata.HealthCheckParams{
			ExpectedStatus: *h.ExpectedStatus, IntervalSeconds: *h.IntervalSeconds,
			TimeoutSeconds: *h.TimeoutSeconds, FailureThreshold: *h.FailureThreshold,
		}
	}
	if v := a.DataVolume; v != nil {
		boot.DataVolume = &userdata.DataVolumeParams{
			DeviceName:  DataVolumeDeviceName,
			MountPath:   v.MountPath,
			FSType:      v.FSType,
			WaitSeconds: *v.AttachTimeoutSeconds,
			ForceDetach: *v.ForceDetach,
			// A volume the component creates, or an adopted one the
			// user allowed, may be formatted when it is new and blank.
			MayFormat: v.VolumeID == "" || v.FormatIfBlank,
		}
	}
	if n := a.NetworkInterface; n != nil {
		boot.NetworkInterface = &userdata.NetworkInterfaceParams{
			WaitSeconds: *n.AttachTimeoutSeconds,
			ForceDetach: *n.ForceDetach,
		}
	}
	boot.Handover = p.handoverParams()
	boot.WarmWatch = a.WarmPool && a.WarmPoolState == WarmPoolRunning
	if a.Logs != nil {
		boot.Logs = &userdata.LogsParams{LogGroupName: LogGroupName(p.project, p.stack, p.name), ExtraFiles: a.Logs.ExtraFiles}
	}
	if h := a.HTTPS; h != nil {
		boot.HTTPS = &userdata.HTTPSParams{
			DomainName: h.DomainName, Email: h.Email, AppPort: h.AppPort, Staging: h.Staging,
			CertDir: h.certDir(a.DataVolume),
		}
	}
	// The alarms on memory and disks read what the agent publishes.
	boot.AgentMetrics = agentMetrics(p.alarms)
	if len(p.parameters) > 0 {
		boot.Parameters = &userdata.ParametersParams{Path: ParametersPath(p.project, p.stack, p.name)}
	}
	return boot
}

// bootInputs are the values the boot script carries that may be outputs.
type bootInputs struct {
	AllocationID, PublicIP, VolumeID, NetworkInterfaceID, UserScript, HealthURL, HealthCommand string
}

// bootParams are the boot script's parameters once in's values are known.
func (p *plan) bootParams(in bootInputs) userdata.Params {
	boot := p.boot
	boot.AllocationID, boot.PublicIP, boot.UserScript = in.AllocationID, in.PublicIP, in.UserScript
	if v := boot.DataVolume; v != nil {
		volume := *v
		volume.VolumeID = in.VolumeID
		boot.DataVolume = &volume
	}
	if n := boot.NetworkInterface; n != nil {
		eni := *n
		eni.InterfaceID = in.NetworkInterfaceID
		boot.NetworkInterface = &eni
	}
	if h := boot.HealthCheck; h != nil {
		check := *h
		check.URL, check.Command = in.HealthURL, in.HealthCommand
		boot.HealthCheck = &check
	}
	return boot
}

// The ids of the Elastic IP, the volume and the interface the component has yet to
// create are unknown before anything exists; these stand in for them when
// the boot script's size is checked. They are as long as the longest ids
// EC2 issues, and their digits follow no pattern, so that they compress as
// badly as a real id, which is random: a run of one digit compresses to
// almost nothing, and let through scripts that the real id then did not.
// A real id can still compress a byte better or worse; within that of the
// limit, the check with the real values, when the launch template is
// created, has the last word, with the same message.
const (
	standInAllocationID = "eipalloc-09c4e1f7a2b8d3e65"
	standInVolumeID     = "vol-05d2a8f0c7e1b946a"
	standInInterfaceID  = "eni-0b7e3d9a1f64c28e5"
	// standInPublicIP is as long as an IPv4 address gets, in the range
	// RFC 5737 keeps for documentation.
	standInPublicIP = "203.0.113.217"
)

// knownInputs are the boot script's values as far as they are known.
// allocationID, publicIP, volumeID and interfaceID stand in for those that
// are not. An output user script counts as "", and an output health URL or
// command as the shortest valid one: the boot script is rendered again,
// and checked with the real values, when they resolve.
func (p *plan) knownInputs(allocationID, publicIP, volumeID, interfaceID string) bootInputs {
	a := p.args
	in := bootInputs{AllocationID: allocationID, PublicIP: publicIP, VolumeID: volumeID, NetworkInterfaceID: interfaceID}
	in.UserScript, _ = knownString(a.UserScript)
	if h := a.AppHealthCheck; h != nil {
		var known bool
		if in.HealthURL, known = knownString(h.URL); !known {
			in.HealthURL = "http://localhost/"
		}
		if in.HealthCommand, known = knownString(h.Command); !known {
			in.HealthCommand = "true"
		}
	}
	return in
}

// standInSlack is how much of EC2's limit the size check keeps free for
// each value it stood in for: two random ids, or two addresses, of one
// length compress to within a few bytes of each other, so a script this
// close to the limit with a stand-in may not fit with the value AWS issues,
// and is refused at preview rather than when the launch template is
// created.
const standInSlack = 8

// checkBootScriptSize renders the boot script with every value known
// before anything is created, publicIP the Elastic IP's address when it
// was looked up ("" when AWS has yet to allocate it), so that a user
// script that does not fit, compressed, fails during `pulumi preview`.
func (p *plan) checkBootScriptSize(publicIP string) error {
	allocationID, volumeID, interfaceID := standInAllocationID, standInVolumeID, standInInterfaceID
	standIns := 4
	if id, known := knownString(p.args.AllocationID); known && id != "" {
		allocationID, standIns = id, standIns-1
	}
	if publicIP != "" {
		standIns--
	} else {
		publicIP = standInPublicIP
	}
	if v := p.args.DataVolume; v == nil || v.VolumeID != "" {
		standIns--
		if v != nil {
			volumeID = v.VolumeID
		}
	}
	if n := p.args.NetworkInterface; n == nil || n.NetworkInterfaceID != "" {
		standIns--
		if n != nil {
			interfaceID = n.NetworkInterfaceID
		}
	}
	encoded, err := userdata.Encode(p.bootParams(p.knownInputs(allocationID, publicIP, volumeID, interfaceID)))
	if err == nil && standIns > 0 {
		limit := userdata.MaxBytes - standIns*standInSlack
		if size := base64.StdEncoding.DecodedLen(len(encoded)) - strings.Count(encoded, "="); size > limit {
			err = fmt.Errorf("userScript: the boot script is %d bytes gzip-compressed with stand-ins for the %d ids and addresses AWS has yet to issue, "+
				"too close to EC2's %d-byte user-data limit for the real values to be sure to fit; "+
				"shorten the user script by about %d compressed bytes, or have it download the rest",
				size, standIns, userdata.MaxBytes, size-limit)
		}
	}
	if err != nil && (p.boot.Logs != nil || p.boot.HTTPS != nil || p.boot.Parameters != nil || p.boot.AgentMetrics != nil) {
		return fmt.Errorf("the boot script with logs, https, parameters or alarms does not fit: %w", err)
	}
	return err
}

// builder creates the component's resources from a plan, one method per
// AWS concern, each in that concern's file.
type builder struct {
	ctx    *pulumi.Context
	c      *SelfHealingInstance
	p      *plan
	parent pulumi.ResourceOrInvokeOption
}
