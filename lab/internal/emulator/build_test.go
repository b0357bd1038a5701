package emulator

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMetadataMockBinary shows that the mock is built once, from the version
// pinned in go.mod.
func TestMetadataMockBinary(t *testing.T) {
	first := MetadataMockBinary(t)
	if second := MetadataMockBinary(t); second != first {
		t.Errorf("second MetadataMockBinary = %q, want the first build %q", second, first)
	}
	res, err := RunCommand(testContext(t, time.Minute), nil, first, "--version")
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%s --version: %v, %v", first, res, err)
	}
	if got := strings.TrimSpace(res.Stdout); got != "v1.13.0" {
		t.Errorf("%s --version = %q, want v1.13.0 (the version pinned in go.mod)", first, got)
	}
}

// TestMetadataMockBinaryEMissingGo shows the error without the go command,
// and that it is not remembered: once go is back, the build works.
func TestMetadataMockBinaryEMissingGo(t *testing.T) {
	RequireTool(t, "go", goInstallHint)
	t.Run("without go", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := MetadataMockBinaryE()
		if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), goInstallHint) {
			t.Errorf("MetadataMockBinaryE without go on PATH: %v, want exec.ErrNotFound and how to install Go", err)
		}
	})
	if _, err := MetadataMockBinaryE(); err != nil {
		t.Errorf("MetadataMockBinaryE with go back on PATH: %v", err)
	}
}

// TestSourceDir shows that the mock is built in this package's own
// directory, whatever the caller's working directory.
func TestSourceDir(t *testing.T) {
	want, err := filepath.Abs(".") // go test runs in the package directory
	if err != nil {
		t.Fatal(err)
	}
	if got := sourceDir(); got != want {
		t.Errorf("sourceDir() = %q, want %q", got, want)
	}
}
