package emulator

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// linkTarget returns where link points, "" if it does not exist.
func linkTarget(t *testing.T, link string) string {
	t.Helper()
	target, err := os.Readlink(link)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return target
}

func TestVolumeDiskShowsOnlyOnTheAttachedInstance(t *testing.T) {
	d := NewVolumeDisk("vol-0123", "/dev/loop42")
	nitro := &InstanceDev{Dir: t.TempDir()}
	other := &InstanceDev{Dir: t.TempDir()}
	d.ShowTo("i-nitro", nitro)
	d.ShowTo("i-other", other)

	d.OnAttach("vol-9999", "i-nitro", "/dev/sdf") // not this disk's volume
	d.OnAttach("vol-0123", "i-unknown", "/dev/sdf")
	link := filepath.Join(nitro.Dir, "disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123")
	if got := linkTarget(t, link); got != "" {
		t.Fatalf("the disk shows before its attach, at %s", got)
	}
	d.OnAttach("vol-0123", "i-nitro", "/dev/sdf")
	if got := linkTarget(t, link); got != "/dev/loop42" {
		t.Errorf("%s -> %q, want /dev/loop42", link, got)
	}
	if got := NVMeDeviceLink(nitro.Dir, "vol-0123"); got != link {
		t.Errorf("NVMeDeviceLink = %s, want %s", got, link)
	}
	if entries, _ := os.ReadDir(other.Dir); len(entries) != 0 {
		t.Errorf("the disk shows on an instance it is not attached to: %v", entries)
	}
	if err := d.TakeErr(); err != nil {
		t.Error(err)
	}

	// Swapped for another volume, the disk shows on its attaches only.
	d.StandFor("vol-0456")
	d.OnAttach("vol-0123", "i-other", "/dev/sdf")
	d.OnAttach("vol-0456", "i-other", "/dev/sdf")
	if entries, _ := os.ReadDir(filepath.Join(other.Dir, "disk/by-id")); len(entries) != 1 || entries[0].Name() != "nvme-Amazon_Elastic_Block_Store_vol0456" {
		t.Errorf("after StandFor, the other instance's /dev shows %v, want the new volume's link only", entries)
	}
}

func TestVolumeDiskShowsAsXenAfterADelay(t *testing.T) {
	d := NewVolumeDisk("vol-0123", "/dev/loop42")
	dev := &InstanceDev{Dir: t.TempDir()}
	d.ShowTo("i-xen", dev)
	// Read at the attach, not at ShowTo.
	dev.Xen, dev.Delay = true, 200*time.Millisecond
	d.OnAttach("vol-0123", "i-xen", "/dev/sdg")
	link := filepath.Join(dev.Dir, "xvdg")
	if got := linkTarget(t, link); got != "" {
		t.Fatalf("the disk shows before its delay, at %s", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for linkTarget(t, link) == "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := linkTarget(t, link); got != "/dev/loop42" {
		t.Errorf("%s -> %q, want /dev/loop42", link, got)
	}
}

func TestVolumeDiskKeepsOrReportsItsFailures(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d := NewVolumeDisk("vol-0123", "/dev/loop42")
	d.ShowTo("i-1", &InstanceDev{Dir: notADir})
	d.OnAttach("vol-0123", "i-1", "/dev/sdf")
	if err := d.TakeErr(); err == nil {
		t.Error("TakeErr after a failed attach: nil")
	}
	if err := d.TakeErr(); err != nil {
		t.Errorf("TakeErr a second time: %v, want nil", err)
	}
	var reported []error
	d.OnError = func(err error) { reported = append(reported, err) }
	d.OnAttach("vol-0123", "i-1", "/dev/sdf")
	if len(reported) != 1 || d.TakeErr() != nil {
		t.Errorf("OnError got %v; want the one failure, and none kept", reported)
	}
}
