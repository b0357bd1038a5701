package shellquote_test

import (
	"os/exec"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/shellquote"
)

// TestQuoteIsOneInertBashWord has bash expand each quoted string and checks
// it comes back byte for byte, as one argument, with nothing run.
func TestQuoteIsOneInertBashWord(t *testing.T) {
	for _, s := range []string{
		"", "plain", "two words", "it's", "''", `a\'b`, "$(touch /tmp/x)", "`id`", "${HOME}", "*", "a\nb", "\t", "!x", `"q"`, "--opt=v;rm -rf /",
	} {
		out, err := exec.Command("bash", "-c", `printf '%s|' "$#"; printf '%s' "$1"`, "bash", "placeholder").Output()
		if err != nil || string(out) != "1|placeholder" {
			t.Fatalf("bash is not usable here: %q %v", out, err)
		}
		out, err = exec.Command("bash", "-c", "set -- "+shellquote.Quote(s)+`; printf '%s|' "$#"; printf '%s' "$1"`).Output()
		if err != nil {
			t.Fatalf("bash on %q: %v", shellquote.Quote(s), err)
		}
		if want := "1|" + s; string(out) != want {
			t.Errorf("Quote(%q) = %s; bash expands it to %q, want %q", s, shellquote.Quote(s), out, want)
		}
	}
}
