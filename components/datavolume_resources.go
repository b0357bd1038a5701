package components

import (
	"fmt"
	"maps"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dlm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ebs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// SnapshotTagKey is the tag that marks a data volume for the component's
// snapshot policy; its value is the group's name.
const SnapshotTagKey = "selfhealing:snapshots"

// dataVolumeZone is the Availability Zone the data volume lives in: the
// adopted volume's, the configured one, or the first subnet's.
func dataVolumeZone(v DataVolumeArgs, adopted existingVolume, where placement) string {
	switch {
	case v.VolumeID != "":
		return adopted.AvailabilityZone
	case v.AvailabilityZone != "":
		return v.AvailabilityZone
	default:
		return where.Zones[where.SubnetIDs[0]]
	}
}

// dataVolume creates the data volume, or adopts the existing one, and its
// snapshot policy, when the plan has one; it sets the volume's outputs, to
// "" without one.
func (b *builder) dataVolume() error {
	p := b.p
	b.c.DataVolumeID = pulumi.String("").ToStringOutput()
	b.c.DataVolumeMountPath = pulumi.String("").ToStringOutput()
	v := p.args.DataVolume
	if v == nil {
		return nil
	}
	b.c.DataVolumeMountPath = pulumi.String(v.MountPath).ToStringOutput()
	if v.VolumeID != "" {
		b.c.DataVolumeID = pulumi.String(p.adopted.ID).ToStringOutput()
	} else {
		volumeTags := p.flows.tags.ApplyT(func(tags map[string]string) map[string]string {
			out := maps.Clone(tags)
			if v.Snapshots != nil {
				out[SnapshotTagKey] = p.groupName
			}
			return out
		}).(pulumi.StringMapOutput)
		volume, err := ebs.NewVolume(b.ctx, p.name+"-data", &ebs.VolumeArgs{
			AvailabilityZone: p.where.VolumeZone,
			// From a snapshot, an unset size is the snapshot's.
			Size:       optionalInt(v.SizeGiB),
			SnapshotId: b.restoreSnapshotID(),
			Type:       pulumi.String(v.VolumeType),
			Iops:       optionalInt(v.IOPS),
			Throughput: optionalInt(v.ThroughputMiBps),
			Encrypted:  pulumi.Bool(true),
			KmsKeyId:   optionalInput(v.KMSKeyARN, p.flows.volumeKey),
			// If the volume is ever deleted, with the snapshot-and-delete
			// policy, EBS snapshots it first.
			FinalSnapshot: pulumi.Bool(true),
			Tags:          volumeTags,
		}, append([]pulumi.ResourceOption{b.parent, formattedTagOwnedByTheInstance}, deletionOptions(v.DeletionPolicy)...)...)
		if err != nil {
			return fmt.Errorf("creating the data volume: %w", err)
		}
		b.c.DataVolumeID = volume.ID().ToStringOutput()
	}
	if v.Snapshots != nil {
		return b.snapshotPolicy()
	}
	return nil
}

// formattedTagOwnedByTheInstance keeps Pulumi from removing the tag the boot
// script puts on the volume after formatting it (userdata.FormattedTagKey):
// after a refresh, the tag is in the state but not in the program, and the
// next update would delete the record that stops a later boot from
// formatting the volume again.
var formattedTagOwnedByTheInstance = pulumi.IgnoreChanges([]string{`tags["` + userdata.FormattedTagKey + `"]`})

// deletionOptions turn a deletion policy into resource options.
func deletionOptions(policy string) []pulumi.ResourceOption {
	switch policy {
	case DeletionPolicyProtect:
		// Protect refuses both deletion and replacement, which would
		// otherwise swap in an empty volume. RetainOnDelete keeps the
		// volume even if someone unprotects it in the state.
		return []pulumi.ResourceOption{pulumi.Protect(true), pulumi.RetainOnDelete(true)}
	case DeletionPolicyRetain:
		return []pulumi.ResourceOption{pulumi.RetainOnDelete(true)}
	default:
		return nil
	}
}

// dlmTextUnsafe matches what DLM refuses in descriptions and schedule names.
var dlmTextUnsafe = regexp.MustCompile(`[^0-9A-Za-z _-]+`)

// snapshotPolicy takes daily snapshots of the data volume with Amazon
// Data Lifecycle Manager, which finds the volume by its tag.
func (b *builder) snapshotPolicy() error {
	ctx, p, parent := b.ctx, b.p, b.parent
	name, groupName, v, tags := p.name, p.groupName, p.args.DataVolume, p.flows.tags
	var dependsOn []pulumi.Resource
	if v.VolumeID != "" {
		// The component does not own an adopted volume's tags, so it adds
		// the one the policy targets, and removes it with the stack.
		tag, err := ec2.NewTag(ctx, name+"-data-snapshot-tag", &ec2.TagArgs{
			ResourceId: b.c.DataVolumeID,
			Key:        pulumi.String(SnapshotTagKey),
			Value:      pulumi.String(groupName),
		}, parent)
		if err != nil {
			return fmt.Errorf("tagging the data volume for snapshots: %w", err)
		}
		dependsOn = append(dependsOn, tag)
	}

	var executionRole pulumi.StringOutput
	if isSet(v.Snapshots.ExecutionRoleARN) {
		executionRole = setString(v.Snapshots.ExecutionRoleARN, "dataVolume.snapshots.executionRoleArn",
			"an IAM role ARN such as arn:aws:iam::123456789012:role/AWSDataLifecycleManagerDefaultRole", checkSnapshotRole)
	} else {
		trust, err := policy.ServiceTrust("dlm.amazonaws.com").JSON()
		if err != nil {
			return err
		}
		role, err := iam.NewRole(ctx, name+"-dlm-role", &iam.RoleArgs{
			Description:      pulumi.String("Snapshots of the data volume of self-healing instance " + groupName),
			AssumeRolePolicy: pulumi.String(trust),
			Tags:             tags,
		}, parent)
		if err != nil {
			return fmt.Errorf("creating the snapshot role: %w", err)
		}
		attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-dlm-policy", &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(policy.DataLifecycleManagerPolicyARN(p.env.Partition)),
		}, parent)
		if err != nil {
			return fmt.Errorf("attaching the snapshot role's policy: %w", err)
		}
		executionRole = role.Arn
		dependsOn = append(dependsOn, attachment)
	}

	description := dlmTextUnsafe.ReplaceAllString("Daily snapshots of the data volume of "+groupName, " ")
	_, err := dlm.NewLifecyclePolicy(ctx, name+"-snapshots", &dlm.LifecyclePolicyArgs{
		Description:      pulumi.String(truncate(description, 500)),
		ExecutionRoleArn: executionRole,
		State:            pulumi.String("ENABLED"),
		PolicyDetails: &dlm.LifecyclePolicyPolicyDetailsArgs{
			ResourceTypes: pulumi.ToStringArray([]string{"VOLUME"}),
			TargetTags:    pulumi.StringMap{SnapshotTagKey: pulumi.String(groupName)},
			Schedules: dlm.LifecyclePolicyPolicyDetailsScheduleArray{dlm.LifecyclePolicyPolicyDetailsScheduleArgs{
				Name: pulumi.String("daily"),
				CreateRule: &dlm.LifecyclePolicyPolicyDetailsScheduleCreateRuleArgs{
					Interval:     pulumi.Int(24),
					IntervalUnit: pulumi.String("HOURS"),
					Times:        pulumi.String(v.Snapshots.TimeUTC),
				},
				RetainRule: &dlm.LifecyclePolicyPolicyDetailsScheduleRetainRuleArgs{Count: pulumi.Int(p.snapshotRetainCount)},
				CopyTags:   pulumi.Bool(true),
			}},
		},
		Tags: tags,
	}, parent, pulumi.DependsOn(dependsOn))
	if err != nil {
		return fmt.Errorf("creating the snapshot policy: %w", err)
	}
	return nil
}

