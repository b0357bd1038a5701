package emulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// LoopDevice is a sparse file attached as a loop block device: a real block
// device that mkfs, blkid and mount treat as a disk, standing in for an EBS
// volume. Create one with [NewLoopDevice] or [NewLoopDeviceE].
type LoopDevice struct {
	// Device is the block device, such as /dev/loop3.
	Device string
	// File is the sparse file behind it.
	File string
}

// loopCommandTimeout bounds one losetup call.
const loopCommandTimeout = 30 * time.Second

// NewLoopDevice creates a sparse file of size bytes in a t.TempDir() and
// attaches it as a loop device, which a t.Cleanup detaches, whether the
// test passed or not. It needs root and losetup: it fails the test in CI
// and skips it elsewhere without them (see [RequireLoopDevices]).
func NewLoopDevice(t testing.TB, size int64) *LoopDevice {
	t.Helper()
	RequireLoopDevices(t)
	d, err := NewLoopDeviceE(t.TempDir(), size)
	if err != nil {
		t.Fatalf("NewLoopDevice: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("NewLoopDevice cleanup: %v", err)
		}
	})
	return d
}

// NewLoopDeviceE creates a sparse file of size bytes in dir and attaches it
// as a loop device. The caller must Close it.
func NewLoopDeviceE(dir string, size int64) (*LoopDevice, error) {
	f, err := os.CreateTemp(dir, "volume-*.img")
	if err != nil {
		return nil, fmt.Errorf("loop device: %w", err)
	}
	name := f.Name()
	err = errors.Join(f.Truncate(size), f.Close())
	if err != nil {
		_ = os.Remove(name)
		return nil, fmt.Errorf("loop device: sizing %s: %w", name, err)
	}
	return attachLoopFile(name)
}

// attachLoopFile attaches the file name as a loop device, and removes the
// file if it cannot.
func attachLoopFile(name string) (*LoopDevice, error) {
	out, err := losetup("--find", "--show", name)
	if err != nil {
		_ = os.Remove(name)
		return nil, err
	}
	return &LoopDevice{Device: strings.TrimSpace(out), File: name}, nil
}

// Close detaches the loop device and removes its file. If something still
// has the device mounted or open, the kernel detaches it once that lets go.
func (d *LoopDevice) Close() error {
	_, err := losetup("--detach", d.Device)
	return errors.Join(err, os.Remove(d.File))
}

// losetup runs losetup with args and returns its standard output.
func losetup(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), loopCommandTimeout)
	defer cancel()
	res, err := RunCommand(ctx, []string{"PATH=" + os.Getenv("PATH")}, "losetup", args...)
	if err != nil {
		return "", fmt.Errorf("losetup %s: %w", strings.Join(args, " "), err)
	}
	if res.ExitCode != 0 {
		return "", fmt.Errorf("losetup %s: %s", strings.Join(args, " "), res)
	}
	return res.Stdout, nil
}

// RequireLoopDevices checks for what [NewLoopDevice] needs: root and
// losetup. Like [RequireTool], it fails the test in CI and skips it
// elsewhere, saying what is missing.
func RequireLoopDevices(t testing.TB) {
	t.Helper()
	RequireTool(t, "losetup", "apt-get install mount")
	if os.Geteuid() == 0 {
		return
	}
	const why = "loop devices, which stand in for EBS volumes, need root"
	if InCI() {
		t.Fatal(why)
	}
	t.Skip("skipping: " + why + " (run the tests with sudo)")
}

// ExposeDevice makes link, a path under a stand-in /dev directory (such as
// devDir+"/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123"), a symlink
// to device, as udev would once a volume is attached. It creates the
// directories on the way and replaces an existing link.
func ExposeDevice(link, device string) error {
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("exposing %s: %w", device, err)
	}
	if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("exposing %s: %w", device, err)
	}
	if err := os.Symlink(device, link); err != nil {
		return fmt.Errorf("exposing %s: %w", device, err)
	}
	return nil
}
