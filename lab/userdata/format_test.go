package userdata_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests hold the boot script to its promise never to format a disk
// that may hold data. A volume is formatted only when AWS says it is new
// (no snapshot behind it, no record that an instance formatted it, and
// formatting allowed for it) and its whole disk reads blank. They share
// volume_test.go's cloud: moto behind the EBS model, and a loop device as
// the volume's disk.

// diskState is what a boot that refuses the disk must leave as it was.
type diskState struct {
	sum  string // the disk's checksum
	mkfs int    // mkfs calls so far
}

func (c *cloud) diskState() diskState {
	c.t.Helper()
	return diskState{sum: c.diskSum(), mkfs: len(c.mkfsCalls())}
}

// wantUntouched fails the test unless the boot failed loudly with want in
// its one FAILED line, ran no mkfs, mounted nothing, and left the disk
// byte for byte as it was before.
func (c *cloud) wantUntouched(r volumeBoot, before diskState, want ...string) {
	c.t.Helper()
	c.wantFailedOnce(r, want...)
	if calls := c.mkfsCalls(); len(calls) != before.mkfs {
		c.t.Errorf("mkfs calls: %q, want the %d before this boot", calls, before.mkfs)
	}
	if lines := fstabLines(r.Fstab, mountPath); len(lines) != 0 {
		c.t.Errorf("fstab gained %q", lines)
	}
	if c.diskSum() != before.sum {
		c.t.Error("the disk changed")
	}
}

// blkidSeesNothing fails the test unless blkid's low-level probe finds
// nothing on the whole disk: the state in which the script used to take a
// disk for blank.
func (c *cloud) blkidSeesNothing() {
	c.t.Helper()
	out, err := exec.Command("blkid", "-p", "-o", "export", c.disk.Device).CombinedOutput()
	if code := exitCode(err); code != 2 {
		c.t.Fatalf("blkid -p %s exited %d, want 2 (nothing found), so that only the new checks can catch it:\n%s", c.disk.Device, code, out)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode()
	}
	return -1
}

// mkfsAt makes an ext4 file system of sizeBytes at offset bytes into the
// disk, as in a partition that starts there, with a file in it.
func (c *cloud) mkfsAt(offset, sizeBytes int64) {
	c.t.Helper()
	blocks := strconv.FormatInt(sizeBytes/4096, 10)
	if out, err := exec.Command("mkfs.ext4", "-q", "-b", "4096", "-E", "offset="+strconv.FormatInt(offset, 10),
		c.disk.Device, blocks).CombinedOutput(); err != nil {
		c.t.Fatalf("mkfs.ext4 at offset %d: %v\n%s", offset, err, out)
	}
	out, err := exec.Command("blkid", "-p", "-O", strconv.FormatInt(offset, 10), "-s", "TYPE", "-o", "value", c.disk.Device).Output()
	if err != nil || strings.TrimSpace(string(out)) != "ext4" {
		c.t.Fatalf("blkid at offset %d: %q (%v), want ext4", offset, out, err)
	}
}

// zero writes n zero bytes into the disk at offset.
func (c *cloud) zero(offset, n int64) {
	c.t.Helper()
	writeAt(c, offset, make([]byte, n))
}

func TestVolumeWithWipedStartIsNeverFormatted(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name  string
		setup func(c *cloud)
		want  string
	}{
		{
			// People "wipe" a disk by zeroing its first MiB: the partition
			// table goes, the file system in the partition stays.
			name: "ext4 in a partition at 1 MiB, table zeroed",
			setup: func(c *cloud) {
				writeMBR(c)
				c.mkfsAt(mib, 32*mib)
				c.zero(0, mib)
			},
			want: "holds ext4 at offset 1048576",
		},
		{
			name: "ext4 in a partition at 32 MiB, the first 32 MiB zeroed",
			setup: func(c *cloud) {
				c.mkfsAt(32*mib, 16*mib)
			},
			want: "holds ext4 at offset 33554432",
		},
		{
			// The primary GPT and its protective MBR are gone; the backup
			// header at the end of the disk still describes the partitions.
			name: "GPT backup header at the end",
			setup: func(c *cloud) {
				cmd := exec.Command("sfdisk", "--quiet", c.disk.Device)
				cmd.Stdin = strings.NewReader("label: gpt\nstart=2048, size=20480, type=L\n")
				if out, err := cmd.CombinedOutput(); err != nil {
					c.t.Fatalf("sfdisk: %v\n%s", err, out)
				}
				c.zero(0, mib)
			},
			want: "is not blank: ",
		},
		{
			name:  "data past the first MiB",
			setup: func(c *cloud) { writeAt(c, 5*mib+17, []byte("somebody's data")) },
			want:  "is not blank: 15 non-zero bytes in the 16777216 bytes at offset 0",
		},
		{
			name:  "data deep in the disk",
			setup: func(c *cloud) { writeAt(c, 40*mib+4096, []byte("somebody's data")) },
			want:  "is not blank: 15 non-zero bytes in the 131072 bytes at offset 41943040",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emulator.RequireTool(t, "sfdisk", "apt-get install fdisk")
			c := newCloud(t, diskBytes)
			tc.setup(c)
			c.blkidSeesNothing()
			before := c.diskState()
			r := c.boot1(c.newHost(), c.params())
			c.wantUntouched(r, before, "data volume "+c.volumeID, tc.want, "not formatting it")
			if n := c.api.Calls("CreateTags"); n != 0 {
				t.Errorf("CreateTags called %d times on a volume that was not formatted", n)
			}
		})
	}
}

