package userdata_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfhealing-dev/selfhealing/internal/shellquote"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// These tests run the boot script with a data volume: moto stands in for
// EC2, a emulator.EBSModel in front of it refuses what AWS refuses and moto
// allows (attaching an in-use volume, or across zones) and plays a volume
// the old instance has not let go of yet; a loop device stands in for the
// volume's disk, and appears in the instance's stand-in /dev
// ($SELFHEALING_DEV_DIR) only once the volume is attached to that instance.
// PATH shims count every mkfs.

// mountPath is where the tests mount the volume: under /srv, which each
// simulated instance has to itself.
const mountPath = "/srv/data"

// diskBytes is the size of a stand-in ext4 volume; sparse, so it costs
// little. xfs needs at least 300 MiB.
const (
	diskBytes    = 64 << 20
	xfsDiskBytes = 320 << 20
)

// cloud is one account: moto behind an emulator.APIChain (fault proxy,
// Auto Scaling model, EBS model), the group's Elastic IP, and one data
// volume with its stand-in disk.
type cloud struct {
	t        *testing.T
	moto     *emulator.Moto
	cfg      aws.Config
	ebs      *emulator.EBSModel
	asg      *emulator.AutoScalingModel // between api and ebs
	api      *emulator.FaultProxy
	alloc    string
	publicIP string
	zone     string
	volumeID string
	disk     *emulator.LoopDevice
	shown    *emulator.VolumeDisk // the disk in the hosts' stand-in /dev
	shims    string               // a PATH directory of mkfs shims
	mkfs     *emulator.MkfsShims  // the mkfs shims, in shims
	extraEnv []string             // more of the boot script's environment
}

// host is one simulated instance of the group.
type host struct {
	id       string
	metadata *emulator.FaultProxy
	fs       emulator.InstanceRoot
	// dev is its stand-in /dev; a test sets dev.Xen to show the volume as
	// dev.Dir/xvdf, as a Xen instance shows /dev/sdf, instead of by its
	// NVMe serial, and dev.Delay for the device to appear that long
	// after attach-volume.
	dev *emulator.InstanceDev
}

// newCloud starts moto and the API chain, creates the Elastic IP, a data
// volume in the zone instances launch in, and its disk of diskSize bytes.
func newCloud(t *testing.T, diskSize int64) *cloud {
	t.Helper()
	emulator.RequireFirstBoot(t)
	emulator.RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	emulator.RequireTool(t, "mkfs.ext4", "apt-get install e2fsprogs")
	emulator.RequireTool(t, "blkid", "apt-get install util-linux")
	emulator.RequireLoopDevices(t)
	t.Parallel()
	moto := emulator.StartMoto(t, emulator.MotoOptions{})
	c := &cloud{t: t, moto: moto, cfg: moto.AWSConfig()}
	ctx := context.Background()
	var err error
	if c.alloc, c.publicIP, err = emulator.AllocateAddress(ctx, c.cfg); err != nil {
		t.Fatal(err)
	}
	chain := emulator.StartAPIChain(t, moto.URL, c.cfg, emulator.AutoScalingModelOptions{})
	c.ebs, c.asg, c.api = chain.EBS, chain.AutoScaling, chain.API
	probe := c.newHost()
	if c.zone, err = emulator.InstanceZone(ctx, c.cfg, probe.id); err != nil {
		t.Fatal(err)
	}
	if c.volumeID, err = emulator.CreateVolume(ctx, c.cfg, c.zone, 8); err != nil {
		t.Fatal(err)
	}
	c.disk = emulator.NewLoopDevice(t, diskSize)
	// The probe needs no /dev: no test attaches the volume to it.
	c.shown = emulator.NewVolumeDisk(c.volumeID, c.disk.Device)
	c.shown.OnError = func(err error) { t.Errorf("exposing the disk: %v", err) }
	c.ebs.OnAttach(c.shown.OnAttach)
	c.mkfs = emulator.NewMkfsShims(t)
	c.shims = c.mkfs.Dir
	return c
}

