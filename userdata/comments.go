package userdata

import "strings"

// compact returns a static script file as the user data carries it: each
// comment line, every line whose first non-blank character is "#", except
// the "#!" line and shellcheck directives, left empty, and every line's
// leading indentation dropped. EC2 counts user data against 16 KB even
// compressed, and the comments, which explain the script to whoever reads
// the file, would take a third of it from the user's script, and the
// indentation a few hundred bytes more. The empty lines keep every command
// on its line of the file, so that the script can name the file and line
// a command failed at (see sourceLines); runs of newlines cost next to
// nothing compressed. The rendered script keeps every command and its log
// messages; comments at the end of a command line stay too.
//
// It works on the file's own text, never on the header's values, so a line
// of the user's script that starts with "#" or a blank (inside its quoted
// value) is kept as it is. The files hold no heredoc or quoted string whose
// lines start with a blank or "#": TestCompactKeepsWhatBashReads checks
// that bash reads each file the same compacted.
func compact(text string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(trimmed, "#!") && !strings.HasPrefix(trimmed, "# shellcheck ") {
			if strings.HasSuffix(line, "\n") {
				b.WriteString("\n") // the line stays, empty
			}
			continue
		}
		b.WriteString(trimmed)
	}
	return b.String()
}
