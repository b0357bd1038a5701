// Package tests holds program-level tests: they run main.go's program with
// the real Pulumi.yaml and stack files, as `pulumi up` would, under Pulumi's
// mock monitor. The end-to-end healing tests live in lab/tests/e2e.
package tests
