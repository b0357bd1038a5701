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

// TextOptions say how much WriteText prints.
type TextOptions struct {
	// Script prints the whole boot script; without it, only its size and
	// its generated header, where the stack's values are.
	Script bool
}

// documentKeys hold JSON documents worth printing indented.
var documentKeys = map[string]bool{"assumeRolePolicy": true, "policy": true}

// WriteText writes r for a reader: a summary (resources by type, the
// options that change what Pulumi does, the stack outputs), then the
// resource tree with each resource's options and inputs, the boot script
// decoded and IAM documents indented.
func WriteText(w io.Writer, r *Report, opts TextOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Offline synth of %s/%s: what `pulumi up` would create, as `pulumi preview` sees it.\n", r.Project, r.Stack)
	fmt.Fprintf(&b, "Lookups (VPC, subnets, images, hosted zones) were answered by a stand-in account %s in %s.\n",
		r.Account.AccountID, r.Account.Region)
	fmt.Fprintf(&b, "%s is a value only a deployment knows (an id, the Elastic IP's address, a generated name),\n", Unknown)
	fmt.Fprintf(&b, "inside the IAM policy and the boot script too; %s is a secret.\n\n", Secret)

	writeSummary(&b, r)

	children := map[string][]Resource{}
	known := map[string]bool{}
	for _, res := range r.Resources {
		known[res.URN] = true
	}
	const root = ""
	for _, res := range r.Resources {
		parent := res.ParentURN
		if !known[parent] {
			parent = root
		}
		children[parent] = append(children[parent], res)
	}
	fmt.Fprintf(&b, "pulumi:pulumi:Stack %s-%s\n", r.Project, r.Stack)
	t := tree{b: &b, children: children, opts: opts}
	t.write(root, "")

	_, err := io.WriteString(w, b.String())
	return err
}

// writeSummary writes how many resources of each type the tree holds, in
// the order they first appear, the resources with options, and the outputs.
func writeSummary(b *strings.Builder, r *Report) {
	var types []string
	count := map[string]int{}
	for _, res := range r.Resources {
		if count[res.Type] == 0 {
			types = append(types, res.Type)
		}
		count[res.Type]++
	}
	fmt.Fprintf(b, "Resources: %d\n", len(r.Resources))
	for _, typ := range types {
		fmt.Fprintf(b, "  %3d  %s\n", count[typ], typ)
	}

	var withOptions []string
	for _, res := range r.Resources {
		if names := res.Options.names(); len(names) > 0 {
			withOptions = append(withOptions, fmt.Sprintf("  %s %s: %s\n", res.Type, res.Name, strings.Join(names, ", ")))
		}
	}
	if len(withOptions) > 0 {
		b.WriteString("\nResource options (details in the tree):\n")
		b.WriteString(strings.Join(withOptions, ""))
	}

	b.WriteString("\nOutputs:\n")
	for _, name := range sortedKeys(r.Outputs) {
		fmt.Fprintf(b, "  %s: %s\n", name, scalar(r.Outputs[name]))
	}
	b.WriteString("\n")
}

// names lists the options that are on, in the order the tree prints them.
func (o Options) names() []string {
	var names []string
	for _, opt := range o.fields() {
		names = append(names, opt.name)
	}
	return names
}

type option struct {
	name  string
	value any
}

// fields are the options that are on.
func (o Options) fields() []option {
	var out []option
	add := func(name string, on bool, value any) {
		if on {
			out = append(out, option{name, value})
		}
	}
	add("protect", o.Protect, true)
	add("retainOnDelete", o.RetainOnDelete, true)
	add("deleteBeforeReplace", o.DeleteBeforeReplace, true)
	add("ignoreChanges", len(o.IgnoreChanges) > 0, o.IgnoreChanges)
	add("replaceOnChanges", len(o.ReplaceOnChanges) > 0, o.ReplaceOnChanges)
	add("dependsOn", len(o.DependsOn) > 0, o.DependsOn)
	add("aliases", len(o.Aliases) > 0, o.Aliases)
	return out
}