// newHost launches an instance in moto and gives it metadata, a disk and a
// stand-in /dev of its own.
func (c *cloud) newHost() *host {
	c.t.Helper()
	id, err := emulator.CreateInstance(context.Background(), c.cfg, emulator.MotoAMI)
	if err != nil {
		c.t.Fatal(err)
	}
	zone := c.zone
	if zone == "" {
		if zone, err = emulator.InstanceZone(context.Background(), c.cfg, id); err != nil {
			c.t.Fatal(err)
		}
	}
	imds := emulator.StartIMDS(c.t, emulator.IMDSOptions{InstanceID: id, AvailabilityZone: zone})
	h := &host{
		id:       id,
		metadata: emulator.NewFaultProxy(c.t, imds.URL),
		fs:       emulator.InstanceRoot(c.t.TempDir()),
		dev:      &emulator.InstanceDev{Dir: c.t.TempDir()},
	}
	c.showTo(h)
	return h
}

// showTo has the volume's disk appear in h's stand-in /dev once the
// volume is attached to h; before the cloud has its volume (newCloud's
// probe), there is nothing to show.
func (c *cloud) showTo(h *host) {
	if c.shown != nil {
		c.shown.ShowTo(h.id, h.dev)
	}
}

// params are the boot script's parameters with the data volume, and a user
// script that leaves a mark and records the checksum of the volume's
// payload file, if there is one.
func (c *cloud) params() userdata.Params {
	return userdata.Params{
		GroupName:    groupName,
		AllocationID: c.alloc,
		UserScript: "set -e\ntouch /var/lib/user-script-ran\n" +
			"if [ -f " + mountPath + "/payload ]; then sha256sum " + mountPath + "/payload | cut -d' ' -f1 >/var/lib/payload.sha256; fi\n",
		DataVolume: &userdata.DataVolumeParams{
			VolumeID:    c.volumeID,
			DeviceName:  "/dev/sdf",
			MountPath:   mountPath,
			FSType:      "ext4",
			WaitSeconds: 60,
			// As for a volume the component created.
			MayFormat: true,
		},
	}
}

// writerScript is a user script that writes a fresh payload to the volume,
// syncs it, and records its checksum.
const writerScript = "set -e\ntouch /var/lib/user-script-ran\n" +
	"head -c 1048576 /dev/urandom >" + mountPath + "/payload\nsync " + mountPath + "/payload\n" +
	"sha256sum " + mountPath + "/payload | cut -d' ' -f1 >/var/lib/payload.sha256\n"

// volumeBoot is what one run of the boot script left behind.
type volumeBoot struct {
	bootResult
	Fstab, PayloadSum string
	Start             time.Time
}

// boot runs the boot script for p on h, runs times in one mount namespace.
func (c *cloud) boot(h *host, p userdata.Params, runs int) []volumeBoot {
	c.t.Helper()
	script, err := userdata.Render(p)
	if err != nil {
		c.t.Fatalf("Render: %v", err)
	}
	env := append(c.env(h), c.extraEnv...)
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	start := time.Now()
	results, err := emulator.RunBoots(ctx, h.fs, []byte(script), env, runs)
	if err != nil {
		c.t.Fatalf("running the boot script: %v\n%v", err, results)
	}
	var out []volumeBoot
	for i, res := range results {
		c.t.Logf("%s, run %d: exit %d, stderr:\n%s", h.id, i+1, res.ExitCode, res.Stderr)
		out = append(out, volumeBoot{
			bootResult: resultOn(h.fs, res),
			Fstab:      h.fs.ReadFile("/etc/fstab"),
			PayloadSum: strings.TrimSpace(h.fs.ReadFile("/var/lib/payload.sha256")),
			Start:      start,
		})
	}
	return out
}

// boot1 boots h once.
func (c *cloud) boot1(h *host, p userdata.Params) volumeBoot {
	c.t.Helper()
	return c.boot(h, p, 1)[0]
}

