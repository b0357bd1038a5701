package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// Defaults for DataVolumeArgs fields left at their zero value.
const (
	DefaultDataVolumeType                 = "gp3"
	DefaultDataVolumeMountPath            = "/data"
	DefaultDataVolumeFSType               = "ext4"
	DefaultDataVolumeAttachTimeoutSeconds = 300
	DefaultDataVolumeDeletionPolicy       = DeletionPolicyProtect
	DefaultSnapshotRetainCount            = 7
)

// DataVolumeDeviceName is the device name the boot script asks AttachVolume
// for. Nitro instances ignore it and show the volume as an NVMe device whose
// serial is the volume id; Xen instances show it as /dev/xvdf.
const DataVolumeDeviceName = "/dev/sdf"

// Deletion policies for a data volume the component creates.
const (
	// DeletionPolicyProtect makes Pulumi refuse to delete or replace the
	// volume: `pulumi destroy`, or a change that would replace it (such as
	// a new Availability Zone), fails and says so.
	DeletionPolicyProtect = "protect"
	// DeletionPolicyRetain lets `pulumi destroy` succeed and leaves the
	// volume in the account, to be adopted again with DataVolumeArgs.VolumeID.
	DeletionPolicyRetain = "retain"
	// DeletionPolicySnapshotAndDelete deletes the volume with the stack,
	// after EBS takes a final snapshot of it.
	DeletionPolicySnapshotAndDelete = "snapshot-and-delete"
)

