package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Target lifecycle states the metadata mock can report at
// autoscaling/target-lifecycle-state. v1.13.0 implements only the transition
// from InService to Terminated; the other states real IMDS reports
// (Pending:Wait, Warmed:*, Standby, ...) cannot be mocked.
const (
	LifecycleInService  = "InService"
	LifecycleTerminated = "Terminated"
)

// Defaults of [IMDSOptions].
const (
	DefaultInstanceID       = "i-1234567890abcdef0"
	DefaultAvailabilityZone = "us-east-1a"
)

// neverTrigger is an RFC 3339 time that the mock's trigger checks never reach.
const neverTrigger = "9999-12-31T23:59:59Z"

// defaultIMDSStartTimeout bounds the wait for the mock to answer; it starts in
// milliseconds.
const defaultIMDSStartTimeout = 30 * time.Second

// IMDSOptions configures [StartIMDS] and [StartIMDSE]. The zero value is an instance
// i-1234567890abcdef0 in us-east-1a that requires IMDSv2 tokens, is InService
// and announces nothing: no Spot interruption, no rebalance recommendation,
// no scheduled maintenance event, no Auto Scaling termination.
type IMDSOptions struct {
	// InstanceID is served at instance-id and in the instance identity
	// document; [DefaultInstanceID] if empty.
	InstanceID string
	// AvailabilityZone is served at placement/availability-zone and in the
	// identity document; [DefaultAvailabilityZone] if empty.
	AvailabilityZone string
	// Region is served at placement/region and in the identity document;
	// if empty it is derived from AvailabilityZone by dropping its final
	// letter.
	Region string

	// AllowIMDSv1 lets requests without a session token through. By default
	// every metadata request needs an X-aws-ec2-metadata-token header
	// obtained with PUT /latest/api/token, and is answered 401 otherwise, as
	// on an instance with HttpTokens=required.
	AllowIMDSv1 bool

	// TargetLifecycleState is served at autoscaling/target-lifecycle-state:
	// [LifecycleInService] (the default if empty) or [LifecycleTerminated].
	TargetLifecycleState string
	// TerminateAfter, if positive and the state is InService, makes the
	// state change to Terminated this long after the mock starts, in whole
	// seconds (rounded up).
	TerminateAfter time.Duration

	// SpotInterruption, if not nil, makes spot/instance-action and
	// spot/termination-time announce an interruption. Without it both
	// answer 404, as on an instance that is not being interrupted.
	SpotInterruption *SpotInterruption

	// Role is the instance profile's role, whose credentials the mock
	// serves at iam/security-credentials/ROLE, where the AWS CLI on an
	// instance finds them. If nil, the mock serves role [DefaultRoleName]
	// with [TestCredentials], which moto accepts while IAM enforcement is
	// off, valid for a day.
	Role *InstanceRole
}

// DefaultRoleName is the role [IMDSOptions] serves credentials for by
// default: the metadata mock's own.
const DefaultRoleName = "baskinc-role"

// InstanceRole is the role of an instance's instance profile, as the
// metadata service serves it.
type InstanceRole struct {
	// Name is the role's name (the last part of its ARN), the key under
	// iam/security-credentials/.
	Name string
	// Credentials are the role's temporary credentials, as EC2 gets them
	// from sts:AssumeRole.
	Credentials Credentials
	// Expiration is when they expire; a day from the mock's start if zero.
	// The CLI asks for new ones shortly before.
	Expiration time.Time
}

// SpotInterruption describes a Spot interruption notice served by the
// metadata mock.
//
// The mock (v1.13.0) times the Spot notice and the scheduled-maintenance
// event (events/maintenance/scheduled) with the same trigger, so with a
// SpotInterruption the mock also announces a system-reboot maintenance
// event at the same time.
type SpotInterruption struct {
	// Action is "terminate" (the default if empty), "stop" or "hibernate".
	Action string
	// After delays the notice this long after the mock starts, in whole
	// seconds (rounded up); until then the paths answer 404.
	After time.Duration
}

// IMDS is a running Amazon EC2 Metadata Mock on a loopback port, started by
// [StartIMDS] or [StartIMDSE].
type IMDS struct {
	// URL is the mock's base URL, http://127.0.0.1:PORT; the metadata is
	// under URL + "/latest/meta-data/" and tokens come from
	// PUT URL + "/latest/api/token".
	URL string
	// InstanceID, AvailabilityZone and Region are the values served, with
	// defaults applied.
	InstanceID, AvailabilityZone, Region string

	srv *server
}