// wantMounted fails the test unless r healed: exit 0, ready, the user script
// ran, no failure, the volume attached to h in moto, and exactly one fstab
// line for the mount path, which mounts the disk's file system, with the
// root line kept.
func (c *cloud) wantMounted(h *host, r volumeBoot) {
	c.t.Helper()
	if r.ExitCode != 0 {
		c.t.Fatalf("boot script failed:\n%s", r)
	}
	if strings.Contains(r.Stderr, "FAILED") || r.Status != "ready" || !r.UserScriptRan {
		c.t.Errorf("status %q, user script ran %v; want ready, true and no FAILED line:\n%s", r.Status, r.UserScriptRan, r.Stderr)
	}
	if holder, state := c.attachment(); holder != h.id || state != "attached" {
		c.t.Errorf("the volume is attached to %q (%s) in moto, want %s (attached)", holder, state, h.id)
	}
	uuid := c.fsUUID()
	want := "UUID=" + uuid + " " + mountPath + " ext4 defaults,nofail 0 2"
	if lines := fstabLines(r.Fstab, mountPath); len(lines) != 1 || lines[0] != want {
		c.t.Errorf("fstab lines for %s: %q, want exactly [%q]\n%s", mountPath, lines, want, r.Fstab)
	}
	if !strings.Contains(r.Fstab, emulator.DefaultFstab) {
		c.t.Errorf("the root line is gone from fstab:\n%s", r.Fstab)
	}
	if !strings.Contains(r.Log, "mounted data volume "+c.volumeID) && !strings.Contains(r.Log, mountPath+" is already mounted from") {
		c.t.Errorf("the log does not say the volume was mounted:\n%s", r.Log)
	}
}

// wantFailedOnce fails the test unless r failed loudly: non-zero exit, one
// FAILED line containing each of want, a failed status, the user script
// not run.
func (c *cloud) wantFailedOnce(r volumeBoot, want ...string) {
	c.t.Helper()
	wantFailedBeforeTheUserScript(c.t, r.bootResult, want...)
}

// attachment returns the instance moto has the volume attached to, and the
// attachment's state.
func (c *cloud) attachment() (instanceID, state string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, st, err := emulator.VolumeAttachment(ctx, c.cfg, c.volumeID)
	if err != nil {
		c.t.Fatal(err)
	}
	return id, st
}

// fsUUID returns the UUID of the file system on the disk, by blkid.
func (c *cloud) fsUUID() string {
	c.t.Helper()
	out, err := exec.Command("blkid", "-p", "-o", "value", "-s", "UUID", c.disk.Device).Output()
	if err != nil {
		c.t.Fatalf("blkid %s: %v", c.disk.Device, err)
	}
	return strings.TrimSpace(string(out))
}

// diskSum returns the SHA-256 of every byte of the disk.
func (c *cloud) diskSum() string {
	c.t.Helper()
	f, err := os.Open(c.disk.Device)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		c.t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// mkfsCalls returns the mkfs calls the shims recorded.
func (c *cloud) mkfsCalls() []string {
	return c.mkfs.Calls()
}

// seed formats the disk with fsType, as a previous instance would have,
// writes a 1 MiB payload file into it and returns the payload's checksum.
// It calls mkfs directly, not through the shims.
func (c *cloud) seed(fsType string) string {
	c.t.Helper()
	if out, err := exec.Command("mkfs."+fsType, "-q", "-L", "seeded", c.disk.Device).CombinedOutput(); err != nil {
		c.t.Fatalf("mkfs.%s: %v\n%s", fsType, err, out)
	}
	mnt := c.t.TempDir()
	// A private mount namespace: the mount ends with the command.
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "bash", "-c",
		`set -e; mount "$1" "$2"; head -c 1048576 /dev/urandom >"$2/payload"; sync "$2/payload"; sha256sum "$2/payload"`,
		"seed", c.disk.Device, mnt).CombinedOutput()
	if err != nil {
		c.t.Fatalf("seeding the file system: %v\n%s", err, out)
	}
	sum, _, _ := strings.Cut(string(out), " ")
	return sum
}

