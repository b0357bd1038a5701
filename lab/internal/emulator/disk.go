package emulator

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// VolumeDisk is an EBS volume's stand-in disk as instances see it: a block
// device (a [LoopDevice]'s) that appears in an instance's own stand-in /dev
// only once the volume is attached to that instance, as udev would show
// it. Register [VolumeDisk.OnAttach] with [EBSModel.OnAttach] and each
// instance that boots with [VolumeDisk.ShowTo]; an instance not registered
// has no /dev to show the disk in, and the attach shows nothing.
type VolumeDisk struct {
	// Device is the block device, such as /dev/loop3.
	Device string
	// OnError, if set, is called with each failure to show the disk;
	// otherwise the failures wait for [VolumeDisk.TakeErr]. Either way an
	// attach hook has no one to return an error to.
	OnError func(error)

	mu       sync.Mutex
	volumeID string                  // attaches of other volumes show nothing
	views    map[string]*InstanceDev // by instance id
	err      error
}

// InstanceDev is one instance's stand-in /dev, and how the disk appears
// there.
type InstanceDev struct {
	// Dir is the stand-in /dev: the boot script's $SELFHEALING_DEV_DIR
	// (userdata.DevDirEnv).
	Dir string
	// Xen shows the disk as Dir/xvdX for an attach as /dev/sdX, as a Xen
	// instance does, instead of by the volume's NVMe serial
	// ([NVMeDeviceLink]), as a Nitro instance does.
	Xen bool
	// Delay is how long after the attach the disk appears, as udev may
	// take a moment after attach-volume returned; 0 shows it at once.
	Delay time.Duration
}

// NewVolumeDisk returns the disk device standing in for volumeID, shown to
// no instance yet.
func NewVolumeDisk(volumeID, device string) *VolumeDisk {
	return &VolumeDisk{volumeID: volumeID, Device: device, views: map[string]*InstanceDev{}}
}

// StandFor makes the disk stand in for volumeID from now on, as for a test
// that swaps the volume under the same disk (one restored from a
// snapshot, say).
func (d *VolumeDisk) StandFor(volumeID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.volumeID = volumeID
}

// ShowTo registers instanceID's stand-in /dev: attaches of the volume to
// that instance show the disk there. dev is read at each attach, so a test
// may change it until then.
func (d *VolumeDisk) ShowTo(instanceID string, dev *InstanceDev) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.views[instanceID] = dev
}

// OnAttach is the [EBSModel.OnAttach] hook: it links the disk into the
// stand-in /dev of the instance the volume was attached to at device
// (/dev/sdX).
func (d *VolumeDisk) OnAttach(volumeID, instanceID, device string) {
	d.mu.Lock()
	dev := d.views[instanceID]
	mine := volumeID == d.volumeID
	d.mu.Unlock()
	if !mine || dev == nil {
		return
	}
	link := NVMeDeviceLink(dev.Dir, volumeID)
	if dev.Xen {
		link = filepath.Join(dev.Dir, "xvd"+strings.TrimPrefix(device, "/dev/sd"))
	}
	expose := func() {
		if err := ExposeDevice(link, d.Device); err != nil {
			d.fail(fmt.Errorf("showing volume %s's disk on %s: %w", volumeID, instanceID, err))
		}
	}
	if dev.Delay > 0 {
		time.AfterFunc(dev.Delay, expose)
		return
	}
	expose()
}

// fail reports err to OnError, or keeps it for TakeErr.
func (d *VolumeDisk) fail(err error) {
	if d.OnError != nil {
		d.OnError(err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = errors.Join(d.err, err)
}

// TakeErr returns the failures to show the disk since the last call, nil
// if none, and forgets them.
func (d *VolumeDisk) TakeErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.err
	d.err = nil
	return err
}

// NVMeDeviceLink returns where udev on a Nitro instance shows the EBS
// volume volumeID under devDir: NVMe disks by their serial, which EBS sets
// to the volume id without its hyphen. It plays udev's part; the boot
// script's own knowledge of the path is in userdata/sh/volume.sh, and every
// boot test with a data volume fails if the two disagree.
func NVMeDeviceLink(devDir, volumeID string) string {
	return devDir + "/disk/by-id/nvme-Amazon_Elastic_Block_Store_" + strings.ReplaceAll(volumeID, "-", "")
}
