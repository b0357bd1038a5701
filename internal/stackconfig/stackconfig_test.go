package stackconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const project = `name: proj
runtime: go
config:
  size:
    type: integer
    default: 1
  names:
    type: array
    items:
      type: string
    default: []
  label:
    type: string
    default: plain
`

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStackValuesOverProjectDefaults(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Pulumi.yaml", project)
	write(t, dir, "Pulumi.s.yaml", "config:\n  aws:region: eu-west-1\n  proj:size: 3\n  proj:names: [a, b]\n  proj:token:\n    secure: AAABAKx3\n")
	s, err := Load(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"aws:region": "eu-west-1",
		"proj:size":  "3",
		"proj:names": `["a","b"]`,
		"proj:label": "plain",
		"proj:token": SecretPlaceholder,
	}
	for key, value := range want {
		if got := s.Config[key]; got != value {
			t.Errorf("%s = %q, want %q", key, got, value)
		}
	}
	if len(s.Config) != len(want) {
		t.Errorf("config = %v, want exactly %v", s.Config, want)
	}
	if !slices.Equal(s.SecretKeys, []string{"proj:token"}) {
		t.Errorf("secret keys = %v", s.SecretKeys)
	}
	if s.Project != "proj" || s.Name != "s" {
		t.Errorf("project %q, stack %q", s.Project, s.Name)
	}
}

func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct{ name, stack, want string }{
		{"a value of the wrong type", "config:\n  proj:size: [1]\n", "declares it integer"},
		{"a string for an integer", "config:\n  proj:size: big\n", "declares it integer"},
		{"no stack file", "", "pulumi stack init s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "Pulumi.yaml", project)
			if tc.stack != "" {
				write(t, dir, "Pulumi.s.yaml", tc.stack)
			}
			if _, err := Load(dir, "s"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