// fstabLines returns the fstab lines that mount something at path.
func fstabLines(fstab, path string) []string {
	var out []string
	for _, line := range strings.Split(fstab, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] == path && !strings.HasPrefix(f[0], "#") {
			out = append(out, line)
		}
	}
	return out
}

// logTime returns the timestamp of the first log line containing needle.
func logTime(t *testing.T, log, needle string) time.Time {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, needle) {
			stamp, _, _ := strings.Cut(line, " ")
			at, err := time.Parse("2006-01-02T15:04:05.000Z", stamp)
			if err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			return at
		}
	}
	t.Fatalf("no log line contains %q:\n%s", needle, log)
	return time.Time{}
}

func TestVolumeDataSurvivesAReplacement(t *testing.T) {
	c := newCloud(t, diskBytes)
	first := c.newHost()
	p := c.params()
	p.UserScript = writerScript
	r1 := c.boot1(first, p)
	c.wantMounted(first, r1)
	if calls := c.mkfsCalls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "mkfs.ext4 -q -L selfhealing ") {
		t.Errorf("mkfs calls on a blank volume: %q, want one mkfs.ext4", calls)
	}
	if r1.PayloadSum == "" {
		t.Fatalf("the first instance's user script wrote no payload:\n%s", r1)
	}

	// The first instance dies. moto detaches its volume at once; EBS takes
	// a while, which the model plays for 2s.
	ctx := context.Background()
	if err := emulator.TerminateInstance(ctx, c.cfg, first.id); err != nil {
		t.Fatal(err)
	}
	c.ebs.Hold(c.volumeID, emulator.VolumeHold{Instance: first.id, For: 2 * time.Second})
	second := c.newHost()
	r2 := c.boot1(second, c.params())
	c.wantMounted(second, r2)
	if r2.PayloadSum != r1.PayloadSum {
		t.Errorf("payload checksum on the replacement %q, want the first instance's %q", r2.PayloadSum, r1.PayloadSum)
	}
	if calls := c.mkfsCalls(); len(calls) != 1 {
		t.Errorf("mkfs calls after the replacement: %q, want only the first boot's", calls)
	}
	if c.api.Calls("DetachVolume") != 0 {
		t.Errorf("DetachVolume called %d times; the volume freed itself", c.api.Calls("DetachVolume"))
	}
}

func TestVolumeWithDataIsNeverReformatted(t *testing.T) {
	c := newCloud(t, diskBytes)
	sum := c.seed("ext4")
	h := c.newHost()
	r := c.boot1(h, c.params())
	c.wantMounted(h, r)
	if calls := c.mkfsCalls(); len(calls) != 0 {
		t.Errorf("mkfs ran on a volume with a file system: %q", calls)
	}
	if r.PayloadSum != sum {
		t.Errorf("payload checksum %q, want the seeded %q", r.PayloadSum, sum)
	}
	if !strings.Contains(r.Log, "holds ext4 file system "+c.fsUUID()) {
		t.Errorf("the log does not say the file system was found:\n%s", r.Log)
	}
}

func TestVolumeWaitsForTheOldInstanceToLetGo(t *testing.T) {
	c := newCloud(t, diskBytes)
	old := c.newHost()
	if err := emulator.TerminateInstance(context.Background(), c.cfg, old.id); err != nil {
		t.Fatal(err)
	}
	const held = 6 * time.Second
	c.ebs.Hold(c.volumeID, emulator.VolumeHold{Instance: old.id, For: held, FromFirstDescribe: true})
	h := c.newHost()
	h.dev.Delay = 500 * time.Millisecond // the device shows up after attach-volume returns
	p := c.params()
	p.DataVolume.ForceDetach = true // allowed, and not needed within the bound
	r := c.boot1(h, p)
	c.wantMounted(h, r)
	if !strings.Contains(r.Log, "is in-use, attached to "+old.id+" (detaching)") {
		t.Errorf("the wait does not say who holds the volume:\n%s", r.Log)
	}
	if n := c.ebs.DetachCalls(); n != 0 {
		t.Errorf("%d DetachVolume calls for a volume that frees itself within the bound", n)
	}
	if n := c.api.Calls("AttachVolume"); n != 1 {
		t.Errorf("AttachVolume called %d times, want 1: the script waits for available before attaching", n)
	}
	released, ok := c.ebs.ReleasedAt(c.volumeID)
	if !ok {
		t.Fatal("the model still holds the volume")
	}
	mounted := logTime(t, r.Log, "mounted data volume "+c.volumeID)
	t.Logf("REPORT volume held %v: available at +%.1fs, mounted at +%.1fs, %.2fs after it became available",
		held, released.Sub(r.Start).Seconds(), mounted.Sub(r.Start).Seconds(), mounted.Sub(released).Seconds())
}

