package emulator

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRunFirstBootIsolatesTheInstanceDirectories(t *testing.T) {
	RequireFirstBoot(t)
	root := InstanceRoot(t.TempDir())
	const marker = "/var/log/emulator-first-boot-marker"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := RunFirstBoot(ctx, root, []byte("#!/bin/bash\nset -e\nls -A /var/lib | wc -l\necho \"$GREETING\" > "+marker+"\nexit 3\n"),
		[]string{"PATH=" + os.Getenv("PATH"), "GREETING=hello"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit code %d, want the script's 3\n%s", res.ExitCode, res)
	}
	// /var/lib holds only the user data cloud-init would have written.
	if got := strings.TrimSpace(res.Stdout); got != "1" {
		t.Errorf("the script saw %s entries in /var/lib, want only cloud/", got)
	}
	if got := root.ReadFile(marker); got != "hello\n" {
		t.Errorf("instance file = %q, want the script's output with its environment", got)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the script wrote the host's %s (stat: %v)", marker, err)
		_ = os.Remove(marker)
	}
}

func TestRunFirstBootGivesTheInstanceItsOwnFstabAndMounts(t *testing.T) {
	RequireFirstBoot(t)
	root := InstanceRoot(t.TempDir())
	hostFstab, err := os.ReadFile("/etc/fstab")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Replace fstab as a careful script does, by rename, mount a tmpfs
	// under /srv, and read a host file through the overlay.
	script := `#!/bin/bash
set -euo pipefail
cat /etc/fstab
{ cat /etc/fstab; echo "tmpfs /srv/scratch tmpfs defaults 0 0"; } >/etc/fstab.new
mv -f /etc/fstab.new /etc/fstab
mkdir -p /srv/scratch
mount -t tmpfs scratch /srv/scratch
findmnt -n -o FSTYPE /srv/scratch
test -s /etc/passwd
`
	res, err := RunFirstBoot(ctx, root, []byte(script), []string{"PATH=" + os.Getenv("PATH")})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("boot: %v\n%s", err, res)
	}
	if !strings.HasPrefix(res.Stdout, DefaultFstab) || !strings.HasSuffix(res.Stdout, "tmpfs\n") {
		t.Errorf("the instance saw fstab and mount:\n%s\nwant DefaultFstab, then tmpfs", res.Stdout)
	}
	if got := root.ReadFile("/etc/fstab"); got != DefaultFstab+"tmpfs /srv/scratch tmpfs defaults 0 0\n" {
		t.Errorf("the instance's fstab is %q", got)
	}
	if now, err := os.ReadFile("/etc/fstab"); err != nil || string(now) != string(hostFstab) {
		t.Errorf("the host's /etc/fstab changed (%v):\n%s", err, now)
	}
	for _, host := range []string{"/srv/scratch", "/etc/fstab.new"} {
		if _, err := os.Stat(host); !os.IsNotExist(err) {
			t.Errorf("the boot left %s on the host (stat: %v)", host, err)
		}
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil || strings.Contains(string(mounts), string(root)) || strings.Contains(string(mounts), "/srv/scratch") {
		t.Errorf("the boot left a mount behind on the host (%v)", err)
	}
}

func TestRunBootsRerunsInTheSameNamespace(t *testing.T) {
	RequireFirstBoot(t)
	root := InstanceRoot(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script := `#!/bin/bash
if findmnt /srv/kept >/dev/null; then echo "still mounted"; exit 4; fi
mkdir -p /srv/kept && mount -t tmpfs kept /srv/kept && echo mounted
echo "to stderr" >&2
`
	results, err := RunBoots(ctx, root, []byte(script), []string{"PATH=" + os.Getenv("PATH")}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	if r := results[0]; r.ExitCode != 0 || r.Stdout != "mounted\n" || r.Stderr != "to stderr\n" {
		t.Errorf("first run:\n%s", r)
	}
	if r := results[1]; r.ExitCode != 4 || r.Stdout != "still mounted\n" {
		t.Errorf("second run did not find the first run's mount:\n%s", r)
	}
	if _, err := RunBoots(ctx, root, []byte(script), nil, 0); err == nil {
		t.Error("RunBoots accepted 0 runs")
	}
}

func TestLoopDeviceIsABlockDeviceAndGoesAway(t *testing.T) {
	var device, file string
	t.Run("use", func(t *testing.T) {
		d := NewLoopDevice(t, 8<<20)
		device, file = d.Device, d.File
		info, err := os.Stat(d.Device)
		if err != nil || info.Mode()&os.ModeDevice == 0 {
			t.Fatalf("%s is not a device (%v)", d.Device, err)
		}
		link := t.TempDir() + "/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123"
		if err := ExposeDevice(link, d.Device); err != nil {
			t.Fatal(err)
		}
		if err := ExposeDevice(link, d.Device); err != nil {
			t.Fatalf("exposing again: %v", err)
		}
		if target, err := os.Readlink(link); err != nil || target != d.Device {
			t.Errorf("link -> %q (%v)", target, err)
		}
	})
	out, err := losetup("--list", "--noheadings", "--output", "NAME,BACK-FILE")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, file) {
		t.Errorf("%s (%s) is still attached after the test:\n%s", device, file, out)
	}
}

// TestRunBootsAtOnceOverlaps shows the runs overlapping in one namespace:
// each announces itself in the instance's /run and waits there for the
// other, which only runs started together can both do.
func TestRunBootsAtOnceOverlaps(t *testing.T) {
	RequireFirstBoot(t)
	root := InstanceRoot(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script := `#!/bin/bash
set -euo pipefail
mkdir /run/run.$$
for ((i = 0; i < 300; i++)); do
  (($(ls -d /run/run.* | wc -l) < 2)) || exit 0
  sleep 0.1
done
exit 1
`
	results, err := RunBootsAtOnce(ctx, root, []byte(script), []string{"PATH=" + os.Getenv("PATH")}, 2)
	if err != nil || len(results) != 2 {
		t.Fatalf("RunBootsAtOnce: %v %v", err, results)
	}
	for i, res := range results {
		if res.ExitCode != 0 {
			t.Errorf("run %d did not see the other run: %s", i+1, res)
		}
	}
}
