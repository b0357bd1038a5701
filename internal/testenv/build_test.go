package testenv

import (
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
