// Package schemagen derives a Pulumi package schema from Go component types:
// the args struct's `pulumi:"name,optional"` tags give the input properties,
// their Go types the schema types, their doc comments the descriptions and
// an exported WithDefaults method the defaults; the component struct's
// tagged output fields give the output properties.
//
// Everything here is a pure function of the types and the Go source it is
// given; cmd/schemagen does the file I/O.
package schemagen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Package describes the package to generate a schema for.
type Package struct {
	// Name is the package name, such as "selfhealing"; the first part of
	// every token.
	Name string
	// DisplayName, Description, Version, Homepage, Repository and License
	// are copied into the schema as given; empty ones are left out.
	DisplayName, Description, Version, Homepage, Repository, License string
	// GoImportBasePath is the Go language section's importBasePath.
	GoImportBasePath string
	// NodejsPackageName is the npm package name; empty means
	// "@pulumi/<Name>".
	NodejsPackageName string
	// NodejsTypeScriptVersion and NodejsTypesNodeVersion are the typescript
	// and @types/node the Node.js SDK is built with, written into its
	// package.json's devDependencies; empty leaves the generator's ranges.
	NodejsTypeScriptVersion, NodejsTypesNodeVersion string
	// PythonPackageName is the PyPI package name; empty means
	// "pulumi_<Name>".
	PythonPackageName string
	// Components are the package's component resources.
	Components []Component
}

// Component is one component resource of a package.
type Component struct {
	// Token is the resource's type token, "<pkg>:index:<Name>".
	Token string
	// Args is the args struct type; nested struct types it uses become
	// object types named "<pkg>:index:<GoTypeName>".
	Args reflect.Type
	// Resource is the component struct type; its fields tagged `pulumi`
	// are the outputs. Untagged fields (pulumi.ResourceState) are ignored.
	Resource reflect.Type
	// Docs holds the doc comments of the Go types, from ReadDocs.
	Docs Docs
}

// Spec is the part of Pulumi's package schema this package writes. Field
// names follow pkg/codegen/schema.PackageSpec.
type Spec struct {
	Name        string                  `json:"name"`
	DisplayName string                  `json:"displayName,omitempty"`
	Description string                  `json:"description,omitempty"`
	Version     string                  `json:"version,omitempty"`
	Homepage    string                  `json:"homepage,omitempty"`
	Repository  string                  `json:"repository,omitempty"`
	License     string                  `json:"license,omitempty"`
	Language    map[string]any          `json:"language,omitempty"`
	Resources   map[string]ResourceSpec `json:"resources"`
	Types       map[string]ObjectSpec   `json:"types,omitempty"`
}

// ResourceSpec is a resource of the schema.
type ResourceSpec struct {
	ObjectSpec
	IsComponent     bool                    `json:"isComponent,omitempty"`
	InputProperties map[string]PropertySpec `json:"inputProperties,omitempty"`
	RequiredInputs  []string                `json:"requiredInputs"`
}

// ObjectSpec is an object type, or the output side of a resource.
type ObjectSpec struct {
	Description string                  `json:"description,omitempty"`
	Type        string                  `json:"type,omitempty"`
	Properties  map[string]PropertySpec `json:"properties,omitempty"`
	Required    []string                `json:"required,omitempty"`
}

// TypeSpec is a property's type.
type TypeSpec struct {
	Type                 string    `json:"type,omitempty"`
	Ref                  string    `json:"$ref,omitempty"`
	Items                *TypeSpec `json:"items,omitempty"`
	AdditionalProperties *TypeSpec `json:"additionalProperties,omitempty"`
	Plain                bool      `json:"plain,omitempty"`
}

// PropertySpec is a property of an object, or of a resource.
type PropertySpec struct {
	TypeSpec
	Description string `json:"description,omitempty"`
	Default     any    `json:"default,omitempty"`
}

