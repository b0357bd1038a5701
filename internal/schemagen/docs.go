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
	"strconv"
	"strings"
)

// Docs holds the doc comments of a Go package's struct types and their
// fields, as schema descriptions, and the values of its constants.
type Docs struct {
	// Types maps a type name to its doc comment.
	Types map[string]string
	// Fields maps "Type.Field" to the field's doc comment.
	Fields map[string]string
	// Values maps the name of a constant, or of a variable holding a list
	// of literals, to its value as a description states it: a string
	// quoted, a number as written, a list as its items joined by ", ". A
	// comment that names one, bare or as a doc link ([Name]), reads its
	// value in every language instead. Names read from another package
	// with Import are qualified ("userdata.FormattedTagKey") and are
	// resolved only as doc links.
	Values map[string]string
}

// Import adds the values of another package's docs, qualified by pkg, so
// that a doc link such as [pkg.Name] resolves to its value.
func (d Docs) Import(pkg string, other Docs) {
	for name, v := range other.Values {
		if !strings.Contains(name, ".") {
			d.Values[pkg+"."+name] = v
		}
	}
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
	docs := Docs{Types: map[string]string{}, Fields: map[string]string{}, Values: map[string]string{}}
	aliases := map[string]string{}
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
		addValues(docs, aliases, file)
	}
	// A constant defined as another (DefaultX = DeletionPolicyProtect)
	// takes that one's value, once all files are read.
	for len(aliases) > 0 {
		resolved := false
		for name, target := range aliases {
			if v, ok := docs.Values[target]; ok {
				docs.Values[name] = v
				delete(aliases, name)
				resolved = true
			}
		}
		if !resolved {
			break
		}
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

// addValues records the exported constants and literal lists of file.
// aliases collects constants defined as another constant's name.
func addValues(docs Docs, aliases map[string]string, file *ast.File) {
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || (gen.Tok != token.CONST && gen.Tok != token.VAR) {
			continue
		}
		for _, s := range gen.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !n.IsExported() || i >= len(vs.Values) {
					continue
				}
				switch v := vs.Values[i].(type) {
				case *ast.BasicLit:
					if text, ok := literal(v); ok && gen.Tok == token.CONST {
						docs.Values[n.Name] = text
					}
				case *ast.Ident:
					if gen.Tok == token.CONST {
						aliases[n.Name] = v.Name
					}
				case *ast.CompositeLit:
					if text, ok := literalList(v); ok && gen.Tok == token.VAR {
						docs.Values[n.Name] = text
					}
				}
			}
		}
	}
}

// literal is a string or number literal as a description states it.
func literal(lit *ast.BasicLit) (string, bool) {
	switch lit.Kind {
	case token.INT, token.FLOAT:
		return lit.Value, true
	case token.STRING:
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return "", false
		}
		return strconv.Quote(s), true
	}
	return "", false
}

// literalList is a slice literal of literals as its items joined by ", ".
func literalList(c *ast.CompositeLit) (string, bool) {
	if len(c.Elts) == 0 {
		return "", false
	}
	items := make([]string, len(c.Elts))
	for i, e := range c.Elts {
		lit, ok := e.(*ast.BasicLit)
		if !ok {
			return "", false
		}
		if items[i], ok = literal(lit); !ok {
			return "", false
		}
	}
	return strings.Join(items, ", "), true
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