func TestVolumeIsNeverTakenFromALiveInstance(t *testing.T) {
	c := newCloud(t, diskBytes)
	c.seed("ext4")
	holder := c.newHost()
	if err := emulator.AttachVolume(context.Background(), c.cfg, c.volumeID, holder.id, "/dev/sdf"); err != nil {
		t.Fatal(err)
	}
	before := c.diskSum()
	h := c.newHost()
	p := c.params()
	p.DataVolume.WaitSeconds = userdata.MinVolumeWaitSeconds
	p.DataVolume.ForceDetach = true // even so
	r := c.boot1(h, p)
	c.wantFailedOnce(r, "data volume "+c.volumeID, "attached to "+holder.id, "which is running", "never taken from a live instance")
	if n, m := c.api.Calls("DetachVolume"), c.ebs.DetachCalls(); n != 0 || m != 0 {
		t.Errorf("DetachVolume calls: %d at the proxy, %d at the model; want none", n, m)
	}
	if n := c.api.Calls("AttachVolume"); n != 0 {
		t.Errorf("AttachVolume called %d times for an in-use volume", n)
	}
	if id, state := c.attachment(); id != holder.id || state != "attached" {
		t.Errorf("the volume is on %q (%s), want still on %s", id, state, holder.id)
	}
	if after := c.diskSum(); after != before {
		t.Error("the disk changed")
	}
	if calls := c.mkfsCalls(); len(calls) != 0 {
		t.Errorf("mkfs calls: %q", calls)
	}
	if lines := fstabLines(r.Fstab, mountPath); len(lines) != 0 {
		t.Errorf("fstab gained %q", lines)
	}
}

func TestVolumeIsForceDetachedFromADeadInstance(t *testing.T) {
	for _, tc := range []struct {
		name string
		// gone: the holder no longer exists at all, rather than terminated.
		gone bool
	}{{"terminated", false}, {"gone", true}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t, diskBytes)
			holder := "i-0000000000000dead"
			if !tc.gone {
				dead := c.newHost()
				if err := emulator.TerminateInstance(context.Background(), c.cfg, dead.id); err != nil {
					t.Fatal(err)
				}
				holder = dead.id
			}
			// Stuck detaching until someone forces it.
			c.ebs.Hold(c.volumeID, emulator.VolumeHold{Instance: holder})
			h := c.newHost()
			p := c.params()
			p.DataVolume.WaitSeconds = userdata.MinVolumeWaitSeconds
			p.DataVolume.ForceDetach = true
			r := c.boot1(h, p)
			c.wantMounted(h, r)
			state := "terminated"
			if tc.gone {
				state = "gone"
			}
			if !strings.Contains(r.Log, "attached to "+holder+" (detaching), which is "+state+" and can no longer write to it: force-detaching it") {
				t.Errorf("the force-detach is not logged with its reason:\n%s", r.Log)
			}
			if n := c.ebs.DetachCalls(); n != 1 {
				t.Errorf("DetachVolume calls %d, want 1", n)
			}
		})
	}
}