type tree struct {
	b        *strings.Builder
	children map[string][]Resource
	opts     TextOptions
}

func (t tree) write(parent, indent string) {
	kids := t.children[parent]
	for i, res := range kids {
		branch, more := "├─ ", "│  "
		if i == len(kids)-1 {
			branch, more = "└─ ", "   "
		}
		fmt.Fprintf(t.b, "%s%s%s %s\n", indent, branch, res.Type, res.Name)
		body := indent + more + "    "
		if opts := res.Options.fields(); len(opts) > 0 {
			fmt.Fprintf(t.b, "%soptions:\n", body)
			for _, opt := range opts {
				switch v := opt.value.(type) {
				case []string:
					fmt.Fprintf(t.b, "%s  %s:\n", body, opt.name)
					for _, s := range v {
						fmt.Fprintf(t.b, "%s    - %s\n", body, s)
					}
				default:
					fmt.Fprintf(t.b, "%s  %s: %v\n", body, opt.name, v)
				}
			}
		}
		if len(res.Inputs) > 0 {
			fmt.Fprintf(t.b, "%sinputs:\n", body)
			t.writeValue(res, res.Inputs, body+"  ")
		}
		if res.URN != "" {
			t.write(res.URN, indent+more)
		}
	}
}

// writeValue prints a map of inputs as indented YAML-like lines.
func (t tree) writeValue(res Resource, inputs map[string]any, indent string) {
	b := t.b
	for _, key := range sortedKeys(inputs) {
		value := inputs[key]
		if key == "__defaults" {
			continue
		}
		if key == "userData" && res.BootScript != nil {
			t.writeBootScript(res.BootScript, indent)
			continue
		}
		switch v := value.(type) {
		case string:
			switch {
			case key == "userData" && v != Secret && v != Unknown:
				fmt.Fprintf(b, "%s%s: %s (not user data this tool can decode)\n", indent, key, scalar(v))
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
			t.writeValue(res, v, indent+"  ")
		case []any:
			if len(v) == 0 {
				fmt.Fprintf(b, "%s%s: []\n", indent, key)
				continue
			}
			fmt.Fprintf(b, "%s%s:\n", indent, key)
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					fmt.Fprintf(b, "%s  -\n", indent)
					t.writeValue(res, m, indent+"    ")
				} else {
					fmt.Fprintf(b, "%s  - %s\n", indent, scalar(e))
				}
			}
		default:
			fmt.Fprintf(b, "%s%s: %s\n", indent, key, scalar(v))
		}
	}
}

// writeBootScript prints the user data's sizes and the script: whole with
// TextOptions.Script, else up to the end of its generated header.
func (t tree) writeBootScript(s *BootScript, indent string) {
	text, folded := s.Text, false
	if !t.opts.Script {
		if header, _, found := strings.Cut(s.Text, userdata.HeaderEnd); found {
			text, folded = header+userdata.HeaderEnd, true
		}
	}
	fmt.Fprintf(t.b, "%suserData: a %d-byte boot script, %d bytes gzip-compressed (EC2 takes at most %d)", indent, s.ScriptBytes, s.UserDataBytes, userdata.MaxBytes)
	if folded {
		t.b.WriteString("; its generated header, where the stack's values are (--script prints the whole script):\n")
	} else {
		t.b.WriteString(":\n")
	}
	writeBlock(t.b, text, indent+"  | ")
}

func writeBlock(b *strings.Builder, text, prefix string) {
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		b.WriteString(strings.TrimRight(prefix+line, " ") + "\n")
	}
}

// scalar prints a value as JSON, but Unknown and Secret as Pulumi prints
// them, unquoted.
func scalar(v any) string {
	switch v {
	case nil:
		return "null"
	case Unknown, Secret:
		return v.(string)
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
