package schemagen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Docs holds the doc comments of a Go package's struct types and their
// fields, as schema descriptions.
type Docs struct {
	// Types maps a type name to its doc comment.
	Types map[string]string
	// Fields maps "Type.Field" to the field's doc comment.
	Fields map[string]string
}

// Type is type name's description, or "".
func (d Docs) Type(name string) string { return d.Types[name] }

// Field is the description of field of type typeName, or "".
func (d Docs) Field(typeName, field string) string { return d.Fields[typeName+"."+field] }

// ReadDocs parses the non-test Go files of fsys's directory dir.
func ReadDocs(fsys fs.FS, dir string) (Docs, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return Docs{}, fmt.Errorf("reading Go sources: %w", err)
	}
	fset := token.NewFileSet()
	docs := Docs{Types: map[string]string{}, Fields: map[string]string{}}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := fs.ReadFile(fsys, filepath.ToSlash(filepath.Join(dir, name)))
		if err != nil {
			return Docs{}, fmt.Errorf("reading Go sources: %w", err)
		}
		file, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return Docs{}, fmt.Errorf("parsing %s: %w", name, err)
		}
		addDocs(docs, file)
	}
	return docs, nil
}

// ReadDocsDir is ReadDocs of a directory on disk.
func ReadDocsDir(dir string) (Docs, error) {
	return ReadDocs(os.DirFS(dir), ".")
}

func addDocs(docs Docs, file *ast.File) {
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.TYPE {
			continue
		}
		for _, s := range gen.Specs {
			ts := s.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(gen.Specs) == 1 {
				doc = gen.Doc
			}
			if text := Clean(doc.Text()); text != "" {
				docs.Types[ts.Name.Name] = text
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range st.Fields.List {
				group := f.Doc
				if group == nil {
					group = f.Comment
				}
				text := Clean(group.Text())
				for _, n := range f.Names {
					if text != "" {
						docs.Fields[ts.Name.Name+"."+n.Name] = text
					}
				}
			}
		}
	}
}

var blankLines = regexp.MustCompile(`\n\s*\n`)

// Clean joins a doc comment's lines into paragraphs separated by one blank
// line, as Markdown reads them.
func Clean(text string) string {
	paras := blankLines.Split(strings.TrimSpace(text), -1)
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n")
}
