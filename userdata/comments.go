package userdata

import "strings"

// withoutComments drops the comment lines of a script template: every line
// whose first non-blank character is "#", except the "#!" line and
// shellcheck directives. EC2 counts user data against 16 KB even
// compressed, and the comments, which explain the script to whoever reads
// the template, would take a third of it from the user's script. The
// rendered script keeps every command and its log messages; comments at
// the end of a command line stay too.
//
// It works on the template's own text, never on rendered values, so a line
// of the user's script that starts with "#" (inside its quoted value) is
// kept. A blank line left beside another by a dropped comment block goes
// too, so the rendered script reads as one paragraph per step.
func withoutComments(text string) string {
	var b strings.Builder
	previousBlank := false
	for _, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(trimmed, "#!") && !strings.HasPrefix(trimmed, "# shellcheck ") {
			continue
		}
		blank := strings.TrimSpace(line) == ""
		if blank && previousBlank {
			continue
		}
		previousBlank = blank
		b.WriteString(line)
	}
	return b.String()
}
