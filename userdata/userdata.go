// Package userdata renders the boot script that makes a freshly launched
// instance take its group's Elastic IP.
//
// The script is static bash, the files in sh/ embedded in the binary, after
// a generated header of readonly values and feature flags. Rendering is a
// pure function of [Params]: every value in the header is single-quoted
// for bash, so no value can end its quoting or run a command.
package userdata

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/selfhealing-dev/selfhealing/internal/shellquote"
)

// RetryWindowSeconds bounds, in time, each step of the boot script that
// retries: an AWS call, a metadata read, the wait for the address to show.
// No try starts that could not end within it of the step's start.
const RetryWindowSeconds = 180

// MaxBytes is EC2's limit on raw user data, before base64 encoding. The
// raw user data is the gzip-compressed script (see [Encode]).
const MaxBytes = 16 * 1024

// IMDSEndpointEnv names the one environment variable the script reads for
// tests: the base URL of the instance metadata service. It defaults to
// DefaultIMDSEndpoint, and nothing sets it on EC2.
const IMDSEndpointEnv = "SELFHEALING_IMDS_ENDPOINT"

// DefaultIMDSEndpoint is the link-local address of the EC2 instance metadata
// service.
const DefaultIMDSEndpoint = "http://169.254.169.254"

// LogFile is where the script appends its timestamped log on the instance,
// besides stderr, which cloud-init copies to /var/log/cloud-init-output.log
// and the console.
const LogFile = "/var/log/selfhealing-boot.log"

// StatusFile holds the script's last state on the instance: "starting";
// "ready" once the address is here and the user script succeeded; "warm" or
// "terminating" when the Auto Scaling lifecycle says to leave the address
// alone; or "failed: <step>: <reason>".
const StatusFile = "/run/selfhealing/status"

// allocationIDPattern matches EC2 Elastic IP allocation ids.
var allocationIDPattern = regexp.MustCompile(`^eipalloc-[0-9a-f]{8,17}$`)

// Params are the values the boot script is rendered with.
type Params struct {
	// AllocationID is the Elastic IP to take, such as "eipalloc-0123456789abcdef0".
	AllocationID string
	// GroupName is the instance's Auto Scaling group: the group of the
	// launch gate's and the hand-over's hooks, the one a failed boot marks
	// the instance Unhealthy in when no launch action waits for an ABANDON
	// (no gate, or a later boot), and the dimension of the agent's
	// metrics.
	GroupName string
	// PublicIP is the Elastic IP's address, known when the stack is
	// written: the user script gets it as SELFHEALING_PUBLIC_IP, since it
	// runs before the instance takes the address. Empty gives it none.
	PublicIP string
	// UserScript runs before the instance takes the address, after
	// everything else that does not need it. A script that starts
	// with "#!" runs with that interpreter; otherwise bash runs it. Empty
	// means none.
	UserScript string
	// DataVolume, when not nil, is attached and mounted before the user script runs.
	DataVolume *DataVolumeParams
	// NetworkInterface, when not nil, is attached after the data volume;
	// it carries the Elastic IP, which the script then does not move.
	NetworkInterface *NetworkInterfaceParams
	// Handover, when not nil (only with DataVolume), is the termination
	// lifecycle hook at which the instance lets go of the data volume,
	// and how it stops the application first.
	Handover *HandoverParams
	// Logs, HTTPS and Parameters, when not nil, run in that order after
	// the volume is in place, right before the user script. HTTPS asks for
	// a certificate it has none of only once the address is here.
	Logs  *LogsParams
	HTTPS *HTTPSParams
	// AgentMetrics, when not nil, has the CloudWatch agent, which the
	// logs section starts, publish memory and disk use; with it the
	// agent starts without Logs too.
	AgentMetrics *AgentMetricsParams
	Parameters   *ParametersParams
	// LaunchGate, when not nil, is the launch lifecycle hook the script
	// completes: CONTINUE once the instance is ready, ABANDON if its boot
	// fails.
	LaunchGate *LaunchGateParams
	// HealthCheck, when not nil, is installed with a timer once the
	// instance is ready; with a launch gate, the instance is ready only
	// once it passes.
	HealthCheck *HealthCheckParams
	// WarmWatch carries the warm pool's watcher: an instance kept running
	// in a warm pool (Warmed:Running) is not started again when the
	// group takes it, so its boot in the pool installs a unit that runs
	// the script once the instance is headed InService.
	WarmWatch bool
}

