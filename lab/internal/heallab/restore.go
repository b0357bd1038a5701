package heallab

import (
	"context"
	"errors"
	"fmt"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// A stack restored from a snapshot: the lab snapshots its data volume
// (SnapshotDataVolume), as `aws ec2 create-snapshot` would, and deploys a
// new stack into the same moto (StartAnother) whose dataVolume.snapshotId
// names that snapshot; the new stack's volume starts with the snapshot's
// content (emulator.Snapshots).

// newVolumeDisk creates the stand-in disk of a data volume of size bytes:
// empty, or, for a volume EBS created from a snapshot, a copy of the
// snapshot's content. A snapshot taken outside the lab has no content
// here, and fails.
func (l *Lab) newVolumeDisk(ctx context.Context, snapshotID string, size int64) (*emulator.LoopDevice, error) {
	if snapshotID == "" {
		return emulator.NewLoopDeviceE(l.workDir, size)
	}
	if !l.snapshots.Has(snapshotID) {
		return nil, fmt.Errorf("the data volume was created from snapshot %s, which the lab did not take (SnapshotDataVolume), so it has no content for it", snapshotID)
	}
	return l.snapshots.NewLoopDevice(ctx, l.workDir, snapshotID, size)
}

// SnapshotDataVolume takes an EBS snapshot of the data volume in moto and
// keeps its disk's content as the snapshot's, and returns the snapshot's
// id. Like EBS's, the snapshot is crash-consistent: it holds what reached
// the disk, so write and sync first.
func (l *Lab) SnapshotDataVolume(ctx context.Context) (string, error) {
	v := l.volume
	if v == nil {
		return "", errors.New("the stack has no data volume")
	}
	return l.snapshots.Take(ctx, l.admin, v.ID, v.disk.File)
}

// StartAnother deploys opts' stack, under opts.StackName, into this lab's
// moto, as a second stack in the same account and region, and returns its
// lab. It shares moto, IAM enforcement (on) and the snapshots taken, and
// has its own API chain, volume disk and instances. Close it before this
// lab, which owns moto.
func (l *Lab) StartAnother(ctx context.Context, opts Options) (*Lab, error) {
	if opts.StackName == "" || opts.StackName == l.Stack.Name {
		return nil, fmt.Errorf("StartAnother: want a stack name other than %q", l.Stack.Name)
	}
	stack, region, err := loadStack(opts)
	if err != nil {
		return nil, err
	}
	if region != l.Region {
		return nil, fmt.Errorf("StartAnother: stack %s is in %s, the lab's moto in %s", stack.Name, region, l.Region)
	}
	shape := opts.Shape
	if shape == "" {
		shape = stack.Name
	}
	other := &Lab{Stack: stack, Region: region, Shape: shape, moto: l.moto, workDir: opts.WorkDir, admin: l.admin, snapshots: l.snapshots}
	if err := other.deploy(ctx); err != nil {
		return other, err
	}
	return other, other.startAPI(ctx)
}

// ReleaseDataVolumeDisk ends every instance the lab booted, as terminating
// them would (their mounts go with them), and detaches the data volume's
// stand-in disk. A disk restored from a snapshot of it carries the same
// file system UUID, and mount finds a file system by UUID among every
// block device on this machine, as an instance finds it among its own
// attached volumes: the copy must be the only one.
func (l *Lab) ReleaseDataVolumeDisk() error {
	l.mu.Lock()
	var ids []string
	for id := range l.live {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, l.stopInstance(id))
	}
	if v := l.volume; v != nil {
		errs = append(errs, v.closeDisk())
	}
	return errors.Join(errs...)
}

// ExpectVolumeFile makes sum, a SHA-256, what the lab expects to find in
// VolumeFile on the data volume from now on, as if the lab had written it:
// for a stack whose volume was restored from a snapshot of another's.
func (l *Lab) ExpectVolumeFile(sum string) error {
	v := l.volume
	if v == nil {
		return errors.New("the stack has no data volume")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.want = sum
	return nil
}
