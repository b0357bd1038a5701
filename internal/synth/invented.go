package synth

import (
	"cmp"
	"slices"
	"strings"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/record"
)

// minInventedLength keeps short strings (a version "1", a zone letter) from
// ever being taken for an invention: every id, address, ARN and generated
// name the fake account makes up is longer.
const minInventedLength = 8

// inventions are the values the fake account made up where a deployment
// would decide: each resource's physical id, and every attribute it
// computed beside the inputs (an address, an ARN, a generated name). The
// program runs on them, so they reach other resources' inputs, inside
// documents too; mark replaces each with Unknown wherever it appears.
type inventions struct {
	replacer *strings.Replacer
}

func newInventions(records []record.Resource) *inventions {
	found := map[string]bool{}
	for _, r := range records {
		if !r.Custom {
			continue
		}
		given := map[string]bool{}
		for _, v := range r.Inputs {
			if v.IsString() {
				given[v.StringValue()] = true
			}
		}
		// An id or attribute that repeats an input, as a group's id is
		// its name, is the program's, not an invention.
		add := func(v string) {
			if len(v) >= minInventedLength && !given[v] {
				found[v] = true
			}
		}
		add(r.ID)
		for key, v := range r.Outputs {
			if in, ok := r.Inputs[key]; ok && in.DeepEquals(v) {
				continue
			}
			if v.IsString() {
				add(v.StringValue())
			}
		}
	}
	// A value made of an invention and known parts, such as a volume's
	// ARN, keeps the known parts: only the invention inside is unknown.
	values := make([]string, 0, len(found))
	for v := range found {
		if !containsAnother(v, found) {
			values = append(values, v)
		}
	}
	// Longest first: strings.Replacer tries its pairs in order at each
	// position.
	slices.SortFunc(values, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, Unknown)
	}
	return &inventions{replacer: strings.NewReplacer(pairs...)}
}

// containsAnother reports whether v holds a value of found other than itself.
func containsAnother(v string, found map[string]bool) bool {
	for other := range found {
		if other != v && strings.Contains(v, other) {
			return true
		}
	}
	return false
}

// markString replaces every invention in s with Unknown.
func (inv *inventions) markString(s string) string {
	return inv.replacer.Replace(s)
}

// mark replaces every invention in a plain value's strings with Unknown.
func (inv *inventions) mark(v any) any {
	switch v := v.(type) {
	case string:
		return inv.markString(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = inv.mark(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = inv.mark(e)
		}
		return out
	}
	return v
}