// DataVolumeArgs give the instance a persistent EBS volume that each
// replacement attaches and mounts at boot, before the user script runs. The
// volume lives in one Availability Zone, so the group launches only there:
// healing survives the loss of an instance, not of the zone.
type DataVolumeArgs struct {
	// VolumeID adopts an existing volume, such as "vol-0123456789abcdef0",
	// instead of creating one. It must be encrypted. The component never
	// deletes it, and the size, type and zone fields must be left unset.
	VolumeID string `pulumi:"volumeId,optional"`
	// FormatIfBlank lets the boot script format an adopted volume
	// ([DataVolumeArgs.VolumeID]) that shows no file system, if AWS and the
	// disk both show it new and blank: EBS did not restore it from a
	// snapshot, no instance has formatted it (the volume carries no
	// [userdata.FormattedTagKey] tag),
	// and its disk reads as zeros. Off, such a volume fails the boot
	// instead, for it may hold data the disk no longer shows. A volume the
	// component creates is formatted under the same checks without it.
	FormatIfBlank bool `pulumi:"formatIfBlank,optional"`

	// SnapshotID creates the volume from an EBS snapshot, such as
	// "snap-0123456789abcdef0", instead of empty: a new stack that starts
	// with another's data. It may be another resource's output. Not with
	// [DataVolumeArgs.VolumeID]. The volume is encrypted either way; EBS
	// encrypts a volume created from an unencrypted snapshot. EBS creates
	// the volume once: a new snapshot id later would replace it, which the
	// default deletion policy refuses. A restored volume is never
	// formatted.
	SnapshotID pulumi.StringInput `pulumi:"snapshotId,optional"`
	// SizeGiB sizes the volume the component creates; required without
	// [DataVolumeArgs.VolumeID] or [DataVolumeArgs.SnapshotID]. From a
	// snapshot, unset means the snapshot's size, and a size must be at
	// least the snapshot's.
	SizeGiB int `pulumi:"sizeGiB,optional"`
	// VolumeType is "gp3" (default), "gp2", "io1" or "io2".
	VolumeType string `pulumi:"volumeType,optional"`
	// IOPS provisions IOPS: for gp3, 3000 to 16000 (0 means the 3000 gp3
	// includes); for io1 and io2, required. Not allowed for gp2.
	IOPS int `pulumi:"iops,optional"`
	// ThroughputMiBps provisions gp3 throughput, 125 to 1000 MiB/s (0 means
	// the 125 gp3 includes). Only for gp3.
	ThroughputMiBps int `pulumi:"throughputMiBps,optional"`
	// KMSKeyARN encrypts the volume with a customer managed key, given as a
	// key ARN (not an alias, which IAM cannot scope to), such as a key
	// created in the same program. Empty means the account's default EBS
	// key. The volume is encrypted either way.
	KMSKeyARN pulumi.StringInput `pulumi:"kmsKeyArn,optional"`
	// AvailabilityZone places the volume, such as "eu-west-1a". Empty means
	// the zone of the first subnet the group may use.
	AvailabilityZone string `pulumi:"availabilityZone,optional"`

	// MountPath is where the volume is mounted. Default "/data".
	MountPath string `pulumi:"mountPath,optional"`
	// FSType is the file system the boot script creates on a blank volume:
	// "ext4" (default) or "xfs". A volume that has a file system is never
	// formatted, whatever this says.
	FSType string `pulumi:"fsType,optional"`
	// AttachTimeoutSeconds bounds how long a booting instance waits for the
	// volume to come free of its predecessor, 30 to 3600. Nil means
	// DefaultDataVolumeAttachTimeoutSeconds.
	AttachTimeoutSeconds *int `pulumi:"attachTimeoutSeconds,optional"`
	// ForceDetach lets the boot script force-detach the volume from a
	// predecessor that is terminated or shutting down but still holds it
	// when the wait runs out. Nil means true; false fails such a boot
	// instead. A running holder is never detached either way.
	ForceDetach *bool `pulumi:"forceDetach,optional"`
	// StopScript stops the application before the volume is handed over,
	// on the instance the group terminates: it runs as root (under bash,
	// unless it starts with "#!"), for at most [DataVolumeArgs.StopTimeoutSeconds]; then
	// the volume is synced, unmounted and detached. Empty stops nothing:
	// if the application still holds files open on the volume, the
	// unmount fails, and the volume is left attached until the instance
	// is terminated.
	StopScript string `pulumi:"stopScript,optional"`
	// StopTimeoutSeconds bounds [DataVolumeArgs.StopScript], 10 to 7140; the termination
	// hook waits 60 s more for the unmount and detach. Nil means
	// DefaultStopTimeoutSeconds.
	StopTimeoutSeconds *int `pulumi:"stopTimeoutSeconds,optional"`
	// DeletionPolicy is what deleting the component does to a volume it
	// created: "protect" (default), "retain" or "snapshot-and-delete".
	DeletionPolicy string `pulumi:"deletionPolicy,optional"`

	// Snapshots, when set, takes daily snapshots of the volume with Amazon
	// Data Lifecycle Manager.
	Snapshots *SnapshotArgs `pulumi:"snapshots,optional"`
	// EBSHealthCheck turns on the group's Amazon EBS health check: an
	// instance whose attached volumes fail their I/O status checks, or
	// cannot be reached, is replaced. Nil means true.
	EBSHealthCheck *bool `pulumi:"ebsHealthCheck,optional"`
}

// SnapshotArgs schedule daily snapshots of the data volume.
type SnapshotArgs struct {
	// TimeUTC is when the daily snapshot starts, "HH:MM" in UTC. DLM starts
	// it within the hour after.
	TimeUTC string `pulumi:"timeUtc"`
	// RetainCount is how many snapshots to keep, 1 to 1000. Nil means
	// DefaultSnapshotRetainCount.
	RetainCount *int `pulumi:"retainCount,optional"`
	// ExecutionRoleARN is the IAM role DLM acts as, such as a role created
	// in the same program. Empty means the component creates one with
	// AWSDataLifecycleManagerServiceRole.
	ExecutionRoleARN pulumi.StringInput `pulumi:"executionRoleArn,optional"`
}