func optionalInt(i int) pulumi.IntPtrInput {
	if i == 0 {
		return nil
	}
	return pulumi.Int(i)
}

func optionalString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// existingVolume is what the component needs to know about an adopted volume.
type existingVolume struct {
	ID, ARN, AvailabilityZone string
}

// lookupExistingVolume reads an adopted volume and checks what the component
// relies on: that it is encrypted, in this region, and not multi-attach.
func lookupExistingVolume(ctx *pulumi.Context, volumeID string, opts ...pulumi.InvokeOption) (existingVolume, error) {
	found, err := ebs.LookupVolume(ctx, &ebs.LookupVolumeArgs{
		Filters: []ebs.GetVolumeFilter{{Name: "volume-id", Values: []string{volumeID}}},
	}, opts...)
	if err != nil {
		return existingVolume{}, fmt.Errorf("dataVolume.volumeId %q: looking it up in this region: %w", volumeID, err)
	}
	if !found.Encrypted {
		return existingVolume{}, fmt.Errorf("dataVolume.volumeId %q: is not encrypted; this component attaches only encrypted volumes. "+
			"Snapshot it, copy the snapshot with encryption on, create a volume from the copy, and give that volume's id", volumeID)
	}
	if found.MultiAttachEnabled {
		return existingVolume{}, fmt.Errorf("dataVolume.volumeId %q: has Multi-Attach enabled; a data volume must belong to one instance at a time", volumeID)
	}
	return existingVolume{ID: found.VolumeId, ARN: found.Arn, AvailabilityZone: found.AvailabilityZone}, nil
}