func TestVolumeIsLeftOnADeadInstanceWithoutForceDetach(t *testing.T) {
	c := newCloud(t, diskBytes)
	dead := c.newHost()
	if err := emulator.TerminateInstance(context.Background(), c.cfg, dead.id); err != nil {
		t.Fatal(err)
	}
	c.ebs.Hold(c.volumeID, emulator.VolumeHold{Instance: dead.id})
	h := c.newHost()
	p := c.params()
	p.DataVolume.WaitSeconds = userdata.MinVolumeWaitSeconds
	r := c.boot1(h, p)
	c.wantFailedOnce(r, "attached to "+dead.id, "which is terminated", "forceDetach is off")
	if n := c.ebs.DetachCalls(); n != 0 {
		t.Errorf("DetachVolume calls %d, want none", n)
	}
}

func TestVolumeRerunIsANoOp(t *testing.T) {
	c := newCloud(t, diskBytes)
	h := c.newHost()
	runs := c.boot(h, c.params(), 2)
	if len(runs) != 2 {
		t.Fatalf("%d runs finished, want 2", len(runs))
	}
	c.wantMounted(h, runs[1])
	second := runs[1].Stderr
	for _, want := range []string{
		"is attached to this instance (attached); not attaching it again",
		mountPath + " is already mounted from " + c.disk.Device,
		"/etc/fstab already mounts " + mountPath,
	} {
		if !strings.Contains(second, want) {
			t.Errorf("the re-run does not say %q:\n%s", want, second)
		}
	}
	if calls := c.mkfsCalls(); len(calls) != 1 {
		t.Errorf("mkfs calls over two runs: %q, want the first run's only", calls)
	}
	if n := c.api.Calls("AttachVolume"); n != 1 {
		t.Errorf("AttachVolume called %d times over two runs, want 1", n)
	}
	if n := c.ebs.DetachCalls(); n != 0 {
		t.Errorf("DetachVolume called %d times", n)
	}
}

func TestVolumeReplacesAStaleFstabLine(t *testing.T) {
	c := newCloud(t, diskBytes)
	h := c.newHost()
	stale := "UUID=11111111-2222-3333-4444-555555555555 " + mountPath + " ext4 defaults,nofail 0 2\n"
	other := "tmpfs /srv/scratch tmpfs defaults 0 0\n"
	if err := os.MkdirAll(h.fs.Path("/etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.fs.Path("/etc/fstab"), []byte(emulator.DefaultFstab+stale+other), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.boot1(h, c.params())
	c.wantMounted(h, r)
	if strings.Contains(r.Fstab, stale) || !strings.Contains(r.Fstab, other) {
		t.Errorf("want the stale line replaced and the others kept:\n%s", r.Fstab)
	}
	info, err := os.Stat(h.fs.Path("/etc/fstab"))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("fstab mode %v (%v), want 0644", info.Mode().Perm(), err)
	}
}

func TestVolumeNeverFormatsADeviceThatIsNotBlank(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(c *cloud)
		want  []string
	}{
		{"unknown data", func(c *cloud) { writeAt(c, 4096, []byte("somebody's data")) },
			[]string{"shows no file system blkid knows, but is not blank: 15 non-zero bytes in the 16777216 bytes at offset 0; it may hold data, so not formatting it"}},
		{"partition table", func(c *cloud) { writeMBR(c) },
			[]string{"holds a dos partition table or a signature that is no file system; not formatting it"}},
		{"swap", func(c *cloud) {
			if out, err := exec.Command("mkswap", c.disk.Device).CombinedOutput(); err != nil {
				c.t.Fatalf("mkswap: %v\n%s", err, out)
			}
		}, []string{"holds swap, not an ext4 or xfs file system; it is left as it is"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t, diskBytes)
			tc.setup(c)
			before := c.diskSum()
			h := c.newHost()
			r := c.boot1(h, c.params())
			c.wantFailedOnce(r, tc.want...)
			if calls := c.mkfsCalls(); len(calls) != 0 {
				t.Errorf("mkfs calls: %q", calls)
			}
			if c.diskSum() != before {
				t.Error("the disk changed")
			}
		})
	}
}

