package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// PackNodeJS builds the Node.js SDK in sdkDir and packs it into dest the
// way Pulumi's own providers publish theirs, returning the tarball's path:
// tsc compiles the sources into bin/, package.json and README.md are copied
// beside them, and `npm pack` packs bin/ alone. The package's root is then
// the compiled code, so Node finds index.js and index.d.ts there without a
// "main", and utilities.js finds ./package.json, where it reads the
// package's version. nodeModules is a node_modules directory holding the
// pinned typescript, @types/node and @pulumi/pulumi the SDK compiles
// against.
func PackNodeJS(sdkDir, nodeModules, dest string) (string, error) {
	build, err := os.MkdirTemp("", "selfhealing-nodejs-")
	if err != nil {
		return "", fmt.Errorf("packing the Node.js SDK: %w", err)
	}
	defer os.RemoveAll(build)
	if err := copySources(sdkDir, build); err != nil {
		return "", fmt.Errorf("packing the Node.js SDK: %w", err)
	}
	absModules, err := filepath.Abs(nodeModules)
	if err != nil {
		return "", fmt.Errorf("packing the Node.js SDK: %w", err)
	}
	if err := os.Symlink(absModules, filepath.Join(build, "node_modules")); err != nil {
		return "", fmt.Errorf("packing the Node.js SDK: %w", err)
	}
	tsc := filepath.Join(absModules, "typescript", "bin", "tsc")
	if _, err := run(build, "node", tsc, "-p", "."); err != nil {
		return "", fmt.Errorf("compiling the Node.js SDK: %w", err)
	}
	bin := filepath.Join(build, "bin")
	for _, f := range []string{"package.json", "README.md"} {
		b, err := os.ReadFile(filepath.Join(build, f))
		if err == nil {
			err = os.WriteFile(filepath.Join(bin, f), b, 0o644)
		}
		if err != nil {
			return "", fmt.Errorf("packing the Node.js SDK: %w", err)
		}
	}
	return npmPack(bin, dest)
}

// npmPack runs `npm pack` in dir, writing the tarball into dest.
func npmPack(dir, dest string) (string, error) {
	absDest, err := filepath.Abs(dest)
	if err != nil {
		return "", fmt.Errorf("npm pack: %w", err)
	}
	out, err := run(dir, "npm", "pack", "--json", "--loglevel=error", "--pack-destination", absDest)
	if err != nil {
		return "", fmt.Errorf("npm pack: %w", err)
	}
	var packed []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		return "", fmt.Errorf("npm pack printed %q, want one package as JSON", out)
	}
	return filepath.Join(absDest, packed[0].Filename), nil
}

// copySources copies the files under src into dst, leaving out what a
// build or an install left there (node_modules, bin, __pycache__, build).
func copySources(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if path != src && leftByBuild[d.Name()] {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// leftByBuild names the directories that npm, tsc and Python builds leave
// in an SDK's directory; they are never part of the SDK.
var leftByBuild = map[string]bool{"node_modules": true, "bin": true, "__pycache__": true, "build": true}

// run runs name with args in dir and returns its standard output; the error
// carries the standard error.
func run(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String() + "\n" + stdout.String())
		return nil, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}

// PythonModules are the modules a python3 needs to build the Python SDK
// into a wheel (setuptools, wheel) and to import it (packaging, semver).
// Debian packages them as python3-setuptools, python3-wheel,
// python3-packaging and python3-semver, for /usr/bin/python3.
var PythonModules = []string{"setuptools", "wheel", "packaging", "semver"}

// FindPython returns the first of candidates that imports every module of
// PythonModules, or an error naming what each one lacks.
func FindPython(candidates ...string) (string, error) {
	probe := "import " + strings.Join(PythonModules, ", ")
	var problems []string
	for _, c := range candidates {
		if _, err := run(".", c, "-c", probe); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", c, err))
			continue
		}
		return c, nil
	}
	return "", fmt.Errorf("no python3 here has %s (on Debian: apt-get install python3-setuptools python3-wheel python3-packaging python3-semver python3-venv):\n%s",
		strings.Join(PythonModules, ", "), strings.Join(problems, "\n"))
}

// PackPython builds the Python SDK in sdkDir into a wheel in dest with
// python's pip and setuptools (the build backend its pyproject.toml names),
// offline and without build isolation, and returns the wheel's path. It
// builds from a copy, for setuptools writes build/ and *.egg-info/ beside
// the sources.
func PackPython(python, sdkDir, dest string) (string, error) {
	build, err := os.MkdirTemp("", "selfhealing-python-")
	if err != nil {
		return "", fmt.Errorf("packing the Python SDK: %w", err)
	}
	defer os.RemoveAll(build)
	if err := copySources(sdkDir, build); err != nil {
		return "", fmt.Errorf("packing the Python SDK: %w", err)
	}
	wheels := filepath.Join(build, ".wheels")
	if _, err := run(build, python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
		"--disable-pip-version-check", "--wheel-dir", wheels, "."); err != nil {
		return "", fmt.Errorf("building the Python SDK's wheel: %w", err)
	}
	built, _ := filepath.Glob(filepath.Join(wheels, "*.whl"))
	if len(built) != 1 {
		return "", fmt.Errorf("pip wheel built %v, want one wheel", built)
	}
	b, err := os.ReadFile(built[0])
	if err != nil {
		return "", fmt.Errorf("packing the Python SDK: %w", err)
	}
	absDest, err := filepath.Abs(dest)
	if err != nil {
		return "", fmt.Errorf("packing the Python SDK: %w", err)
	}
	wheel := filepath.Join(absDest, filepath.Base(built[0]))
	if err := os.WriteFile(wheel, b, 0o644); err != nil {
		return "", fmt.Errorf("packing the Python SDK: %w", err)
	}
	return wheel, nil
}
