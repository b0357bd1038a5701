package heallab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// DefaultVolumeHeld is in awstimes.go, with every time the lab models.

// VolumeFile is the file, relative to the data volume's mount path, that
// the lab writes on a running instance (WriteVolumeFile) and looks for
// after each boot.
const VolumeFile = "selfhealing-lab.bin"

// volumeFileBytes is the size of the file WriteVolumeFile writes.
const volumeFileBytes = 1 << 20

// labVolume is the stack's data volume in the lab: the volume moto holds,
// and a loop device of its size that stands in for its disk. The disk
// shows in an instance's stand-in /dev only once AttachVolume to that
// instance succeeded.
type labVolume struct {
	// ID is the volume's id, the stack's dataVolumeId output.
	ID string
	// MountPath is where the boot script mounts it: the stack's
	// dataVolumeMountPath output.
	MountPath string
	// SizeGiB is the volume's size, and its stand-in disk's.
	SizeGiB int32

	disk  *emulator.LoopDevice
	shown *emulator.VolumeDisk // the disk in the instances' stand-in /dev
	mkfs  *emulator.MkfsShims  // count the boots' mkfs calls

	mu   sync.Mutex
	want string        // sha256 of the file the lab last wrote, "" before
	held time.Duration // the hold the last kill put on the volume, 0 if none

	closeOnce sync.Once
	closeErr  error
}

// closeDisk detaches the stand-in disk, once: ReleaseDataVolumeDisk may
// have done so before Close.
func (v *labVolume) closeDisk() error {
	v.closeOnce.Do(func() { v.closeErr = v.disk.Close() })
	return v.closeErr
}

// VolumeResult is what a boot did with the stack's data volume, as the
// lab saw it on the instance once the boot script had exited.
type VolumeResult struct {
	// Present reports that the stack has a data volume; the other fields
	// are zero otherwise.
	Present bool
	// MountedFrom is the device mounted at the volume's mount path on the
	// instance, "" if nothing is.
	MountedFrom string
	// Mounted reports that it is the volume's disk.
	Mounted bool
	// Found is the SHA-256 of VolumeFile on the mounted volume, "" if the
	// file is not there.
	Found string
	// Want is the SHA-256 of the file the lab last wrote, on any instance;
	// "" if it wrote none yet.
	Want string
	// Formatted counts the mkfs runs during this boot.
	Formatted int
	// HeldFor is how long the kill before this boot had the volume held
	// by the dead instance; 0 if the dead instance did not have it.
	HeldFor time.Duration
	// FreeAt is when the volume became available after that kill, and
	// MountedAt when the boot script logged the mount; zero if unknown.
	FreeAt, MountedAt time.Time
	// FirstAsked is when the boot's first DescribeVolumes reached the API
	// proxy and was let through; zero if it made none.
	FirstAsked time.Time
}

// HeldWhenAsked reports that the volume was still held, by margin or more,
// when the boot first asked about it, so the boot must have seen it in use
// and waited: a boot that reaches the volume after the dead instance let go
// has nothing to wait for. The margin covers the moment between the
// request reaching the proxy and the model answering it.
func (v VolumeResult) HeldWhenAsked(margin time.Duration) bool {
	return v.HeldFor > 0 && !v.FreeAt.IsZero() && !v.FirstAsked.IsZero() && v.FreeAt.Sub(v.FirstAsked) >= margin
}

// Intact reports that the volume is mounted and holds what the lab last
// wrote (or, before any write, that it is mounted); true if the stack has
// no data volume.
func (v VolumeResult) Intact() bool {
	return !v.Present || v.Mounted && v.Found == v.Want
}

// MountAfterFree is how long after the volume became available the boot
// mounted it; -1 if either is unknown.
func (v VolumeResult) MountAfterFree() time.Duration {
	if v.FreeAt.IsZero() || v.MountedAt.IsZero() {
		return -1
	}
	return v.MountedAt.Sub(v.FreeAt)
}

// Waited reports that the boot asked about the volume while the dead
// instance still held it, and so had to wait for it.
func (v VolumeResult) Waited() bool {
	return v.HeldWhenAsked(0)
}

// state names the result in one word, for report lines.
func (v VolumeResult) state() string {
	switch {
	case !v.Present:
		return "none"
	case !v.Mounted:
		return "not-mounted"
	case v.Found != v.Want:
		return "changed"
	}
	return "intact"
}

