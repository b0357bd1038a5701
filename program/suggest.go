package program

import (
	"strings"
)

// unknownName says what to write instead of a name the program does not
// know: the nearest of valid, or, if none is near, all of them. prefix is
// put before the suggestion, as the user would write it ("selfhealing:").
func unknownName(name string, valid []string, prefix string) string {
	if near, ok := nearest(name, valid); ok {
		return "did you mean " + prefix + near + "?"
	}
	return "want one of " + strings.Join(valid, ", ")
}

// nearest returns the valid name a misspelled name most likely meant: one
// that differs only in case; else the one within a few edits (a third of
// the name's length), the fewest winning and the earlier on a tie; else
// the shortest that begins with name, which catches a unit left off
// (launchGateTimeout for launchGateTimeoutSeconds).
func nearest(name string, valid []string) (string, bool) {
	for _, v := range valid {
		if strings.EqualFold(v, name) {
			return v, true
		}
	}
	best, bestDistance := "", max(1, len(name)/3)+1
	for _, v := range valid {
		if d := editDistance(strings.ToLower(name), strings.ToLower(v)); d < bestDistance {
			best, bestDistance = v, d
		}
	}
	if best != "" {
		return best, true
	}
	for _, v := range valid {
		if strings.HasPrefix(strings.ToLower(v), strings.ToLower(name)) && (best == "" || len(v) < len(best)) {
			best = v
		}
	}
	return best, best != ""
}

// editDistance is the Levenshtein distance between a and b, in bytes:
// configuration keys are ASCII.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			substitution := previous[j-1]
			if a[i-1] != b[j-1] {
				substitution++
			}
			current[j] = min(previous[j]+1, current[j-1]+1, substitution)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}