// WithDefaults returns a copy of v with every unset field that has a
// default filled in.
func (v DataVolumeArgs) WithDefaults() DataVolumeArgs {
	if v.VolumeID == "" && v.VolumeType == "" {
		v.VolumeType = DefaultDataVolumeType
	}
	if v.MountPath == "" {
		v.MountPath = DefaultDataVolumeMountPath
	}
	if v.FSType == "" {
		v.FSType = DefaultDataVolumeFSType
	}
	v.AttachTimeoutSeconds = orDefault(v.AttachTimeoutSeconds, DefaultDataVolumeAttachTimeoutSeconds)
	v.ForceDetach = orDefault(v.ForceDetach, true)
	v.EBSHealthCheck = orDefault(v.EBSHealthCheck, true)
	v.StopTimeoutSeconds = orDefault(v.StopTimeoutSeconds, DefaultStopTimeoutSeconds)
	if v.VolumeID == "" && v.DeletionPolicy == "" {
		v.DeletionPolicy = DefaultDataVolumeDeletionPolicy
	}
	if v.Snapshots != nil {
		snapshots := *v.Snapshots
		snapshots.RetainCount = orDefault(snapshots.RetainCount, DefaultSnapshotRetainCount)
		v.Snapshots = &snapshots
	}
	return v
}

