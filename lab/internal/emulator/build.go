package emulator

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

// goInstallHint says how to get the go command.
const goInstallHint = "install the Go toolchain named in go.mod (https://go.dev/dl/)"

var metadataMock struct {
	once sync.Once
	path string
	err  error
}

// MetadataMockBinary returns the path of the ec2-metadata-mock executable
// like [MetadataMockBinaryE].
//
// It fails the test if the build fails, and behaves like [RequireTool] (a
// skip outside CI) if the go command itself is missing.
func MetadataMockBinary(t testing.TB) string {
	t.Helper()
	RequireTool(t, "go", goInstallHint)
	path, err := MetadataMockBinaryE()
	if err != nil {
		t.Fatalf("MetadataMockBinary: %v", err)
	}
	return path
}

// MetadataMockBinaryE returns the path of the ec2-metadata-mock executable,
// building it at most once per process with "go tool -n", which compiles the
// go.mod-pinned tool into the Go build cache (so later processes reuse it)
// and prints where it is. It returns an error, never fails a test, so it can
// be used outside tests too.
//
// It needs the go command on PATH and this module's source tree, as under
// "go test" or "go run ./cmd/..." from a checkout: it runs the go command in
// the directory this package was compiled from if that still exists (so the
// caller's working directory does not matter), and otherwise in the current
// directory, which must then be inside this module. A missing go command is
// reported as an error wrapping exec.ErrNotFound and is not remembered; a
// failed build is, for the life of the process.
func MetadataMockBinaryE() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build %s: %w; %s", MetadataMockPackage, err, goInstallHint)
	}
	metadataMock.once.Do(func() {
		metadataMock.path, metadataMock.err = buildTool(goCmd, MetadataMockPackage, sourceDir())
	})
	return metadataMock.path, metadataMock.err
}

// sourceDir returns the directory this package was compiled from if it still
// exists, and "" (the current directory) otherwise, for example for a binary
// built with -trimpath or copied to another machine.
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	dir := filepath.Dir(file)
	if info, err := os.Stat(filepath.Join(dir, filepath.Base(file))); err != nil || !info.Mode().IsRegular() {
		return ""
	}
	return dir
}

// buildTool builds the go.mod tool pkg with goCmd in dir ("" for the current
// directory), which must be inside this module, and returns the path of the
// executable.
func buildTool(goCmd, pkg, dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), metadataMockBuildTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, goCmd, "tool", "-n", pkg)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	where := dir
	if where == "" {
		where = "the current directory"
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build tool %s with %q in %s (which must be inside module github.com/selfhealing-dev/selfhealing/lab; is the tool still pinned with a tool directive in go.mod? see \"go get -tool\"): %w\n%s",
			pkg, cmd.String(), where, err, stderr.String())
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
