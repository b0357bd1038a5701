package components

import (
	"errors"
	"testing"
)

func TestRedactHidesASecretHoweverTheErrorWritesIt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     string
		secrets []string
		want    string
	}{
		{"quoted with escapes", `url "a \"b\"\n": bad`, []string{"a \"b\"\n"}, `url [secret]: bad`},
		{"a quoted piece", `url "http://db.internal/": host "db.internal": want localhost`, []string{"http://db.internal/"}, `url [secret]: host [secret]: want localhost`},
		{"as is", `no subnet found (subnet-0123)`, []string{"subnet-0123"}, `no subnet found ([secret])`},
		{"a field name stays", `parameters["app-key"]: empty`, []string{"hunter2"}, `parameters["app-key"]: empty`},
		{"a short secret quoted", `key "ab": bad`, []string{"ab"}, `key [secret]: bad`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redact(errors.New(tc.err), tc.secrets).Error(); got != tc.want {
				t.Errorf("redact(%q) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}