var (
	availabilityZonePattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$`)
	kmsKeyARNPattern        = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	roleARNPattern          = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	snapshotTimePattern     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// iopsRange is the provisioned IOPS range AWS allows per volume type, and the
// most per GiB.
type iopsRange struct{ min, max, perGiB int }

var provisionedIOPS = map[string]iopsRange{
	"gp3": {3000, 16000, 500},
	"io1": {100, 64000, 50},
	"io2": {100, 256000, 1000},
}

// validate checks a data volume's fields (after defaults) and returns every
// problem, each naming its field under dataVolume.
func (v DataVolumeArgs) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("dataVolume."+format, args...)) }

	if v.VolumeID != "" {
		if msg := userdata.VolumeIDProblem(v.VolumeID); msg != "" {
			bad("volumeId %q: %s, or leave it unset to create a volume", v.VolumeID, msg)
		}
		for _, field := range []struct {
			name string
			set  bool
		}{
			{"sizeGiB", v.SizeGiB != 0}, {"volumeType", v.VolumeType != ""}, {"iops", v.IOPS != 0},
			{"throughputMiBps", v.ThroughputMiBps != 0}, {"kmsKeyArn", isSet(v.KMSKeyARN)},
			{"availabilityZone", v.AvailabilityZone != ""}, {"deletionPolicy", v.DeletionPolicy != ""},
			{"snapshotId", isSet(v.SnapshotID)},
		} {
			if field.set {
				bad("%s: set together with volumeId %q; an existing volume keeps its own, so leave %s unset", field.name, v.VolumeID, field.name)
			}
		}
	} else {
		errs = append(errs, v.validateNewVolume()...)
		if v.FormatIfBlank {
			bad("formatIfBlank: only with volumeId; a volume the component creates is formatted when it is new and blank anyway")
		}
	}

	if msg := userdata.MountPathProblem(v.MountPath); msg != "" {
		bad("mountPath %q: %s", v.MountPath, msg)
	}
	if msg := userdata.FSTypeProblem(v.FSType); msg != "" {
		bad("fsType %q: %s", v.FSType, msg)
	}
	if t := *v.AttachTimeoutSeconds; userdata.VolumeWaitProblem(t) != "" {
		bad("attachTimeoutSeconds %d: %s; AWS detaches a terminated instance's volume in an undocumented time", t, userdata.VolumeWaitProblem(t))
	}
	errs = append(errs, v.validateHandover()...)
	if s := v.Snapshots; s != nil {
		if !snapshotTimePattern.MatchString(s.TimeUTC) {
			bad("snapshots.timeUtc %q: want HH:MM in UTC, 00:00 to 23:59, such as 03:00", s.TimeUTC)
		}
		if n := *s.RetainCount; n < 1 || n > 1000 {
			bad("snapshots.retainCount %d: want 1 to 1000 snapshots", n)
		}
		if role, known := knownString(s.ExecutionRoleARN); known {
			if err := checkSnapshotRole(role); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

func (v DataVolumeArgs) validateNewVolume() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("dataVolume."+format, args...)) }

	fromSnapshot := isSet(v.SnapshotID)
	if snapshot, known := knownString(v.SnapshotID); known && fromSnapshot {
		if err := checkSnapshotID(snapshot); err != nil {
			errs = append(errs, err)
		}
	}
	// From a snapshot, an unset size is the snapshot's, which lookup knows.
	sizeKnown := v.SizeGiB != 0 || !fromSnapshot
	minSize := 1
	if v.VolumeType == "io1" || v.VolumeType == "io2" {
		minSize = 4
	}
	if sizeKnown && (v.SizeGiB < minSize || v.SizeGiB > 16384) {
		bad("sizeGiB %d: want %d to 16384 GiB for %s (required unless volumeId adopts an existing volume, or snapshotId gives the snapshot's size)",
			v.SizeGiB, minSize, v.VolumeType)
	}
	iops, provisioned := provisionedIOPS[v.VolumeType]
	switch {
	case v.VolumeType != "gp2" && !provisioned:
		bad("volumeType %q: want gp3, gp2, io1 or io2", v.VolumeType)
	case v.VolumeType == "gp2" && v.IOPS != 0:
		bad("iops %d: gp2 has no provisioned IOPS; use gp3, io1 or io2, or leave iops unset", v.IOPS)
	case provisioned && v.VolumeType != "gp3" && v.IOPS == 0:
		bad("iops: required for %s; want %d to %d", v.VolumeType, iops.min, iops.max)
	case provisioned && v.IOPS != 0 && (v.IOPS < iops.min || v.IOPS > iops.max):
		bad("iops %d: want %d to %d for %s", v.IOPS, iops.min, iops.max, v.VolumeType)
	case sizeKnown:
		if err := v.iopsPerGiB(max(v.SizeGiB, 1)); err != nil {
			errs = append(errs, err)
		}
	}
	if v.ThroughputMiBps != 0 {
		effectiveIOPS := max(v.IOPS, 3000)
		switch {
		case v.VolumeType != "gp3":
			bad("throughputMiBps %d: only gp3 has provisioned throughput; leave it unset for %s", v.ThroughputMiBps, v.VolumeType)
		case v.ThroughputMiBps < 125 || v.ThroughputMiBps > 1000:
			bad("throughputMiBps %d: want 125 to 1000 MiB/s for gp3", v.ThroughputMiBps)
		case v.ThroughputMiBps*4 > effectiveIOPS:
			// gp3 allows 0.25 MiB/s per provisioned IOPS.
			bad("throughputMiBps %d: gp3 allows at most 0.25 MiB/s per IOPS, so %d with %d IOPS; raise iops or lower throughputMiBps",
				v.ThroughputMiBps, effectiveIOPS/4, effectiveIOPS)
		}
	}
	if key, known := knownString(v.KMSKeyARN); known {
		if err := volumeKMSKey.checkPattern(key); err != nil {
			errs = append(errs, err)
		}
	}
	if v.AvailabilityZone != "" && !availabilityZonePattern.MatchString(v.AvailabilityZone) {
		bad("availabilityZone %q: want a zone name such as eu-west-1a, or empty for the first subnet's zone", v.AvailabilityZone)
	}
	switch v.DeletionPolicy {
	case DeletionPolicyProtect, DeletionPolicyRetain, DeletionPolicySnapshotAndDelete:
	default:
		bad("deletionPolicy %q: want %s (default: destroy and replacement fail), %s (destroy leaves the volume) or %s (destroy deletes it after a final snapshot)",
			v.DeletionPolicy, DeletionPolicyProtect, DeletionPolicyRetain, DeletionPolicySnapshotAndDelete)
	}
	return errs
}

// iopsPerGiB checks the provisioned IOPS against the most the volume type
// allows per GiB of sizeGiB, the volume's size: the configured one, or,
// when that is unset, the snapshot's it is created from.
func (v DataVolumeArgs) iopsPerGiB(sizeGiB int) error {
	iops, provisioned := provisionedIOPS[v.VolumeType]
	if !provisioned || v.IOPS <= iops.perGiB*sizeGiB {
		return nil
	}
	return fmt.Errorf("dataVolume.iops %d: %s allows at most %d IOPS per GiB, so %d for %d GiB; raise sizeGiB or lower iops",
		v.IOPS, v.VolumeType, iops.perGiB, iops.perGiB*sizeGiB, sizeGiB)
}

// snapshotIDPattern is an EBS snapshot id: snap- and 8 or 17 hexadecimal
// digits, as EC2 issues them.
var snapshotIDPattern = regexp.MustCompile(`^snap-([0-9a-f]{8}|[0-9a-f]{17})$`)

// checkSnapshotID is the form of dataVolume.snapshotId.
func checkSnapshotID(id string) error {
	if !snapshotIDPattern.MatchString(id) {
		return fmt.Errorf("dataVolume.snapshotId %q: want an EBS snapshot id such as snap-0123456789abcdef0 "+
			"(snap- and 8 or 17 hexadecimal digits), or leave it unset to create an empty volume", id)
	}
	return nil
}

// checkSnapshotRole is snapshots.executionRoleArn's rule; "" means "create
// one".
func checkSnapshotRole(arn string) error {
	if arn != "" && !roleARNPattern.MatchString(arn) {
		return fmt.Errorf("dataVolume.snapshots.executionRoleArn %q: want an IAM role ARN such as "+
			"arn:aws:iam::123456789012:role/AWSDataLifecycleManagerDefaultRole, or leave it unset to create one", arn)
	}
	return nil
}

// kmsKey is a field that takes a customer managed KMS key, as its ARN.
type kmsKey struct {
	field string
	// notAlias says why an alias will not do, where it would not.
	notAlias string
	// unset is what leaving the field unset means.
	unset string
	// inRegion says why the key must be in the stack's region.
	inRegion string
}

// The component's KMS key fields.
var (
	volumeKMSKey = kmsKey{"dataVolume.kmsKeyArn", "the instance role's kms:CreateGrant is scoped to the key's ARN",
		"the account's default EBS key", "EBS needs a key in the volume's region"}
	logsKMSKey       = kmsKey{"logs.kmsKeyArn", "", "CloudWatch Logs' own encryption", "the key must be in the stack's region"}
	parametersKMSKey = kmsKey{"parametersKmsKeyArn", "the instance's kms:Decrypt is scoped to the key's ARN",
		"the AWS managed key alias/aws/ssm", "the key must be in the stack's region"}
)

// checkPattern checks the form of the key's ARN; "" means unset.
func (k kmsKey) checkPattern(arn string) error {
	if arn == "" || kmsKeyARNPattern.MatchString(arn) {
		return nil
	}
	why := ""
	if k.notAlias != "" {
		why = " (not an alias: " + k.notAlias + ")"
	}
	return fmt.Errorf("%s %q: want a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab%s, "+
		"or leave it unset for %s", k.field, arn, why, k.unset)
}

// rule is the key's whole rule, for an output once it resolves.
func (k kmsKey) rule(env awsEnvironment) func(string) error {
	inRegion := k.inStackRegion(env)
	return func(arn string) error {
		if err := k.checkPattern(arn); err != nil {
			return err
		}
		return inRegion(arn)
	}
}

// inStackRegion is the part of the key's rule that needs the stack's
// partition and region, and refuses a key from another: newPlan checked a
// literal's form already.
func (k kmsKey) inStackRegion(env awsEnvironment) func(string) error {
	return func(arn string) error {
		if arn == "" {
			return nil
		}
		parts := strings.SplitN(arn, ":", 6)
		if parts[1] != env.Partition || parts[3] != env.Region {
			return fmt.Errorf("%s %q: is in %s/%s, but the stack deploys to %s/%s; %s",
				k.field, arn, parts[1], parts[3], env.Partition, env.Region, k.inRegion)
		}
		return nil
	}
}

// The group's health check types (HealthCheckType), as the Auto Scaling API
// takes them: the EC2 status checks are always on, and "EBS" adds the
// Amazon EBS health check to them
// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html).
const (
	HealthCheckTypeEC2 = "EC2"
	HealthCheckTypeEBS = "EBS"
)

// healthCheckType is the group's health check type: with a data volume,
// unless switched off, the Amazon EBS health check as well as EC2's, so
// that an instance whose volumes fail their I/O status checks is replaced
// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-checks-overview.html).
// The application's health check marks its instance unhealthy itself
// (SetInstanceHealth), which the group acts on whatever the type.
func (p *plan) healthCheckType() string {
	if v := p.args.DataVolume; v != nil && *v.EBSHealthCheck {
		return HealthCheckTypeEBS
	}
	return HealthCheckTypeEC2
}
