package emulator

import "syscall"

// setParentDeathSignal asks Linux to SIGKILL the child if this process dies
// without stopping it (a panic, a test binary's timeout, SIGKILL), so a
// crashed caller does not leave moto_server or the metadata mock running.
// The signal goes only to the direct child; both servers run as a single
// process once pyenv's shims have exec'd the interpreter.
//
// Linux sends it when the OS thread that started the child exits, not the
// process; the Go runtime does not end threads except when a goroutine
// exits while locked to its thread with runtime.LockOSThread, so do not
// start servers from such a goroutine.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