// Generate returns the schema of p as indented JSON ending in a newline.
func Generate(p Package) ([]byte, error) {
	spec, err := Build(p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(spec); err != nil {
		return nil, fmt.Errorf("encoding the schema: %w", err)
	}
	return buf.Bytes(), nil
}

// Build returns the schema of p. Every problem found is reported, each
// naming the Go field at fault.
func Build(p Package) (*Spec, error) {
	if p.Name == "" {
		return nil, errors.New("schemagen: the package has no name")
	}
	nodeName := p.NodejsPackageName
	if nodeName == "" {
		nodeName = "@pulumi/" + p.Name
	}
	// Neither language names the Pulumi SDK it depends on: each generator
	// then requires the oldest one that has everything its code calls.
	nodejs := map[string]any{
		"packageName":          nodeName,
		"respectSchemaVersion": true,
	}
	if p.NodejsTypeScriptVersion != "" {
		nodejs["typescriptVersion"] = p.NodejsTypeScriptVersion
	}
	if p.NodejsTypesNodeVersion != "" {
		nodejs["devDependencies"] = map[string]any{"@types/node": p.NodejsTypesNodeVersion}
	}
	python := map[string]any{
		"pyproject":            map[string]any{"enabled": true},
		"respectSchemaVersion": true,
	}
	if p.PythonPackageName != "" {
		python["packageName"] = p.PythonPackageName
	}
	spec := &Spec{
		Name: p.Name, DisplayName: p.DisplayName, Description: p.Description, Version: p.Version,
		Homepage: p.Homepage, Repository: p.Repository, License: p.License,
		Language: map[string]any{
			"nodejs": nodejs,
			"python": python,
			"go": map[string]any{
				"importBasePath":                 p.GoImportBasePath,
				"generateResourceContainerTypes": true,
			},
		},
		Resources: map[string]ResourceSpec{},
		Types:     map[string]ObjectSpec{},
	}
	var errs []error
	for _, c := range p.Components {
		g := &generator{pkg: p.Name, docs: c.Docs, types: spec.Types, fields: map[string]string{}, bareValues: bareValuesPattern(c.Docs.Values)}
		fieldNames(c.Args, g.fields)
		fieldNames(c.Resource, g.fields)
		r, err := g.resource(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Token, err))
			continue
		}
		spec.Resources[c.Token] = r
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return spec, nil
}

type generator struct {
	pkg   string
	docs  Docs
	types map[string]ObjectSpec
	// fields maps "Type.Field" to property names, for doc links.
	fields map[string]string
	// bareValues matches the package's constants' names in a comment.
	bareValues *regexp.Regexp
	// visiting guards against recursive types.
	visiting map[reflect.Type]bool
}

func (g *generator) resource(c Component) (ResourceSpec, error) {
	if !strings.HasPrefix(c.Token, g.pkg+":") {
		return ResourceSpec{}, fmt.Errorf("token %q is not in package %q", c.Token, g.pkg)
	}
	args, resource := deref(c.Args), deref(c.Resource)
	if args == nil || args.Kind() != reflect.Struct {
		return ResourceSpec{}, fmt.Errorf("args type %v is not a struct", c.Args)
	}
	if resource == nil || resource.Kind() != reflect.Struct {
		return ResourceSpec{}, fmt.Errorf("resource type %v is not a struct", c.Resource)
	}
	inputs, required, errIn := g.properties(args)
	outputs, errOut := g.outputs(resource)
	description, errDoc := g.describeType(resource.Name(), resource.Name())
	if err := errors.Join(errIn, errOut, errDoc); err != nil {
		return ResourceSpec{}, err
	}
	outNames := make([]string, 0, len(outputs))
	for name := range outputs {
		outNames = append(outNames, name)
	}
	sort.Strings(outNames)
	return ResourceSpec{
		ObjectSpec: ObjectSpec{
			Description: description,
			Type:        "object",
			Properties:  outputs,
			Required:    outNames,
		},
		IsComponent:     true,
		InputProperties: inputs,
		RequiredInputs:  required,
	}, nil
}

// Tag is a parsed `pulumi:"name,optional"` struct tag.
type Tag struct {
	Name     string
	Optional bool
}

// ParseTag reads f's pulumi tag. ok is false when f has none, or "-".
func ParseTag(f reflect.StructField) (tag Tag, ok bool) {
	raw, has := f.Tag.Lookup("pulumi")
	if !has || raw == "-" || raw == "" {
		return Tag{}, false
	}
	name, rest, _ := strings.Cut(raw, ",")
	tag.Name = name
	for _, opt := range strings.Split(rest, ",") {
		if opt == "optional" {
			tag.Optional = true
		}
	}
	return tag, name != ""
}

