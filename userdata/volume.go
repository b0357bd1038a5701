package userdata

import (
	"fmt"
	"regexp"
	"strings"
)

// DevDirEnv names the one environment variable the volume section of the
// script reads for tests: the directory that stands in for /dev, where it
// looks for the attached volume's device (disk/by-id/..., xvdf, sdf). It
// defaults to DefaultDevDir, and nothing sets it on EC2. The script reads it
// only when a data volume is configured.
const DevDirEnv = "SELFHEALING_DEV_DIR"

// DefaultDevDir is where the kernel and udev put block devices.
const DefaultDevDir = "/dev"

// Bounds of DataVolumeParams.WaitSeconds, the component's
// dataVolume.attachTimeoutSeconds. EBS detaches a terminated instance's
// volume in a time AWS does not document: a shorter wait would have a
// replacement force-detach, or give up on, a volume that is on its way.
// The longest leaves the launch gate, at most 7200 s, room for the rest of
// the boot.
const (
	MinVolumeWaitSeconds = 30
	MaxVolumeWaitSeconds = 3600
)

// FormattedTagKey is the tag the boot script puts on the data volume right
// after it creates a file system there. It is AWS's durable record that the
// volume holds data: a volume that carries it is never formatted again,
// whatever its disk shows. Its value says which instance formatted it, with
// what, and when.
const FormattedTagKey = "selfhealing:formatted"

// DataVolumeParams describe the persistent EBS volume the script attaches.
type DataVolumeParams struct {
	VolumeID    string // "vol-0123456789abcdef0"
	DeviceName  string // the name passed to attach-volume, e.g. "/dev/sdf" (Xen shows it as /dev/xvdf)
	MountPath   string // absolute, e.g. "/data"
	FSType      string // "ext4" or "xfs"
	WaitSeconds int    // bound on waiting for the volume to be free, MinVolumeWaitSeconds to MaxVolumeWaitSeconds (component default 300)
	ForceDetach bool   // at the bound, force-detach from a terminated/shutting-down holder
	// MayFormat lets the script create a file system on the volume, and
	// tag it FormattedTagKey, when AWS and the disk both show it new and
	// blank: EBS did not restore it from a snapshot, no instance tagged
	// it, and its disk reads as zeros. The component sets it for a volume
	// it created, and for an adopted one only if the user allowed it.
	// Without it, a volume with no file system fails the boot.
	MayFormat bool
}

var (
	// volumeIDPattern matches EBS volume ids: 8 hex digits for old
	// volumes, 17 for new ones.
	volumeIDPattern = regexp.MustCompile(`^vol-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// deviceNamePattern admits the names AWS recommends for EBS data
	// volumes on Linux, /dev/sd[f-p], and their Xen spelling; lower letters
	// are the root device's or instance store's on some instance types.
	deviceNamePattern = regexp.MustCompile(`^/dev/(sd|xvd)[f-p]$`)
	// mountPathPattern admits absolute paths of portable file name
	// characters: no whitespace, which /etc/fstab would need escaped, and
	// nothing a shell or mount option could read specially.
	mountPathPattern = regexp.MustCompile(`^(/[A-Za-z0-9._-]+)+$`)
)

// reservedMountPaths may not be mounted over: the users' homes would
// vanish under the volume.
var reservedMountPaths = []string{"/home", "/home/ec2-user"}

// reservedMountTrees may not be mounted over, nor anything below them: the
// system would lose what is there, or the boot script its own state
// (/var/lib/selfhealing) and log (/var/log).
var reservedMountTrees = []string{
	"/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var",
}

// maxMountPathBytes keeps the fstab line and mount's arguments sane.
const maxMountPathBytes = 255

// validate reports every field of v the script cannot use, each naming the
// field as the component's args spell it.
func (v *DataVolumeParams) validate() []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("dataVolume."+format, args...))
	}
	if msg := VolumeIDProblem(v.VolumeID); msg != "" {
		bad("volumeId %q: %s", v.VolumeID, msg)
	}
	if !deviceNamePattern.MatchString(v.DeviceName) {
		bad("deviceName %q: want one of /dev/sdf to /dev/sdp (or /dev/xvdf to /dev/xvdp), the names AWS recommends for EBS data volumes", v.DeviceName)
	}
	if msg := MountPathProblem(v.MountPath); msg != "" {
		bad("mountPath %q: %s", v.MountPath, msg)
	}
	if msg := FSTypeProblem(v.FSType); msg != "" {
		bad("fsType %q: %s", v.FSType, msg)
	}
	if msg := VolumeWaitProblem(v.WaitSeconds); msg != "" {
		bad("waitSeconds %d: %s", v.WaitSeconds, msg)
	}
	return errs
}

// FSTypeProblem says what is wrong with fsType as the file system the
// script creates on a blank volume, or "".
func FSTypeProblem(fsType string) string {
	if fsType != "ext4" && fsType != "xfs" {
		return "want ext4 or xfs"
	}
	return ""
}

// VolumeWaitProblem says what is wrong with seconds as the bound on the
// wait for the volume to come free of its predecessor, or "".
func VolumeWaitProblem(seconds int) string {
	if seconds < MinVolumeWaitSeconds || seconds > MaxVolumeWaitSeconds {
		return fmt.Sprintf("want %d to %d seconds", MinVolumeWaitSeconds, MaxVolumeWaitSeconds)
	}
	return ""
}

// VolumeIDProblem says what is wrong with id as an EBS volume id, or "".
// The component checks a user's value with it; the script builds the
// volume's NVMe serial from it.
func VolumeIDProblem(id string) string {
	if !volumeIDPattern.MatchString(id) {
		return "want an EBS volume id like vol-0123456789abcdef0 (vol- and 8 or 17 hexadecimal digits)"
	}
	return ""
}

// MountPathProblem says what is wrong with path as the data volume's mount
// point, or "": the one rule, which the component checks a user's value
// with at preview and the renderer again.
func MountPathProblem(path string) string {
	switch {
	case len(path) > maxMountPathBytes:
		return fmt.Sprintf("longer than %d bytes", maxMountPathBytes)
	case !mountPathPattern.MatchString(path):
		return "want an absolute path such as /data, of a-z A-Z 0-9 . _ - between single slashes, without a trailing slash"
	}
	for _, part := range strings.Split(path[1:], "/") {
		if part == "." || part == ".." {
			return "want a path without . or .. components"
		}
	}
	for _, reserved := range reservedMountPaths {
		if path == reserved {
			return "a system directory; mounting over it would hide what the system keeps there; choose a path such as /data"
		}
	}
	for _, tree := range reservedMountTrees {
		if path == tree || strings.HasPrefix(path, tree+"/") {
			return fmt.Sprintf("in %s, which belongs to the system; choose a path such as /data", tree)
		}
	}
	return ""
}
