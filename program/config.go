package program

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/selfhealing-dev/selfhealing/components"
)

// Config keys, in the project's namespace. Pulumi.yaml declares each one
// with its type, description and default.
const (
	KeyInstanceType                  = "instanceType"
	KeyAmiID                         = "amiId"
	KeySubnetIDs                     = "subnetIds"
	KeyIngress                       = "ingress"
	KeyAllocationID                  = "allocationId"
	KeyRetainOnDelete                = "retainOnDelete"
	KeyEnableSessionManager          = "enableSessionManager"
	KeyMetadataHopLimit              = "metadataHopLimit"
	KeyHealthCheckGracePeriodSeconds = "healthCheckGracePeriodSeconds"
	KeyRootVolumeSizeGiB             = "rootVolumeSizeGiB"
	KeyUserScript                    = "userScript"
	KeyTags                          = "tags"
	KeyDataVolume                    = "dataVolume"
	KeyDNS                           = "dns"
	KeySchedule                      = "schedule"
	KeyNotifications                 = "notifications"

	KeyLaunchGate               = "launchGate"
	KeyLaunchGateTimeoutSeconds = "launchGateTimeoutSeconds"
	KeyAppHealthCheck           = "appHealthCheck"
	KeyInstanceRefresh          = "instanceRefresh"
	KeySpot                     = "spot"
	KeySpotInstanceTypes        = "spotInstanceTypes"
	KeyWarmPool                 = "warmPool"
)

// ingressConfig is one element of the ingress config key.
type ingressConfig struct {
	Description string      `json:"description"`
	Protocol    string      `json:"protocol"`
	FromPort    *portNumber `json:"fromPort"`
	ToPort      *portNumber `json:"toPort"`
	CidrBlocks  []string    `json:"cidrBlocks"`
}

// dataVolumeConfig is the dataVolume config key. The empty object, the
// declared default, means no data volume.
type dataVolumeConfig struct {
	VolumeID             string           `json:"volumeId"`
	FormatIfBlank        bool             `json:"formatIfBlank"`
	SizeGiB              int              `json:"sizeGiB"`
	VolumeType           string           `json:"volumeType"`
	IOPS                 int              `json:"iops"`
	ThroughputMiBps      int              `json:"throughputMiBps"`
	KMSKeyARN            string           `json:"kmsKeyArn"`
	AvailabilityZone     string           `json:"availabilityZone"`
	MountPath            string           `json:"mountPath"`
	FSType               string           `json:"fsType"`
	AttachTimeoutSeconds *int             `json:"attachTimeoutSeconds"`
	ForceDetach          *bool            `json:"forceDetach"`
	DeletionPolicy       string           `json:"deletionPolicy"`
	Snapshots            *snapshotsConfig `json:"snapshots"`
}

// snapshotsConfig is dataVolume.snapshots.
type snapshotsConfig struct {
	TimeUTC          string `json:"timeUtc"`
	RetainCount      *int   `json:"retainCount"`
	ExecutionRoleARN string `json:"executionRoleArn"`
}

// args converts the config to component arguments. Zero means "the
// default" to the component, so explicit zeros that would silently become
// defaults are refused here.
func (c dataVolumeConfig) args() (*components.DataVolumeArgs, []error) {
	if c == (dataVolumeConfig{}) {
		return nil, nil
	}
	var errs []error
	v := &components.DataVolumeArgs{
		VolumeID: c.VolumeID, FormatIfBlank: c.FormatIfBlank, SizeGiB: c.SizeGiB, VolumeType: c.VolumeType, IOPS: c.IOPS,
		ThroughputMiBps: c.ThroughputMiBps, KMSKeyARN: c.KMSKeyARN, AvailabilityZone: c.AvailabilityZone,
		MountPath: c.MountPath, FSType: c.FSType, DeletionPolicy: c.DeletionPolicy,
		DisableForceDetach: c.ForceDetach != nil && !*c.ForceDetach,
	}
	if c.AttachTimeoutSeconds != nil {
		if *c.AttachTimeoutSeconds == 0 {
			errs = append(errs, errors.New(".attachTimeoutSeconds 0: want 30 to 3600, or remove it for the default 300"))
		}
		v.AttachTimeoutSeconds = *c.AttachTimeoutSeconds
	}
	if s := c.Snapshots; s != nil {
		v.Snapshots = &components.SnapshotArgs{TimeUTC: s.TimeUTC, ExecutionRoleARN: s.ExecutionRoleARN}
		if s.RetainCount != nil {
			if *s.RetainCount == 0 {
				errs = append(errs, errors.New(".snapshots.retainCount 0: want 1 to 1000, or remove it for the default 7"))
			}
			v.Snapshots.RetainCount = *s.RetainCount
		}
	}
	return v, errs
}

// portNumber is a port in configuration: 443, as a stack file or `pulumi
// config set --path 'ingress[0].fromPort' 443` writes it, or "443", as a
// hand-written or generated stack file may quote it.
type portNumber int

