package tests

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// Every relative link in the committed Markdown resolves: the file exists,
// and an anchor names a heading of the target, by GitHub's slug rule.

// The README fits on a screen; the rest is in docs/.
func TestTheREADMEIsShort(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n >= 200 {
		t.Errorf("README.md has %d lines; keep it under 200 and move the detail to docs/", n)
	}
}

func TestEveryRelativeLinkResolves(t *testing.T) {
	files := markdownFiles(t)
	if len(files) < 10 {
		t.Fatalf("found only %d Markdown files: %v", len(files), files)
	}
	docs := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = string(b)
	}
	exists := func(p string) bool {
		if _, ok := docs[p]; ok {
			return true
		}
		_, err := os.Stat(filepath.Join("..", filepath.FromSlash(p)))
		return err == nil
	}
	for _, broken := range brokenLinks(docs, exists) {
		t.Error(broken)
	}
}

// The checker itself finds what is broken: a missing file, a missing
// anchor in another file and in the same file, and a duplicate heading's
// second anchor only with its -1.
func TestTheLinkCheckerFindsBrokenLinks(t *testing.T) {
	docs := map[string]string{
		"README.md": "# Title\n\n## Setup: step one\n\n## Setup: step one\n\n" +
			"[ok](#setup-step-one) [ok dup](#setup-step-one-1) [bad dup](#setup-step-one-2)\n" +
			"[ok](docs/a.md) [ok](docs/a.md#whats-new) [no file](docs/missing.md)\n" +
			"[no anchor](docs/a.md#nowhere) [here missing](#nothing)\n" +
			"[web](https://example.com/x.md#y) [mail](mailto:a@b.c)\n" +
			"```sh\n# Not a heading\n[in code](nope.md)\n```\n" +
			"[code heading](#not-a-heading)\n",
		"docs/a.md": "# What's new?\n\n[up](../README.md#title) [up bad](../README.md#titl)\n",
	}
	exists := func(p string) bool { _, ok := docs[p]; return ok }
	got := brokenLinks(docs, exists)
	want := []string{
		"README.md:7: (#setup-step-one-2): no heading",
		"README.md:8: (docs/missing.md): no such file",
		"README.md:9: (docs/a.md#nowhere): no heading",
		"README.md:9: (#nothing): no heading",
		"README.md:15: (#not-a-heading): no heading",
		"docs/a.md:3: (../README.md#titl): no heading",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("broken links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSlugsFollowGitHub(t *testing.T) {
	for heading, want := range map[string]string{
		"IAM: what the instance may do, and why":                   "iam-what-the-instance-may-do-and-why",
		"Limits, and what it does not do":                          "limits-and-what-it-does-not-do",
		"Launch gate (on by default)":                              "launch-gate-on-by-default",
		"See exactly what `pulumi up` would create":                "see-exactly-what-pulumi-up-would-create",
		"Our boot script against the seed article's, from one run": "our-boot-script-against-the-seed-articles-from-one-run",
		"Finding a dead instance's logs":                           "finding-a-dead-instances-logs",
		"How long a heal takes: a model":                           "how-long-a-heal-takes-a-model",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

// markdownFiles lists the committed .md files, relative to the repository.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", "..", "ls-files", "--cached", "--others", "--exclude-standard", "*.md").Output()
	if err != nil {
		// No git (a source tarball): every .md outside dependencies.
		t.Logf("git ls-files: %v; walking the tree instead", err)
		var files []string
		err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != ".." || d.Name() == "node_modules" || d.Name() == "venv") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, ".md") {
				rel, _ := filepath.Rel("..", p)
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	var files []string
	for _, f := range strings.Fields(string(out)) {
		if _, err := os.Stat(filepath.Join("..", f)); err == nil {
			files = append(files, f)
		}
	}
	return files
}

var (
	linkRE  = regexp.MustCompile(`\]\(([^()\s]+)\)`)
	fenceRE = regexp.MustCompile("^\\s*(```|~~~)")
	codeRE  = regexp.MustCompile("`[^`]*`")
)

// brokenLinks returns one line per broken relative link in docs, in file
// and line order: "file:line: (target): why".
func brokenLinks(docs map[string]string, exists func(string) bool) []string {
	anchors := map[string]map[string]bool{}
	anchorsOf := func(file string) map[string]bool {
		if a, ok := anchors[file]; ok {
			return a
		}
		a := headingAnchors(docs[file])
		anchors[file] = a
		return a
	}
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	slices.Sort(names)
	var broken []string
	for _, name := range names {
		inFence := false
		for i, line := range strings.Split(docs[name], "\n") {
			if fenceRE.MatchString(line) {
				inFence = !inFence
				continue
			}
			if inFence {
				continue
			}
			for _, m := range linkRE.FindAllStringSubmatch(codeRE.ReplaceAllString(line, ""), -1) {
				target := m[1]
				if strings.Contains(target, ":") { // https:, mailto:
					continue
				}
				file, anchor, _ := strings.Cut(target, "#")
				resolved := name
				if file != "" {
					resolved = path.Clean(path.Join(path.Dir(name), file))
					if !exists(resolved) {
						broken = append(broken, fmt.Sprintf("%s:%d: (%s): no such file", name, i+1, target))
						continue
					}
				}
				if anchor == "" {
					continue
				}
				if _, ok := docs[resolved]; !ok || !anchorsOf(resolved)[anchor] {
					broken = append(broken, fmt.Sprintf("%s:%d: (%s): no heading", name, i+1, target))
				}
			}
		}
	}
	return broken
}

// headingAnchors returns the anchors GitHub gives a document's ATX
// headings, outside fenced code, duplicates suffixed -1, -2, ….
func headingAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(doc, "\n") {
		if fenceRE.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		trimmed := strings.TrimLeft(line, "#")
		level := len(line) - len(trimmed)
		if level == 0 || level > 6 || !strings.HasPrefix(trimmed, " ") {
			continue
		}
		s := slug(strings.TrimSpace(trimmed))
		if n, ok := seen[s]; ok {
			seen[s] = n + 1
			anchors[fmt.Sprintf("%s-%d", s, n+1)] = true
			continue
		}
		seen[s] = 0
		anchors[s] = true
	}
	return anchors
}

// slug is GitHub's anchor for a heading: lower case, punctuation other than
// - and space dropped, spaces to -.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