// Untagged lists the exported fields of t, and of the struct types it
// nests, that have no pulumi tag, as "Type.Field". A field tagged
// `pulumi:"-"` is deliberately left out and is not listed.
func Untagged(t reflect.Type) []string {
	var out []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		t = elemStruct(t)
		if t == nil || seen[t] || isPulumiType(t) {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Tag.Get("pulumi") == "-" {
				continue
			}
			if _, ok := ParseTag(f); !ok {
				out = append(out, t.Name()+"."+f.Name)
				continue
			}
			walk(f.Type)
		}
	}
	walk(t)
	return out
}

// elemStruct is the struct type behind t's pointers and slices, or nil.
func elemStruct(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	return t
}

func isPulumiType(t reflect.Type) bool {
	return t.PkgPath() == reflect.TypeFor[pulumi.StringMap]().PkgPath()
}

func deref(t reflect.Type) reflect.Type {
	if t != nil && t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// properties returns the input properties of struct t and the names of the
// required ones.
func (g *generator) properties(t reflect.Type) (map[string]PropertySpec, []string, error) {
	props := map[string]PropertySpec{}
	required := []string{}
	defaults, err := defaultsOf(t)
	if err != nil {
		return nil, nil, err
	}
	var errs []error
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("pulumi") == "-" {
			continue
		}
		tag, ok := ParseTag(f)
		if !ok {
			errs = append(errs, fmt.Errorf("field %s.%s has no `pulumi:\"name,optional\"` tag", t.Name(), f.Name))
			continue
		}
		if _, dup := props[tag.Name]; dup {
			errs = append(errs, fmt.Errorf("field %s.%s: property %q is named twice", t.Name(), f.Name, tag.Name))
			continue
		}
		ts, err := g.inputType(f.Type)
		if err != nil {
			errs = append(errs, fmt.Errorf("field %s.%s: %w", t.Name(), f.Name, err))
			continue
		}
		description, err := g.describe(g.docs.Field(t.Name(), f.Name), f.Name, tag.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("field %s.%s: %w", t.Name(), f.Name, err))
			continue
		}
		prop := PropertySpec{TypeSpec: ts, Description: description}
		if d, ok := defaults[f.Name]; ok {
			prop.Default = d
		}
		props[tag.Name] = prop
		if !tag.Optional {
			required = append(required, tag.Name)
		}
	}
	sort.Strings(required)
	return props, required, errors.Join(errs...)
}

// Input types that are Pulumi inputs, by Go type.
var inputTypes = map[reflect.Type]TypeSpec{
	reflect.TypeFor[pulumi.StringInput]():      {Type: "string"},
	reflect.TypeFor[pulumi.IntInput]():         {Type: "integer"},
	reflect.TypeFor[pulumi.BoolInput]():        {Type: "boolean"},
	reflect.TypeFor[pulumi.StringArrayInput](): {Type: "array", Items: &TypeSpec{Type: "string"}},
	reflect.TypeFor[pulumi.StringMapInput]():   {Type: "object", AdditionalProperties: &TypeSpec{Type: "string"}},
	reflect.TypeFor[pulumi.StringMap]():        {Type: "object", AdditionalProperties: &TypeSpec{Type: "string"}},
}

// Output types of component fields, by Go type.
var outputTypes = map[reflect.Type]TypeSpec{
	reflect.TypeFor[pulumi.StringOutput]():      {Type: "string"},
	reflect.TypeFor[pulumi.IntOutput]():         {Type: "integer"},
	reflect.TypeFor[pulumi.BoolOutput]():        {Type: "boolean"},
	reflect.TypeFor[pulumi.StringArrayOutput](): {Type: "array", Items: &TypeSpec{Type: "string"}},
	reflect.TypeFor[pulumi.StringMapOutput]():   {Type: "object", AdditionalProperties: &TypeSpec{Type: "string"}},
}

func scalar(k reflect.Kind) (string, bool) {
	switch k {
	case reflect.String:
		return "string", true
	case reflect.Bool:
		return "boolean", true
	case reflect.Int:
		return "integer", true
	}
	return "", false
}