func TestVolumeThatWasFormattedOnceIsNeverFormattedAgain(t *testing.T) {
	c := newCloud(t, diskBytes)
	first := c.newHost()
	p := c.params()
	p.UserScript = writerScript
	c.wantMounted(first, c.boot1(first, p))
	value, ok, err := emulator.VolumeTag(context.Background(), c.cfg, c.volumeID, userdata.FormattedTagKey)
	if err != nil || !ok || !strings.HasPrefix(value, "ext4 by "+first.id+" at ") {
		t.Fatalf("tag %s = %q (present %v, %v), want \"ext4 by %s at <time>\"", userdata.FormattedTagKey, value, ok, err, first.id)
	}

	// Someone wipes the whole disk: it reads blank everywhere, as a new
	// volume does. Only AWS's record tells them apart.
	if err := emulator.TerminateInstance(context.Background(), c.cfg, first.id); err != nil {
		t.Fatal(err)
	}
	c.zero(0, diskBytes)
	c.blkidSeesNothing()
	before := c.diskState()
	r := c.boot1(c.newHost(), c.params())
	c.wantUntouched(r, before, "its tag "+userdata.FormattedTagKey+" says an instance formatted it before ("+value+")")
}

func TestVolumeRestoredFromASnapshotIsNeverFormatted(t *testing.T) {
	c := newCloud(t, diskBytes)
	restored, snapshot, err := emulator.CreateVolumeFromSnapshot(context.Background(), c.cfg, c.zone, 8)
	if err != nil {
		t.Fatal(err)
	}
	c.volumeID = restored // the disk stands in for the restored volume now
	c.shown.StandFor(restored)
	before := c.diskState()
	r := c.boot1(c.newHost(), c.params())
	c.wantUntouched(r, before, "EBS restored it from snapshot "+snapshot, "never formatted")
}

func TestAdoptedVolumeIsFormattedOnlyIfAllowed(t *testing.T) {
	t.Run("not allowed", func(t *testing.T) {
		c := newCloud(t, diskBytes)
		p := c.params()
		p.DataVolume.MayFormat = false
		before := c.diskState()
		r := c.boot1(c.newHost(), p)
		c.wantUntouched(r, before, "adopted with volumeId without dataVolume.formatIfBlank")
		if n := c.api.Calls("DescribeVolumes"); n == 0 {
			t.Error("no DescribeVolumes call: the boot failed before it looked at the volume")
		}
	})
	// (No commas or colons in test names here: the harness's overlay mount
	// options hold the test's temporary directory.)
	t.Run("with a file system and not allowed is mounted and never tagged", func(t *testing.T) {
		c := newCloud(t, diskBytes)
		sum := c.seed("ext4")
		p := c.params()
		p.DataVolume.MayFormat = false
		h := c.newHost()
		r := c.boot1(h, p)
		c.wantMounted(h, r)
		if r.PayloadSum != sum {
			t.Errorf("payload checksum %q, want the seeded %q", r.PayloadSum, sum)
		}
		if n := c.api.Calls("CreateTags"); n != 0 {
			t.Errorf("CreateTags called %d times on an adopted volume the stack may not format", n)
		}
	})
}

func TestVolumeFormattedBeforeTheRecordIsRecordedWhenMounted(t *testing.T) {
	c := newCloud(t, diskBytes)
	c.seed("ext4") // formatted by an instance that died before it tagged
	h := c.newHost()
	r := c.boot1(h, c.params())
	c.wantMounted(h, r)
	value, ok, err := emulator.VolumeTag(context.Background(), c.cfg, c.volumeID, userdata.FormattedTagKey)
	if err != nil || !ok || !strings.HasPrefix(value, "ext4 by "+h.id+" at ") {
		t.Errorf("tag %s = %q (present %v, %v), want it recorded by %s", userdata.FormattedTagKey, value, ok, err, h.id)
	}
	// A second boot finds the record and does not tag again.
	calls := c.api.Calls("CreateTags")
	r2 := c.boot1(h, c.params())
	c.wantMounted(h, r2)
	if n := c.api.Calls("CreateTags"); n != calls {
		t.Errorf("CreateTags called again on a volume that carries the record (%d calls, then %d)", calls, n)
	}
}
