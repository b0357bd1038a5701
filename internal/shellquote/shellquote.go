// Package shellquote writes a Go string as one bash word. It is the one
// place that rule lives: the boot script's header (package userdata) and the
// emulators' generated shims (package emulator, which userdata's own tests
// import, so it cannot import userdata) both quote with it.
package shellquote

import "strings"

// Quote returns s as one bash word that expands to exactly s: it is wrapped
// in single quotes, inside which bash interprets nothing, and each single
// quote in s closes the quotes, is written escaped (\'), and reopens them.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