// startVolume, if the stack has a data volume, creates its stand-in disk
// and has the EBS model show it on the instances it is attached to.
func (l *Lab) startVolume(ctx context.Context) error {
	id := l.Outputs["dataVolumeId"]
	if id == "" {
		return nil
	}
	out, err := l.ec2().DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	if err != nil || len(out.Volumes) != 1 {
		return fmt.Errorf("describing the data volume %s: %v (%d volumes)", id, err, len(out.Volumes))
	}
	v := &labVolume{ID: id, SizeGiB: aws.ToInt32(out.Volumes[0].Size)}
	// The stack exports where the instance mounts the volume, defaults
	// applied by the component: the lab never re-reads the config.
	if v.MountPath = l.Outputs["dataVolumeMountPath"]; v.MountPath == "" {
		return fmt.Errorf("the stack exports dataVolumeId %s but no dataVolumeMountPath", id)
	}
	if v.disk, err = l.newVolumeDisk(ctx, aws.ToString(out.Volumes[0].SnapshotId), int64(v.SizeGiB)<<30); err != nil {
		return fmt.Errorf("the data volume's stand-in disk: %w", err)
	}
	l.addCloser(v.closeDisk)
	if v.mkfs, err = emulator.NewMkfsShimsE(filepath.Join(l.workDir, "mkfs-shims")); err != nil {
		return err
	}
	// Failures to show the disk wait for probeVolume, which reports them
	// with the boot they spoiled.
	v.shown = emulator.NewVolumeDisk(id, v.disk.Device)
	l.ebs.OnAttach(v.shown.OnAttach)
	l.volume = v
	return nil
}

// addCloser registers a function Close calls.
func (l *Lab) addCloser(f func() error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closers = append(l.closers, f)
}

// volumeEnv gives an instance about to boot its own, empty stand-in /dev
// under dir, and returns env with what the boot script and the lab need:
// SELFHEALING_DEV_DIR, and the mkfs wrappers first on PATH.
func (l *Lab) volumeEnv(instanceID, dir string, env []string) ([]string, error) {
	v := l.volume
	if v == nil {
		return env, nil
	}
	devDir := filepath.Join(dir, "dev")
	if err := os.MkdirAll(devDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the stand-in /dev of %s: %w", instanceID, err)
	}
	v.shown.ShowTo(instanceID, &emulator.InstanceDev{Dir: devDir})
	return emulator.PrependPath(append(env, userdata.DevDirEnv+"="+devDir), v.mkfs.Dir), nil
}

// MkfsCalls returns how many times any boot in the lab ran mkfs; 0 without
// a data volume.
func (l *Lab) MkfsCalls() int {
	if l.volume == nil {
		return 0
	}
	return l.volume.mkfs.Count()
}

// DataVolume returns the stack's data volume id and mount path, and the
// stand-in disk's device; ok is false if the stack has none.
func (l *Lab) DataVolume() (id, mountPath, device string, sizeGiB int32, ok bool) {
	v := l.volume
	if v == nil {
		return "", "", "", 0, false
	}
	return v.ID, v.MountPath, v.disk.Device, v.SizeGiB, true
}

// EBS is the model of EC2's volume API between the API proxy and moto.
func (l *Lab) EBS() *emulator.EBSModel { return l.ebs }

// VolumeAttachment is the data volume as an instance sees it through the
// EBS model: its state, and the instance and state of its attachment.
type VolumeAttachment struct {
	State, Instance, Attachment string
}

// DescribeDataVolume describes the data volume as the instances see it,
// through the EBS model (which reports a volume a dead instance still
// holds as AWS would), with the harness's own credentials.
func (l *Lab) DescribeDataVolume(ctx context.Context) (VolumeAttachment, error) {
	if l.volume == nil {
		return VolumeAttachment{}, errors.New("the stack has no data volume")
	}
	cfg := l.admin.Copy()
	cfg.BaseEndpoint = aws.String(l.ebs.URL)
	out, err := ec2.NewFromConfig(cfg).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{l.volume.ID}})
	if err != nil {
		return VolumeAttachment{}, fmt.Errorf("describing the data volume %s: %w", l.volume.ID, err)
	}
	if len(out.Volumes) != 1 {
		return VolumeAttachment{}, fmt.Errorf("describing the data volume %s: %d volumes", l.volume.ID, len(out.Volumes))
	}
	vol := out.Volumes[0]
	va := VolumeAttachment{State: string(vol.State)}
	for _, a := range vol.Attachments {
		va.Instance, va.Attachment = aws.ToString(a.InstanceId), string(a.State)
	}
	return va, nil
}

// holdAfterKill has the EBS model keep the data volume in-use, attached
// to the killed instance, for held (DefaultVolumeHeld if zero), if the
// instance had it attached: moto detached it at termination, AWS would not
// yet have.
func (l *Lab) holdAfterKill(id string, hadVolume bool, held time.Duration) {
	v := l.volume
	if v == nil {
		return
	}
	if held == 0 {
		held = DefaultVolumeHeld
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.held = 0
	if !hadVolume {
		return
	}
	v.held = held
	l.ebs.Hold(v.ID, emulator.VolumeHold{Instance: id, State: "detaching", Device: components.DataVolumeDeviceName, For: held})
}

// volumeAttachedTo reports whether moto has the data volume attached to
// instance id.
func (l *Lab) volumeAttachedTo(ctx context.Context, id string) (bool, error) {
	if l.volume == nil {
		return false, nil
	}
	holder, _, err := emulator.VolumeAttachment(ctx, l.admin, l.volume.ID)
	if err != nil {
		return false, err
	}
	return holder == id, nil
}

// CreateOtherVolume creates a volume that is not the stack's, in the data
// volume's zone.
func (l *Lab) CreateOtherVolume(ctx context.Context) (string, error) {
	if l.volume == nil {
		return "", errors.New("the stack has no data volume")
	}
	out, err := l.ec2().DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{l.volume.ID}})
	if err != nil || len(out.Volumes) != 1 {
		return "", fmt.Errorf("describing the data volume %s: %v", l.volume.ID, err)
	}
	return emulator.CreateVolume(ctx, l.admin, aws.ToString(out.Volumes[0].AvailabilityZone), 8)
}