// checkRestoreSnapshot looks up the snapshot a new data volume is created
// from, when its id is a literal, so that during `pulumi preview` a wrong
// id or a size too small fails with nothing created. An output is looked
// up once it resolves (restoreSnapshotID).
func checkRestoreSnapshot(ctx *pulumi.Context, v *DataVolumeArgs, opts ...pulumi.InvokeOption) error {
	if v == nil || v.VolumeID != "" {
		return nil
	}
	if id, known := knownString(v.SnapshotID); known && id != "" {
		return lookupRestoreSnapshot(ctx, *v, id, opts...)
	}
	return nil
}

// restoreSnapshotID is the volume's snapshotId: nil for an empty volume; a
// literal as it is (checkRestoreSnapshot checked it); an output checked by
// the same rules, and looked up, when it resolves.
func (b *builder) restoreSnapshotID() pulumi.StringPtrInput {
	ctx, parent, v := b.ctx, b.parent, b.p.args.DataVolume
	if !isSet(v.SnapshotID) {
		return nil
	}
	if id, known := knownString(v.SnapshotID); known {
		return pulumi.String(id)
	}
	checked := setString(v.SnapshotID, "dataVolume.snapshotId", "an EBS snapshot id such as snap-0123456789abcdef0", checkSnapshotID)
	return applyRedacted(checked, func(id string) []string { return []string{id} }, func(id string) (string, error) {
		return id, lookupRestoreSnapshot(ctx, *v, id, parent)
	}).(pulumi.StringOutput)
}

// lookupRestoreSnapshot reads snapshot id in this region and checks that
// a volume of v's size may be created from it. Its encryption needs no
// check: the volume asks for encryption, and EBS encrypts a volume created
// from an unencrypted snapshot when asked to
// (https://docs.aws.amazon.com/ebs/latest/userguide/encryption-examples.html).
func lookupRestoreSnapshot(ctx *pulumi.Context, v DataVolumeArgs, id string, opts ...pulumi.InvokeOption) error {
	found, err := ebs.LookupSnapshot(ctx, &ebs.LookupSnapshotArgs{SnapshotIds: []string{id}}, opts...)
	if err != nil {
		return fmt.Errorf("dataVolume.snapshotId %q: looking it up in this region: %w", id, err)
	}
	// AWS answers with a snapshot or an error; an empty answer comes from
	// test mocks that do not know the lookup.
	if found.Id == "" || found.VolumeSize == 0 {
		return fmt.Errorf("dataVolume.snapshotId %q: the lookup (aws:ebs/getSnapshot:getSnapshot) answered no snapshot; "+
			"under Pulumi's mocks, answer the component's lookups (components/selfhealingtest)", id)
	}
	return v.fitsSnapshot(id, found.VolumeSize)
}

// fitsSnapshot checks v's size against the snapshot's: EBS creates a volume
// from a snapshot only as large as the snapshot's volume, or larger.
func (v DataVolumeArgs) fitsSnapshot(id string, snapshotGiB int) error {
	if v.SizeGiB == 0 {
		return v.iopsPerGiB(snapshotGiB)
	}
	if v.SizeGiB < snapshotGiB {
		return fmt.Errorf("dataVolume.sizeGiB %d: snapshot %s is of a %d GiB volume, and a volume created from it must be at least as large; "+
			"raise sizeGiB, or leave sizeGiB unset for the snapshot's size", v.SizeGiB, id, snapshotGiB)
	}
	return nil
}
