package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// MetadataMockPackage is the main package of AWS's Amazon EC2 Metadata Mock.
// go.mod pins it with a tool directive
// (go get -tool github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@v1.13.0),
// so its version is fixed by go.mod and go.sum and its source comes from the
// module cache like any other dependency.
const MetadataMockPackage = "github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock"

// metadataMockBuildTimeout bounds the one-time build of the metadata mock. A
// cold build on a busy two-core machine takes well under a minute.
const metadataMockBuildTimeout = 10 * time.Minute

var metadataMock struct {
	once sync.Once
	path string
	err  error
}

// MetadataMockBinary returns the path of the ec2-metadata-mock executable,
// building it at most once per test binary with "go tool -n", which compiles
// the go.mod-pinned tool into the Go build cache (so later test binaries
// reuse it) and prints where it is.
//
// It fails the test if the build fails, and behaves like [RequireTool] if the
// go command itself is missing.
func MetadataMockBinary(t testing.TB) string {
	t.Helper()
	goCmd := RequireTool(t, "go", "install the Go toolchain named in go.mod (https://go.dev/dl/)")
	metadataMock.once.Do(func() {
		metadataMock.path, metadataMock.err = buildTool(goCmd, MetadataMockPackage)
	})
	if metadataMock.err != nil {
		t.Fatalf("%v", metadataMock.err)
	}
	return metadataMock.path
}

// buildTool builds the go.mod tool pkg with goCmd and returns the path of the
// executable. It runs in the current directory, which for a test is its
// package directory inside this module.
func buildTool(goCmd, pkg string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), metadataMockBuildTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, goCmd, "tool", "-n", pkg)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build tool %s with %q (is it still pinned with a tool directive in go.mod? see \"go get -tool\"): %w\n%s",
			pkg, cmd.String(), err, stderr.String())
	}
	path := strings.TrimSpace(stdout.String())
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("build tool %s: %q printed %q, which is not a file: %w", pkg, cmd.String(), path, err)
	}
	if info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("build tool %s: %s is not executable", pkg, path)
	}
	return path, nil
}
