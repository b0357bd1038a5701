package emulator

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/shellquote"
)

// MkfsShims is a PATH directory of mkfs.ext4 and mkfs.xfs wrappers that
// log each call and then exec the real program: put Dir first on a boot's
// PATH (see [PrependPath]) to count how often the boot script formatted
// the data volume, which decides whether it ever destroyed data. Create
// one with [NewMkfsShims] or [NewMkfsShimsE].
type MkfsShims struct {
	// Dir holds the wrappers. Other shims may be written beside them.
	Dir string
	// Log is the file the wrappers append one line a call to: the
	// program's name and its arguments.
	Log string
}

// mkfsPrograms are the file system makers the boot script may run.
var mkfsPrograms = []string{"mkfs.ext4", "mkfs.xfs"}

// NewMkfsShims writes the wrappers into a t.TempDir(); it fails the test
// if it cannot.
func NewMkfsShims(t testing.TB) *MkfsShims {
	t.Helper()
	s, err := NewMkfsShimsE(t.TempDir())
	if err != nil {
		t.Fatalf("NewMkfsShims: %v", err)
	}
	return s
}

// NewMkfsShimsE writes the wrappers into dir, creating it if need be. A
// program the host lacks gets no wrapper, so a boot finds it missing, as
// it would without the wrappers.
func NewMkfsShimsE(dir string) (*MkfsShims, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mkfs wrappers: %w", err)
	}
	s := &MkfsShims{Dir: dir, Log: filepath.Join(dir, "mkfs-calls.log")}
	for _, name := range mkfsPrograms {
		real, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		shim := fmt.Sprintf("#!/bin/bash\nprintf '%%s\\n' %s\" $*\" >>%s\nexec %s \"$@\"\n",
			shellquote.Quote(name), shellquote.Quote(s.Log), shellquote.Quote(real))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(shim), 0o755); err != nil {
			return nil, fmt.Errorf("mkfs wrappers: %w", err)
		}
	}
	return s, nil
}

// Calls returns the calls logged so far, oldest first, each as
// "mkfs.ext4 ARGS"; nil before the first.
func (s *MkfsShims) Calls() []string {
	b, err := os.ReadFile(s.Log)
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// Count returns how many calls the wrappers logged.
func (s *MkfsShims) Count() int {
	return len(s.Calls())
}
