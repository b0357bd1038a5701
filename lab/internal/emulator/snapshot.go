package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Snapshots is the EBS model's snapshots: moto records a snapshot, and the
// SnapshotId of each volume created from it, but holds no data, so the
// content lives here. Taking a snapshot of a volume copies its stand-in
// disk's file, as it is at that moment (crash-consistent, as EBS's are);
// a volume created from the snapshot starts with a disk that is a copy of
// that, grown to the volume's size. All methods are safe for concurrent
// use.
type Snapshots struct {
	dir string

	mu    sync.Mutex
	files map[string]string // snapshot id → its content
}

// NewSnapshots keeps snapshots' content in dir, which it creates.
func NewSnapshots(dir string) (*Snapshots, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	return &Snapshots{dir: dir, files: map[string]string{}}, nil
}

// Take snapshots volumeID in moto (CreateSnapshot, with cfg), as `aws ec2
// create-snapshot` does, and keeps a copy of diskFile, the file behind the
// volume's stand-in disk, as the snapshot's content. It returns the
// snapshot's id. Sync the file system on the disk first, as before any
// crash-consistent snapshot.
func (s *Snapshots) Take(ctx context.Context, cfg aws.Config, volumeID, diskFile string) (string, error) {
	out, err := ec2.NewFromConfig(cfg).CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(volumeID)})
	if err != nil {
		return "", fmt.Errorf("snapshot %s: %w", volumeID, err)
	}
	id := aws.ToString(out.SnapshotId)
	content := filepath.Join(s.dir, id+".img")
	if err := sparseCopy(ctx, diskFile, content); err != nil {
		return "", fmt.Errorf("snapshot %s of %s: %w", id, volumeID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id] = content
	return id, nil
}

// Has reports whether the snapshot's content is held here.
func (s *Snapshots) Has(snapshotID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.files[snapshotID]
	return ok
}

// NewLoopDevice creates, in dir, the stand-in disk of a volume of size
// bytes created from snapshotID: a copy of the snapshot's content, grown
// to size, attached as a loop device. The caller must Close it.
func (s *Snapshots) NewLoopDevice(ctx context.Context, dir, snapshotID string, size int64) (*LoopDevice, error) {
	s.mu.Lock()
	content, ok := s.files[snapshotID]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("snapshot %s: its content is not held here; take it with Snapshots.Take", snapshotID)
	}
	f, err := os.CreateTemp(dir, "volume-from-"+snapshotID+"-*.img")
	if err != nil {
		return nil, fmt.Errorf("loop device: %w", err)
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("loop device: %w", err)
	}
	if err := sparseCopy(ctx, content, name); err != nil {
		_ = os.Remove(name)
		return nil, fmt.Errorf("volume from snapshot %s: %w", snapshotID, err)
	}
	info, err := os.Stat(name)
	if err == nil && info.Size() > size {
		err = fmt.Errorf("the snapshot holds %d bytes, more than the volume's %d; EBS refuses a volume smaller than its snapshot", info.Size(), size)
	}
	if err == nil {
		err = os.Truncate(name, size)
	}
	if err != nil {
		_ = os.Remove(name)
		return nil, fmt.Errorf("volume from snapshot %s: %w", snapshotID, err)
	}
	return attachLoopFile(name)
}

// sparseCopy copies the file src to dst, keeping its holes: a stand-in
// disk is a sparse file of gigabytes, mostly never written.
func sparseCopy(ctx context.Context, src, dst string) error {
	res, err := RunCommand(ctx, []string{"PATH=" + os.Getenv("PATH")}, "cp", "--sparse=always", src, dst)
	if err != nil {
		return fmt.Errorf("cp %s %s: %w", src, dst, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("cp %s %s: %s", src, dst, res)
	}
	return nil
}