// writeAt writes b into the disk at offset.
func writeAt(c *cloud, offset int64, b []byte) {
	c.t.Helper()
	f, err := os.OpenFile(c.disk.Device, os.O_WRONLY, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, offset); err != nil {
		c.t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		c.t.Fatal(err)
	}
}

// writeMBR writes a DOS partition table with one Linux partition, which
// blkid reports as PTTYPE=dos and no TYPE.
func writeMBR(c *cloud) {
	mbr := make([]byte, 512)
	entry := mbr[446:462]
	entry[4] = 0x83                                    // Linux
	copy(entry[8:12], []byte{0x00, 0x08, 0x00, 0x00})  // first LBA 2048
	copy(entry[12:16], []byte{0x00, 0xf8, 0x01, 0x00}) // 129024 sectors
	mbr[510], mbr[511] = 0x55, 0xaa
	writeAt(c, 0, mbr)
}

func TestVolumeKeepsItsOwnFileSystemWhateverFSTypeSays(t *testing.T) {
	emulator.RequireTool(t, "mkfs.xfs", "apt-get install xfsprogs")
	c := newCloud(t, xfsDiskBytes)
	sum := c.seed("xfs")
	h := c.newHost()
	r := c.boot1(h, c.params()) // fsType ext4
	if r.ExitCode != 0 || r.PayloadSum != sum {
		t.Fatalf("boot: payload %q, want the seeded %q:\n%s", r.PayloadSum, sum, r)
	}
	if calls := c.mkfsCalls(); len(calls) != 0 {
		t.Errorf("mkfs calls: %q", calls)
	}
	if want := "UUID=" + c.fsUUID() + " " + mountPath + " xfs defaults,nofail 0 2"; !slices.Equal(fstabLines(r.Fstab, mountPath), []string{want}) {
		t.Errorf("fstab:\n%s\nwant the line %q", r.Fstab, want)
	}
}

func TestVolumeFormatsXFS(t *testing.T) {
	emulator.RequireTool(t, "mkfs.xfs", "apt-get install xfsprogs")
	c := newCloud(t, xfsDiskBytes)
	h := c.newHost()
	p := c.params()
	p.DataVolume.FSType = "xfs"
	p.UserScript = writerScript
	r := c.boot1(h, p)
	if r.ExitCode != 0 || r.PayloadSum == "" {
		t.Fatalf("boot failed or wrote nothing:\n%s", r)
	}
	out, err := exec.Command("blkid", "-p", "-o", "value", "-s", "TYPE", c.disk.Device).Output()
	if err != nil || strings.TrimSpace(string(out)) != "xfs" {
		t.Errorf("blkid TYPE %q (%v), want xfs", out, err)
	}
	want := regexp.MustCompile(`(?m)^UUID=[0-9a-f-]+ ` + mountPath + ` xfs defaults,nofail 0 2$`)
	if !want.MatchString(r.Fstab) {
		t.Errorf("fstab lacks the xfs line:\n%s", r.Fstab)
	}
	if calls := c.mkfsCalls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "mkfs.xfs ") {
		t.Errorf("mkfs calls %q, want one mkfs.xfs", calls)
	}
}

func TestVolumeFindsTheXenDeviceName(t *testing.T) {
	c := newCloud(t, diskBytes)
	h := c.newHost()
	h.dev.Xen = true
	h.dev.Delay = 1500 * time.Millisecond
	r := c.boot1(h, c.params())
	c.wantMounted(h, r)
	if !strings.Contains(r.Log, "is "+c.disk.Device+" ("+h.dev.Dir+"/xvdf)") {
		t.Errorf("the log does not name the Xen device:\n%s", r.Log)
	}
}

func TestVolumeInAnotherZoneFailsLoudly(t *testing.T) {
	c := newCloud(t, diskBytes)
	other := "us-east-1b"
	if c.zone == other {
		other = "us-east-1c"
	}
	var err error
	if c.volumeID, err = emulator.CreateVolume(context.Background(), c.cfg, other, 8); err != nil {
		t.Fatal(err)
	}
	h := c.newHost()
	r := c.boot1(h, c.params())
	c.wantFailedOnce(r, "attach-volume", "InvalidVolume.ZoneMismatch")
	if id, _ := c.attachment(); id != "" {
		t.Errorf("moto attached the volume to %s across zones", id)
	}
}

