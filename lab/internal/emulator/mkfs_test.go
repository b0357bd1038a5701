package emulator

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestMkfsShimsLogEachCallAndRunTheRealProgram(t *testing.T) {
	RequireTool(t, "mkfs.ext4", "apt-get install e2fsprogs")
	s := NewMkfsShims(t)
	if got := s.Calls(); got != nil || s.Count() != 0 {
		t.Fatalf("calls before any: %q", got)
	}
	img := filepath.Join(t.TempDir(), "it's.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 8<<20); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		// As a boot with s.Dir first on its PATH would find it.
		if out, err := exec.Command(filepath.Join(s.Dir, "mkfs.ext4"), "-q", "-F", img).CombinedOutput(); err != nil {
			t.Fatalf("mkfs.ext4 through the shim: %v\n%s", err, out)
		}
	}
	want := []string{"mkfs.ext4 -q -F " + img, "mkfs.ext4 -q -F " + img}
	if got := s.Calls(); !slices.Equal(got, want) || s.Count() != 2 {
		t.Errorf("calls %q (count %d), want %q", got, s.Count(), want)
	}
	// The real program ran: the image holds an ext4 file system.
	if out, err := exec.Command("blkid", "-p", "-o", "value", "-s", "TYPE", img).Output(); err != nil || string(out) != "ext4\n" {
		t.Errorf("blkid %s: %q, %v; want ext4", img, out, err)
	}
}

func TestMkfsShimsLeaveOutWhatTheHostLacks(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	s, err := NewMkfsShimsE(filepath.Join(t.TempDir(), "shims"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("shims for programs the host lacks: %v", entries)
	}
}