// AllocationIDProblem says what is wrong with id as an Elastic IP
// allocation id, or "".
func AllocationIDProblem(id string) string {
	if !allocationIDPattern.MatchString(id) {
		return "want an Elastic IP allocation id like eipalloc-0123456789abcdef0"
	}
	return ""
}

// Validate reports every field of p that the script cannot be rendered
// with, naming each field and what it allows.
func (p Params) Validate() error {
	var errs []error
	if msg := AllocationIDProblem(p.AllocationID); msg != "" {
		errs = append(errs, fmt.Errorf("allocationId %q: %s", p.AllocationID, msg))
	}
	if !groupNamePattern.MatchString(p.GroupName) {
		errs = append(errs, fmt.Errorf("groupName %q: want 1 to 255 of A-Z a-z 0-9 . _ -, as the component names its group (AutoScalingGroupName)", p.GroupName))
	}
	if p.PublicIP != "" {
		if ip, err := netip.ParseAddr(p.PublicIP); err != nil || !ip.Is4() {
			errs = append(errs, fmt.Errorf("publicIp %q: want the Elastic IP's IPv4 address, such as 203.0.113.10", p.PublicIP))
		}
	}
	if strings.ContainsRune(p.UserScript, 0) {
		errs = append(errs, fmt.Errorf("userScript: contains a NUL byte, which bash cannot hold in a variable"))
	}
	if p.DataVolume != nil {
		errs = append(errs, p.DataVolume.validate()...)
	}
	if p.LaunchGate != nil {
		errs = append(errs, p.LaunchGate.validate()...)
	}
	if p.Handover != nil {
		errs = append(errs, p.Handover.validate(p.DataVolume)...)
		if strings.ContainsRune(p.Handover.StopScript, 0) {
			errs = append(errs, fmt.Errorf("dataVolume.stopScript: contains a NUL byte, which bash cannot hold in a variable"))
		}
	}
	if p.NetworkInterface != nil {
		errs = append(errs, p.NetworkInterface.validate()...)
	}
	if p.LaunchGate != nil && (p.DataVolume != nil || p.NetworkInterface != nil) {
		if msg := GateOutlastsVolumeProblem(p.LaunchGate.TimeoutSeconds, p.attachWaitSeconds()); msg != "" {
			errs = append(errs, fmt.Errorf("launchGate.timeoutSeconds %d: %s", p.LaunchGate.TimeoutSeconds, msg))
		}
	}
	if p.HealthCheck != nil {
		errs = append(errs, p.HealthCheck.validate()...)
	}
	if err := p.validateSections(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// attachWaitSeconds is the longest a boot may wait, in all, for the data
// volume and the network interface to come free of its predecessor.
func (p Params) attachWaitSeconds() int {
	seconds := 0
	if v := p.DataVolume; v != nil {
		seconds += v.WaitSeconds
	}
	if n := p.NetworkInterface; n != nil {
		seconds += n.WaitSeconds
	}
	return seconds
}

// Render returns the boot script for p, as the instance runs it. It fails
// if p is invalid or if the script, compressed as [Encode] sends it, would
// exceed EC2's MaxBytes user-data limit, so that Render and Encode accept
// exactly the same parameters.
func Render(p Params) (string, error) {
	script, _, err := render(p)
	return script, err
}

// render returns the boot script for p and its gzip compression, checking
// the compressed size against MaxBytes.
func render(p Params) (text string, compressed []byte, err error) {
	if err := p.Validate(); err != nil {
		return "", nil, err
	}
	text = assemble(p)
	compressed, err = compress([]byte(text))
	if err != nil {
		return "", nil, err
	}
	if len(compressed) > MaxBytes {
		return "", nil, fmt.Errorf("userScript: the boot script is %d bytes gzip-compressed (%d bytes plain), over EC2's %d-byte user-data limit; "+
			"shorten the user script by about %d compressed bytes, or have it download the rest",
			len(compressed), len(text), MaxBytes, len(compressed)-MaxBytes)
	}
	return text, compressed, nil
}

// ShellQuote returns s as one bash word that expands to exactly s: it is
// wrapped in single quotes, inside which bash interprets nothing, and each
// single quote in s is written as '\” (close, escaped quote, reopen).
func ShellQuote(s string) string {
	return shellquote.Quote(s)
}
