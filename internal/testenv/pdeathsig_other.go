//go:build !linux

package testenv

import "syscall"

// setParentDeathSignal does nothing outside Linux, which alone has a parent
// death signal; there only Close (or a test's cleanup) stops the servers.
func setParentDeathSignal(*syscall.SysProcAttr) {}