// WriteVolumeFile writes VolumeFile, 1 MiB of random bytes, on the data
// volume of running instance id, in the instance's own mount namespace, as
// an application on it would, and syncs it to the disk. It returns the
// file's SHA-256, which every later boot then expects to find. It fails if
// the volume is not mounted on the instance.
func (l *Lab) WriteVolumeFile(ctx context.Context, id string) (string, error) {
	v := l.volume
	if v == nil {
		return "", errors.New("the stack has no data volume")
	}
	inst, ok := l.liveInstance(id)
	if !ok {
		return "", fmt.Errorf("instance %s is not running in the lab", id)
	}
	mount, file := userdata.ShellQuote(v.MountPath), userdata.ShellQuote(v.MountPath+"/"+VolumeFile)
	script := fmt.Sprintf(`set -euo pipefail
source="$(findmnt -n -o SOURCE --mountpoint %[1]s)" || { echo "%[1]s is not mounted" >&2; exit 3; }
[[ "$(readlink -f "$source")" == %[3]s ]] || { echo "%[1]s is mounted from $source, not the data volume" >&2; exit 3; }
head -c %[4]d /dev/urandom >%[2]s.tmp
sync %[2]s.tmp
mv -f %[2]s.tmp %[2]s
sync -f %[2]s
sha256sum %[2]s | cut -d' ' -f1
`, mount, file, userdata.ShellQuote(v.disk.Device), volumeFileBytes)
	res, err := inst.Run(ctx, script)
	if err != nil {
		return "", fmt.Errorf("writing %s on %s: %w", VolumeFile, id, err)
	}
	sum := strings.TrimSpace(res.Stdout)
	if res.ExitCode != 0 || len(sum) != 64 {
		return "", fmt.Errorf("writing %s on %s:\n%s", VolumeFile, id, res)
	}
	v.mu.Lock()
	v.want = sum
	v.mu.Unlock()
	return sum, nil
}

// probeVolume looks, on the running instance, at what its boot did with
// the data volume. mkfsBefore is the mkfs count before the boot.
func (l *Lab) probeVolume(ctx context.Context, inst *emulator.LiveInstance, log string, mkfsBefore int, start time.Time) (VolumeResult, error) {
	v := l.volume
	if v == nil {
		return VolumeResult{}, nil
	}
	v.mu.Lock()
	r := VolumeResult{Present: true, Want: v.want, HeldFor: v.held, Formatted: v.mkfs.Count() - mkfsBefore}
	v.mu.Unlock()
	exposeErr := v.shown.TakeErr()
	if exposeErr != nil {
		return r, exposeErr
	}
	mount, file := userdata.ShellQuote(v.MountPath), userdata.ShellQuote(v.MountPath+"/"+VolumeFile)
	script := fmt.Sprintf(`set -euo pipefail
source="$(findmnt -n -o SOURCE --mountpoint %[1]s || true)"
[[ -n "$source" ]] || exit 0
printf 'mounted=%%s\n' "$(readlink -f "$source")"
if [[ -f %[2]s ]]; then printf 'found=%%s\n' "$(sha256sum %[2]s | cut -d' ' -f1)"; fi
`, mount, file)
	res, err := inst.Run(ctx, script)
	if err != nil {
		return r, fmt.Errorf("looking at the data volume on the instance: %w", err)
	}
	if res.ExitCode != 0 {
		return r, fmt.Errorf("looking at the data volume on the instance:\n%s", res)
	}
	for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
		key, value, _ := strings.Cut(line, "=")
		switch key {
		case "mounted":
			r.MountedFrom = value
		case "found":
			r.Found = value
		}
	}
	r.Mounted = r.MountedFrom != "" && r.MountedFrom == v.disk.Device
	if r.HeldFor > 0 {
		r.FreeAt, _ = l.ebs.ReleasedAt(v.ID)
	}
	r.MountedAt, _ = logTime(log, "mounted data volume "+v.ID)
	for _, req := range l.API.Log() {
		if req.Action == "DescribeVolumes" && !req.Injected && !req.Time.Before(start) {
			r.FirstAsked = req.Time
			break
		}
	}
	return r, nil
}
