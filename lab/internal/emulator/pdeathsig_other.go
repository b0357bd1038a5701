//go:build !linux

package emulator

import "syscall"

// setParentDeathSignal does nothing outside Linux, which alone has a parent
// death signal; there only Close (or a test's cleanup) stops the servers.
func setParentDeathSignal(*syscall.SysProcAttr) {}