func TestVolumeAttachRetriesThrottlingAndWaitsOutIncorrectState(t *testing.T) {
	c := newCloud(t, diskBytes)
	h := c.newHost()
	c.api.ThrottleFirst("DescribeVolumes", 2)
	c.api.FailFirst("AttachVolume", 1, emulator.APIError{Status: 400, Code: "IncorrectState", Message: "vol is 'in-use'"})
	c.api.ThrottleFirst("AttachVolume", 1)
	r := c.boot1(h, c.params())
	c.wantMounted(h, r)
	if !strings.Contains(r.Log, "attach-volume: not yet:") || !strings.Contains(r.Log, "describe-volumes: retryable error") {
		t.Errorf("the log lacks the waits:\n%s", r.Log)
	}
	if n := c.api.Calls("AttachVolume"); n != 3 {
		t.Errorf("AttachVolume called %d times, want IncorrectState, throttled, then success", n)
	}
}

// With the hand-over, a new instance that finds the volume on a running
// instance outside its group's service (no group, here) takes it for a
// failure replacement: it waits, and at the bound fails without detaching
// a volume a live instance may still write.
func TestVolumeWithHandoverIsNeverTakenFromALiveInstance(t *testing.T) {
	c := newCloud(t, diskBytes)
	c.seed("ext4")
	holder := c.newHost()
	if err := emulator.AttachVolume(context.Background(), c.cfg, c.volumeID, holder.id, "/dev/sdf"); err != nil {
		t.Fatal(err)
	}
	h := c.newHost()
	p := c.params()
	p.DataVolume.WaitSeconds = userdata.HandoverHookTimeoutSeconds(userdata.MinStopTimeoutSeconds)
	p.Handover = &userdata.HandoverParams{HookName: "selfhealing-handover", StopTimeoutSeconds: userdata.MinStopTimeoutSeconds}
	r := c.boot1(h, p)
	c.wantFailedOnce(r, "data volume "+c.volumeID, "attached to "+holder.id, "which is running", "never taken from a live instance")
	if !strings.Contains(r.Log, "is on "+holder.id) {
		t.Errorf("the boot did not look the holder up in the group:\n%s", r.Log)
	}
	if n, m := c.api.Calls("DetachVolume"), c.ebs.DetachCalls(); n != 0 || m != 0 {
		t.Errorf("DetachVolume calls: %d at the proxy, %d at the model; want none", n, m)
	}
	if id, state := c.attachment(); id != holder.id || state != "attached" {
		t.Errorf("the volume is on %q (%s), want still on %s", id, state, holder.id)
	}
}

// TestVolumeStepFailureNamesItsSourceLine: each of the data volume's steps
// is a function of volume.sh; a command that fails in one (here the chmod
// of the new /etc/fstab, in the last step) ends the boot with one FAILED
// line naming its step and its line in volume.sh.
func TestVolumeStepFailureNamesItsSourceLine(t *testing.T) {
	c := newCloud(t, diskBytes)
	h := c.newHost()
	const command = "chmod 0644 /etc/fstab.selfhealing"
	line := sourceLineOf(t, "volume.sh", command)
	real, err := exec.LookPath("chmod")
	if err != nil {
		t.Fatal(err)
	}
	shim := "#!/bin/bash\nfor arg; do [[ \"$arg\" != /etc/fstab.selfhealing ]] || exit 3; done\nexec " + shellquote.Quote(real) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(c.shims, "chmod"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	r := c.boot1(h, c.params())
	c.wantFailedOnce(r, "recording data volume "+c.volumeID+" in /etc/fstab",
		fmt.Sprintf("command exited 3 at userdata/sh/volume.sh:%d", line))
}