// StartIMDS starts the metadata mock like [StartIMDSE] and registers a
// t.Cleanup that closes it (see [IMDS.Close]) and, if the test failed, logs
// the tail of the mock's output.
//
// It fails the test if opts is invalid or the mock cannot be built or
// started, and behaves like [RequireTool] (a skip outside CI) if the go
// command is missing.
func StartIMDS(t testing.TB, opts IMDSOptions) *IMDS {
	t.Helper()
	if _, err := opts.mockConfig(); err != nil {
		t.Fatalf("StartIMDS: %v", err)
	}
	MetadataMockBinary(t)
	m, err := StartIMDSE(opts)
	if err != nil {
		t.Fatalf("StartIMDS: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("StartIMDS cleanup: %v", err)
		}
		if t.Failed() {
			t.Logf("ec2-metadata-mock output (tail):\n%s", m.LogTail())
		}
	})
	return m
}

// StartIMDSE starts the metadata mock built by [MetadataMockBinaryE] on a
// free loopback port in its own process group, configured through a JSON
// config file in a temporary directory as opts says, and waits until it
// answers. It returns an error, never fails a test, so it can be used
// outside tests too; the caller must call [IMDS.Close] when done. It needs
// what MetadataMockBinaryE needs: the go command and this module's source.
//
// It returns an error if opts is invalid or the mock cannot be built or
// started; in the last case the error includes the tail of the mock's
// output, and nothing is left running.
func StartIMDSE(opts IMDSOptions) (*IMDS, error) {
	cfg, err := opts.mockConfig()
	if err != nil {
		return nil, fmt.Errorf("invalid IMDSOptions: %w", err)
	}
	cfgJSON, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("start ec2-metadata-mock: encode its config: %w", err)
	}
	bin, err := MetadataMockBinaryE()
	if err != nil {
		return nil, err
	}
	srv, url, err := startOwnedServer("ec2-metadata-mock", func(dir string) (serverSpec, error) {
		cfgPath := filepath.Join(dir, "aemm-config.json")
		if err := os.WriteFile(cfgPath, cfgJSON, 0o644); err != nil {
			return serverSpec{}, fmt.Errorf("start ec2-metadata-mock: write its config: %w", err)
		}
		return serverSpec{
			name: "ec2-metadata-mock",
			command: func(port int) *exec.Cmd {
				cmd := exec.Command(bin, "--config-file", cfgPath, "--hostname", "127.0.0.1", "--port", strconv.Itoa(port))
				// The mock reads AEMM_* variables and $HOME/aemm-config.json:
				// give it neither.
				cmd.Env = []string{"HOME=" + dir}
				cmd.Dir = dir
				return cmd
			},
			probePath: "/latest/api/token",
			timeout:   defaultIMDSStartTimeout,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &IMDS{
		URL:              url,
		InstanceID:       cfg.Metadata.Values.InstanceID,
		AvailabilityZone: cfg.Metadata.Values.AvailabilityZone,
		Region:           cfg.Metadata.Values.Region,
		srv:              srv,
	}, nil
}

// Close stops the metadata mock (its whole process group, SIGKILL after 5s
// if SIGTERM is not enough, with a bounded wait until it has exited) and
// removes its temporary directory. Close is idempotent and safe for
// concurrent use: later calls do nothing and return the first call's
// result. Once it has returned, nothing listens at m.URL any more. Close on
// an IMDS that was not started by [StartIMDS] or [StartIMDSE] does nothing.
func (m *IMDS) Close() error {
	return m.srv.close()
}

// LogTail returns the last 8 KiB of the mock's combined stdout and stderr,
// for error messages. It also works after [IMDS.Close], returning the output
// as it was then.
func (m *IMDS) LogTail() string {
	return m.srv.logTail()
}

// mockConfig is the subset of the mock's configuration file (pkg/config.Config
// in amazon-ec2-metadata-mock) that StartIMDSE sets. Keys absent here keep the
// mock's defaults.
type mockConfig struct {
	IMDSv2Required bool `json:"imdsv2"`
	// MockIPCount limits how many client IPs get Spot, events and ASG
	// answers; negative disables the limit.
	MockIPCount int `json:"mock-ip-count"`
	// The Spot notice and the scheduled event share these two triggers;
	// the trigger time wins over the delay when it is set.
	MockDelaySec         int64  `json:"mock-delay-sec"`
	MockTriggerTime      string `json:"mock-trigger-time,omitempty"`
	RebalanceTriggerTime string `json:"rebalance-trigger-time"`
	// ASGTerminationDelaySec is when target-lifecycle-state turns from
	// InService to Terminated, counted from start.
	ASGTerminationDelaySec int64 `json:"asg-termination-delay-sec"`

	Spot struct {
		Action string `json:"action"`
	} `json:"spot"`
	Metadata struct {
		Paths struct {
			// The path holds the role's name; the mock serves one role.
			IAMCredentials string `json:"iam-security-credentials"`
		} `json:"paths"`
		Values struct {
			InstanceID       string              `json:"instance-id"`
			AvailabilityZone string              `json:"placement-availability-zone"`
			Region           string              `json:"placement-region"`
			IAMRole          string              `json:"iam-security-credentials-role"`
			IAMCredentials   mockRoleCredentials `json:"iam-security-credentials"`
		} `json:"values"`
	} `json:"metadata"`
	Dynamic struct {
		Values struct {
			// Only these keys are overridden; the mock merges the rest of
			// its default document in.
			IdentityDocument struct {
				InstanceID       string `json:"instanceId"`
				AvailabilityZone string `json:"availabilityZone"`
				Region           string `json:"region"`
			} `json:"instance-identity-document"`
		} `json:"values"`
	} `json:"dynamic"`
}

// mockRoleCredentials is the document served at
// iam/security-credentials/ROLE, in the shape EC2 serves it.
type mockRoleCredentials struct {
	Code            string `json:"Code"`
	LastUpdated     string `json:"LastUpdated"`
	Type            string `json:"Type"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
}

// mockConfig validates o and translates it into the mock's configuration.
func (o IMDSOptions) mockConfig() (mockConfig, error) {
	var c mockConfig
	if o.InstanceID == "" {
		o.InstanceID = DefaultInstanceID
	}
	if o.AvailabilityZone == "" {
		o.AvailabilityZone = DefaultAvailabilityZone
	}
	if o.Region == "" {
		o.Region = strings.TrimRight(o.AvailabilityZone, "abcdefghijklmnopqrstuvwxyz")
		if o.Region == "" || o.Region == o.AvailabilityZone {
			return c, fmt.Errorf("cannot derive a region from availability zone %q; set Region", o.AvailabilityZone)
		}
	}

	c.IMDSv2Required = !o.AllowIMDSv1
	c.MockIPCount = -1
	c.Metadata.Values.InstanceID = o.InstanceID
	c.Metadata.Values.AvailabilityZone = o.AvailabilityZone
	c.Metadata.Values.Region = o.Region
	role := InstanceRole{Name: DefaultRoleName, Credentials: TestCredentials}
	if o.Role != nil {
		role = *o.Role
		if role.Name == "" || strings.ContainsAny(role.Name, "/?#") || role.Credentials.AccessKeyID == "" {
			return c, fmt.Errorf("instance role %q needs a name (no slash) and an access key", role.Name)
		}
	}
	now := time.Now().UTC()
	if role.Expiration.IsZero() {
		role.Expiration = now.Add(24 * time.Hour)
	}
	c.Metadata.Paths.IAMCredentials = "/latest/meta-data/iam/security-credentials/" + role.Name
	c.Metadata.Values.IAMRole = role.Name
	c.Metadata.Values.IAMCredentials = mockRoleCredentials{
		Code: "Success", LastUpdated: now.Format(time.RFC3339), Type: "AWS-HMAC",
		AccessKeyID: role.Credentials.AccessKeyID, SecretAccessKey: role.Credentials.SecretAccessKey,
		Token: role.Credentials.SessionToken, Expiration: role.Expiration.UTC().Format(time.RFC3339),
	}
	doc := &c.Dynamic.Values.IdentityDocument
	doc.InstanceID, doc.AvailabilityZone, doc.Region = o.InstanceID, o.AvailabilityZone, o.Region

	// The mock's own defaults announce everything at once (delays of 0):
	// a Spot interruption, a rebalance recommendation, a scheduled
	// maintenance event and a Terminated lifecycle state. Push every
	// trigger out of reach unless asked for.
	c.RebalanceTriggerTime = neverTrigger
	c.Spot.Action = "terminate"
	if s := o.SpotInterruption; s == nil {
		c.MockTriggerTime = neverTrigger
	} else {
		if s.Action != "" {
			c.Spot.Action = s.Action
		}
		if !slices.Contains([]string{"terminate", "stop", "hibernate"}, c.Spot.Action) {
			return c, fmt.Errorf("unsupported Spot interruption action %q; want terminate, stop or hibernate", s.Action)
		}
		if s.After < 0 {
			return c, fmt.Errorf("negative Spot interruption delay %v", s.After)
		}
		c.MockDelaySec = ceilSeconds(s.After)
	}

	switch o.TargetLifecycleState {
	case "", LifecycleInService:
		c.ASGTerminationDelaySec = math.MaxInt32 // about 68 years
		if o.TerminateAfter > 0 {
			c.ASGTerminationDelaySec = ceilSeconds(o.TerminateAfter)
		}
	case LifecycleTerminated:
		if o.TerminateAfter != 0 {
			return c, fmt.Errorf("TerminateAfter needs TargetLifecycleState %s, not %s", LifecycleInService, o.TargetLifecycleState)
		}
		c.ASGTerminationDelaySec = 0
	default:
		return c, fmt.Errorf("the metadata mock cannot serve target lifecycle state %q; it supports only %s and %s",
			o.TargetLifecycleState, LifecycleInService, LifecycleTerminated)
	}
	return c, nil
}

// ceilSeconds converts d to whole seconds, rounding up.
func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