// inputType maps a field's Go type to its schema type.
func (g *generator) inputType(t reflect.Type) (TypeSpec, error) {
	if ts, ok := inputTypes[t]; ok {
		return ts, nil
	}
	plain := func(ts TypeSpec) TypeSpec { ts.Plain = true; return ts }
	if isPulumiType(t) {
		return TypeSpec{}, fmt.Errorf("unsupported Pulumi type %v", t)
	}
	if s, ok := scalar(t.Kind()); ok && t.PkgPath() == "" {
		return plain(TypeSpec{Type: s}), nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		e := t.Elem()
		if s, ok := scalar(e.Kind()); ok && e.PkgPath() == "" && e.Kind() != reflect.String {
			return plain(TypeSpec{Type: s}), nil
		}
		if e.Kind() == reflect.Struct {
			ref, err := g.object(e)
			return plain(TypeSpec{Ref: ref}), err
		}
	case reflect.Slice:
		e := t.Elem()
		if e.Kind() == reflect.String && e.PkgPath() == "" {
			return plain(TypeSpec{Type: "array", Items: &TypeSpec{Type: "string", Plain: true}}), nil
		}
		if e.Kind() == reflect.Struct && !isPulumiType(e) {
			ref, err := g.object(e)
			return plain(TypeSpec{Type: "array", Items: &TypeSpec{Ref: ref, Plain: true}}), err
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String && t.Elem().PkgPath() == "" {
			return plain(TypeSpec{Type: "object", AdditionalProperties: &TypeSpec{Type: "string", Plain: true}}), nil
		}
		// A Go map of inputs: its keys are plain (each may be a resource),
		// its values inputs.
		if t.Key().Kind() == reflect.String && t.Elem() == reflect.TypeFor[pulumi.StringInput]() {
			return plain(TypeSpec{Type: "object", AdditionalProperties: &TypeSpec{Type: "string"}}), nil
		}
	}
	return TypeSpec{}, fmt.Errorf("unsupported type %v: use string, bool, int, *int, *bool, []string, map[string]string, map[string]pulumi.StringInput, *Struct, []Struct or a pulumi String/Int/Bool/StringArray/StringMap input", t)
}

// object adds struct type t to the schema's types and returns its $ref.
func (g *generator) object(t reflect.Type) (string, error) {
	// The SDK generators append "Args" to input types' names, so a Go
	// DataVolumeArgs is the schema's DataVolume and TypeScript's
	// DataVolumeArgs, not DataVolumeArgsArgs.
	sdkName := strings.TrimSuffix(t.Name(), "Args")
	token := g.pkg + ":index:" + sdkName
	ref := "#/types/" + token
	if t.Name() == "" {
		return "", fmt.Errorf("anonymous struct types are not supported")
	}
	if _, done := g.types[token]; done {
		return ref, nil
	}
	if g.visiting == nil {
		g.visiting = map[reflect.Type]bool{}
	}
	if g.visiting[t] {
		return "", fmt.Errorf("type %s refers to itself", t.Name())
	}
	g.visiting[t] = true
	defer delete(g.visiting, t)
	props, required, err := g.properties(t)
	if err != nil {
		return "", err
	}
	description, err := g.describeType(t.Name(), sdkName+"Args")
	if err != nil {
		return "", fmt.Errorf("type %s: %w", t.Name(), err)
	}
	obj := ObjectSpec{Description: description, Type: "object", Properties: props}
	if len(required) > 0 {
		obj.Required = required
	}
	g.types[token] = obj
	return ref, nil
}

// outputs returns the output properties of component struct t.
func (g *generator) outputs(t reflect.Type) (map[string]PropertySpec, error) {
	props := map[string]PropertySpec{}
	var errs []error
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := ParseTag(f)
		if !ok || !f.IsExported() {
			continue
		}
		ts, known := outputTypes[f.Type]
		if !known {
			errs = append(errs, fmt.Errorf("output %s.%s: unsupported type %v", t.Name(), f.Name, f.Type))
			continue
		}
		description, err := g.describe(g.docs.Field(t.Name(), f.Name), f.Name, tag.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("output %s.%s: %w", t.Name(), f.Name, err))
			continue
		}
		props[tag.Name] = PropertySpec{TypeSpec: ts, Description: description}
	}
	return props, errors.Join(errs...)
}

