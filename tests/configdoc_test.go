package tests

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/program"
)

// docs/configuration.md's table is the configuration reference: it lists
// exactly the keys the program reads (Pulumi.yaml declares those with a
// default), and where Pulumi.yaml declares a default the table's default
// column shows that value; the others say unset.
func TestTheConfigurationReferenceMatchesPulumiYaml(t *testing.T) {
	project := loadProject(t)
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := configTable(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	for key, def := range rows {
		if !slices.Contains(program.Keys(), key) {
			t.Errorf("docs/configuration.md lists `%s`, which the program does not read", key)
			continue
		}
		decl, ok := project.Config[key]
		if !ok || decl.Default == nil {
			if !strings.HasPrefix(def, "unset") {
				t.Errorf("docs/configuration.md: `%s` has the default %s, but Pulumi.yaml declares none; say unset", key, def)
			}
			continue
		}
		if want := "`" + defaultText(decl.Default) + "`"; def != want {
			t.Errorf("docs/configuration.md: `%s` has the default %s; Pulumi.yaml's is %s", key, def, want)
		}
	}
	var missing []string
	for _, key := range program.Keys() {
		if _, ok := rows[key]; !ok {
			missing = append(missing, key)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("docs/configuration.md's table lacks %v, which the program reads", missing)
	}
}

// The check reads the table it should: a key the project lacks, a missing
// key and a wrong default are each reported.
func TestConfigTableParses(t *testing.T) {
	doc := "# x\n\n| key | type | default | meaning |\n|---|---|---|---|\n" +
		"| `a` | string | `\"\"` | A. |\n| `b` | integer | unset (600) | B, with a \\| pipe. |\n\nafter\n\n| key | x |\n|---|---|\n| `c` | no |\n"
	rows, err := configTable(doc)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rows) != "map[a:`\"\"` b:unset (600)]" {
		t.Errorf("rows = %v", rows)
	}
	if _, err := configTable("# nothing\n"); err == nil {
		t.Error("a document without the table parsed")
	}
}

// configTable returns the key → default column of the first table whose
// header is | key | type | default | meaning |.
func configTable(doc string) (map[string]string, error) {
	const header = "| key | type | default | meaning |"
	_, rest, ok := strings.Cut(doc, "\n"+header+"\n")
	if !ok {
		return nil, fmt.Errorf("no table with the header %q", header)
	}
	rows := map[string]string{}
	for i, line := range strings.Split(rest, "\n") {
		if i == 0 {
			continue // |---|
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
		if len(cells) < 6 {
			return nil, fmt.Errorf("row %q has %d columns, want 4", line, len(cells)-2)
		}
		key := strings.TrimSpace(cells[1])
		if !strings.HasPrefix(key, "`") || !strings.HasSuffix(key, "`") {
			return nil, fmt.Errorf("row %q: the key is not `quoted`", line)
		}
		rows[strings.Trim(key, "`")] = strings.TrimSpace(cells[3])
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("the table has no rows")
	}
	return rows, nil
}

// defaultText is a Pulumi.yaml default as the table writes it.
func defaultText(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return `""`
		}
		return v
	case []any:
		if len(v) == 0 {
			return "[]"
		}
	case map[string]any:
		if len(v) == 0 {
			return "{}"
		}
	}
	return fmt.Sprint(v)
}