// UnmarshalJSON accepts a JSON number or a string holding a whole number.
func (p *portNumber) UnmarshalJSON(b []byte) error {
	text := strings.Trim(string(b), `"`)
	n, err := strconv.Atoi(text)
	if err != nil {
		return fmt.Errorf("port %s: want a whole number", b)
	}
	*p = portNumber(n)
	return nil
}

// LoadArgs reads the stack's configuration into component arguments. A value
// of the wrong type, or an unknown field in an object, is an error naming the
// key; the component checks the values themselves.
func LoadArgs(ctx *pulumi.Context) (components.SelfHealingInstanceArgs, error) {
	r := reader{cfg: config.New(ctx, ""), project: ctx.Project()}
	args := components.SelfHealingInstanceArgs{
		InstanceType:   r.nonEmptyStr(KeyInstanceType, "an EC2 instance type such as t3.micro"),
		AmiID:          r.str(KeyAmiID),
		AllocationID:   r.str(KeyAllocationID),
		RetainOnDelete: r.boolean(KeyRetainOnDelete, false),
		// Unset means the component's default, which Pulumi.yaml repeats.
		RootVolumeSizeGiB:     r.integer(KeyRootVolumeSizeGiB, 0),
		UserScript:            r.str(KeyUserScript),
		UserScriptIsSecret:    ctx.IsConfigSecret(ctx.Project() + ":" + KeyUserScript),
		DisableSessionManager: !r.boolean(KeyEnableSessionManager, true),
	}
	// Zero means "the default" to the component, so an explicit 0 here
	// must be refused rather than quietly become 1.
	if hops, ok := r.optionalInteger(KeyMetadataHopLimit); ok {
		if hops == 0 {
			r.fail(KeyMetadataHopLimit, errors.New("0: want 1 to 64 (1 keeps credentials on the host; containers need 2)"))
		}
		args.MetadataHopLimit = hops
	}
	if grace, ok := r.optionalInteger(KeyHealthCheckGracePeriodSeconds); ok {
		args.HealthCheckGracePeriodSeconds = &grace
	}

	// An empty list in configuration means "unset": the default VPC.
	var subnets []string
	if r.object(KeySubnetIDs, &subnets) && len(subnets) > 0 {
		args.SubnetIDs = subnets
	}
	var rules []ingressConfig
	r.object(KeyIngress, &rules)
	for i, rule := range rules {
		if rule.FromPort == nil || rule.ToPort == nil {
			r.fail(KeyIngress, fmt.Errorf("[%d]: fromPort and toPort are required", i))
			continue
		}
		args.Ingress = append(args.Ingress, components.IngressRule{
			Description: rule.Description,
			Protocol:    rule.Protocol,
			FromPort:    int(*rule.FromPort),
			ToPort:      int(*rule.ToPort),
			CidrBlocks:  rule.CidrBlocks,
		})
	}
	var tags map[string]string
	if r.object(KeyTags, &tags) && len(tags) > 0 {
		args.Tags = tags
	}
	var volume dataVolumeConfig
	if r.object(KeyDataVolume, &volume) {
		var errs []error
		args.DataVolume, errs = volume.args()
		for _, err := range errs {
			r.fail(KeyDataVolume, err)
		}
	}
	args.DNS = r.dns()
	args.Schedule = r.schedule()
	args.Notifications = r.notifications()
	r.healing(&args)
	r.readSections(ctx, &args)
	return args, errors.Join(r.errs...)
}

// reader reads typed config values and collects every error.
type reader struct {
	cfg     *config.Config
	project string
	errs    []error
}

func (r *reader) fail(key string, err error) {
	r.errs = append(r.errs, fmt.Errorf("config %s:%s: %w", r.project, key, err))
}

func (r *reader) str(key string) string {
	return r.cfg.Get(key)
}

// nonEmptyStr reads a key whose empty value would silently mean a default.
func (r *reader) nonEmptyStr(key, want string) string {
	v, err := r.cfg.Try(key)
	if err == nil && v == "" {
		r.fail(key, fmt.Errorf("empty; want %s, or remove the key for the default", want))
	}
	return v
}

func (r *reader) boolean(key string, unset bool) bool {
	v, err := r.cfg.TryBool(key)
	switch {
	case errors.Is(err, config.ErrMissingVar):
		return unset
	case err != nil:
		r.fail(key, fmt.Errorf("want true or false, got %q", r.cfg.Get(key)))
	}
	return v
}

func (r *reader) optionalInteger(key string) (int, bool) {
	v, err := r.cfg.TryInt(key)
	switch {
	case errors.Is(err, config.ErrMissingVar):
		return 0, false
	case err != nil:
		r.fail(key, fmt.Errorf("want a whole number, got %q", r.cfg.Get(key)))
		return 0, false
	}
	return v, true
}

func (r *reader) integer(key string, unset int) int {
	if v, ok := r.optionalInteger(key); ok {
		return v
	}
	return unset
}

// object decodes a JSON config value into out, refusing unknown fields, and
// reports whether the key was set.
func (r *reader) object(key string, out any) bool {
	raw, err := r.cfg.Try(key)
	if errors.Is(err, config.ErrMissingVar) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		r.fail(key, fmt.Errorf("cannot read %q: %w", raw, err))
		return false
	}
	return true
}