// defaultsOf returns, by Go field name, the value each scalar plain field
// of struct t takes when left at zero: what t's exported value-receiver
// method WithDefaults() t makes of the zero value. Types without that
// method have no defaults.
func defaultsOf(t reflect.Type) (map[string]any, error) {
	m, ok := t.MethodByName("WithDefaults")
	if !ok {
		return nil, nil
	}
	if m.Type.NumIn() != 1 || m.Type.NumOut() != 1 || m.Type.Out(0) != t {
		return nil, fmt.Errorf("%s.WithDefaults must be func (%s) WithDefaults() %s", t.Name(), t.Name(), t.Name())
	}
	zero := reflect.New(t).Elem()
	filled := m.Func.Call([]reflect.Value{zero})[0]
	out := map[string]any{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		v := filled.Field(i)
		if f.Type.Kind() == reflect.Pointer {
			if v.IsNil() {
				continue
			}
			v = v.Elem()
		}
		if _, isScalar := scalar(v.Kind()); !isScalar || v.Type().PkgPath() != "" {
			continue
		}
		// A zero left by WithDefaults is no default: for a pointer it is
		// "unset", which the component may fill in depending on other
		// fields (an HTTP status only for a URL check), and an SDK that
		// sent the zero would override that.
		if v.IsZero() {
			continue
		}
		out[f.Name] = v.Interface()
	}
	return out, nil
}

// describe turns a Go doc comment into a property's description for every
// language: a comment that starts with the Go field's name starts with the
// property's instead ("EnableSessionManager lets ..." is "enableSessionManager lets
// ...", "DNS, if set, ..." is "dns, if set, ..."), "Nil means" reads
// "Unset means", and names resolve as resolveNames says.
func (g *generator) describe(doc, goName, propName string) (string, error) {
	for _, sep := range []string{" ", ","} {
		if rest, ok := strings.CutPrefix(doc, goName+sep); ok {
			doc = propName + sep + rest
			break
		}
	}
	return g.resolveNames(strings.ReplaceAll(doc, "Nil means", "Unset means"))
}

// describeType is describe for the doc comment of struct type goName, whose
// SDK class is sdkName: the comment starts with the class's name.
func (g *generator) describeType(goName, sdkName string) (string, error) {
	doc := g.docs.Type(goName)
	if rest, ok := strings.CutPrefix(doc, goName+" "); ok {
		doc = sdkName + " " + rest
	}
	return g.resolveNames(doc)
}

// docLink is a Go doc link: [Name], [Type.Field] or [pkg.Name].
var docLink = regexp.MustCompile(`\[([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\]`)

// resolveNames replaces what only Go has a name for: a doc link to a field
// ([SelfHealingInstanceArgs.InstanceType]) becomes the property's name
// (instanceType), and a constant or list, linked or bare
// (DefaultInstanceType), becomes its value ("t3.micro"). A doc link to
// anything else is an error, for it would reach the SDKs as Go.
func (g *generator) resolveNames(doc string) (string, error) {
	var errs []error
	doc = docLink.ReplaceAllStringFunc(doc, func(link string) string {
		name := link[1 : len(link)-1]
		if v, ok := g.docs.Values[name]; ok {
			return v
		}
		if prop, ok := g.fields[name]; ok {
			return prop
		}
		errs = append(errs, fmt.Errorf("doc link %s names neither a field of the component's types nor a constant", link))
		return link
	})
	if g.bareValues != nil {
		doc = g.bareValues.ReplaceAllStringFunc(doc, func(name string) string { return g.docs.Values[name] })
	}
	return doc, errors.Join(errs...)
}

// bareValuesPattern matches the unqualified names of values as whole words.
func bareValuesPattern(values map[string]string) *regexp.Regexp {
	var names []string
	for name := range values {
		if !strings.Contains(name, ".") {
			names = append(names, regexp.QuoteMeta(name))
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
}

// fieldNames maps "Type.Field" of struct t, and of the structs it nests,
// to each tagged field's property name.
func fieldNames(t reflect.Type, out map[string]string) {
	t = elemStruct(t)
	if t == nil || isPulumiType(t) {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := ParseTag(f)
		if !ok {
			continue
		}
		key := t.Name() + "." + f.Name
		if _, seen := out[key]; seen {
			continue
		}
		out[key] = tag.Name
		fieldNames(f.Type, out)
	}
}
