package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// documentKeys hold JSON documents worth printing indented.
var documentKeys = map[string]bool{"assumeRolePolicy": true, "policy": true}

// WriteText writes r as a resource tree with each resource's inputs, the
// user data decoded and IAM documents indented, then the stack outputs.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Offline synth of %s/%s: what `pulumi up` would create.\n", r.Project, r.Stack)
	fmt.Fprintf(&b, "Lookups were answered by a stand-in account %s in %s; unknown values show as null.\n\n",
		r.Account.AccountID, r.Account.Region)

	children := map[string][]Resource{}
	for _, res := range r.Resources {
		children[res.Parent] = append(children[res.Parent], res)
	}
	fmt.Fprintf(&b, "pulumi:pulumi:Stack %s-%s\n", r.Project, r.Stack)
	writeTree(&b, children, "pulumi:pulumi:Stack", "")

	b.WriteString("\nOutputs:\n")
	for _, name := range sortedKeys(r.Outputs) {
		fmt.Fprintf(&b, "  %s: %s\n", name, scalar(r.Outputs[name]))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTree(b *strings.Builder, children map[string][]Resource, parent, indent string) {
	kids := children[parent]
	for i, res := range kids {
		branch, more := "├─ ", "│  "
		if i == len(kids)-1 {
			branch, more = "└─ ", "   "
		}
		fmt.Fprintf(b, "%s%s%s %s\n", indent, branch, res.Type, res.Name)
		writeValue(b, res.Inputs, indent+more+"    ")
		if res.Type != parent {
			writeTree(b, children, res.Type, indent+more)
		}
	}
}

// writeValue prints a map of inputs as indented YAML-like lines.
func writeValue(b *strings.Builder, inputs map[string]any, indent string) {
	for _, key := range sortedKeys(inputs) {
		value := inputs[key]
		if key == "__defaults" {
			continue
		}
		switch v := value.(type) {
		case string:
			switch {
			case key == "userData":
				decoded, err := userdata.Decode(v)
				if err != nil {
					fmt.Fprintf(b, "%s%s: %s (%v)\n", indent, key, scalar(v), err)
					continue
				}
				fmt.Fprintf(b, "%s%s: (%d bytes of base64, a %d-byte script, decoded below)\n", indent, key, len(v), len(decoded))
				writeBlock(b, decoded, indent+"  | ")
			case documentKeys[key]:
				var doc bytes.Buffer
				if json.Indent(&doc, []byte(v), "", "  ") != nil {
					fmt.Fprintf(b, "%s%s: %s\n", indent, key, scalar(v))
					continue
				}
				fmt.Fprintf(b, "%s%s:\n", indent, key)
				writeBlock(b, doc.String(), indent+"  ")
			case strings.Contains(v, "\n"):
				fmt.Fprintf(b, "%s%s: |\n", indent, key)
				writeBlock(b, v, indent+"  ")
			default:
				fmt.Fprintf(b, "%s%s: %s\n", indent, key, scalar(v))
			}
		case map[string]any:
			if len(v) == 0 {
				fmt.Fprintf(b, "%s%s: {}\n", indent, key)
				continue
			}
			fmt.Fprintf(b, "%s%s:\n", indent, key)
			writeValue(b, v, indent+"  ")
		case []any:
			if len(v) == 0 {
				fmt.Fprintf(b, "%s%s: []\n", indent, key)
				continue
			}
			fmt.Fprintf(b, "%s%s:\n", indent, key)
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					fmt.Fprintf(b, "%s  -\n", indent)
					writeValue(b, m, indent+"    ")
				} else {
					fmt.Fprintf(b, "%s  - %s\n", indent, scalar(e))
				}
			}
		default:
			fmt.Fprintf(b, "%s%s: %s\n", indent, key, scalar(v))
		}
	}
}

func writeBlock(b *strings.Builder, text, prefix string) {
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		b.WriteString(strings.TrimRight(prefix+line, " ") + "\n")
	}
}

func scalar(v any) string {
	if v == nil {
		return "null"
	}
	out, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
