package program

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

// The stack's configuration decodes straight into the component's args:
// each key in the project's namespace is the `pulumi` tag of one field of
// components.SelfHealingInstanceArgs, and each field of an object is the tag
// of a field of the nested args type. So a key means in a stack file what
// the field means in Go, TypeScript or Python, and the component checks
// every value once. This file only converts YAML's types to Go's.

// Keys returns the configuration keys the program reads: the tags of the
// args' fields, in order.
func Keys() []string {
	var keys []string
	t := reflect.TypeFor[components.SelfHealingInstanceArgs]()
	for i := range t.NumField() {
		if name, _ := fieldTag(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

// Decode converts configuration values, keyed by name within the project's
// namespace as Pulumi hands them to a program (a string's text, JSON for
// every other type), into component arguments. A value of the wrong type,
// an unknown field in an object, or a missing required one is an error
// naming the key; so is a key the program does not read, with the
// nearest one it does ("did you mean ...?"). The component checks the
// values themselves. A secret key's strings stay Pulumi secrets, and are
// never quoted.
func Decode(project string, values map[string]string, isSecret func(key string) bool) (components.SelfHealingInstanceArgs, error) {
	var args components.SelfHealingInstanceArgs
	v := reflect.ValueOf(&args).Elem()
	var errs []error
	for i := range v.NumField() {
		key, _ := fieldTag(v.Type().Field(i))
		raw, ok := values[key]
		if key == "" || !ok {
			continue
		}
		d := decoder{secret: isSecret(key)}
		err := d.topLevel(raw, v.Field(i))
		if def, ok := defaultOfEmpty(v.Type(), i); ok && raw == "" {
			err = fmt.Errorf(": empty; remove the key for the default %s", def)
		}
		if err != nil {
			errs = append(errs, under("config "+project+":"+key, err))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		if !slices.Contains(Keys(), key) {
			errs = append(errs, fmt.Errorf("config %s:%s: unknown key; %s", project, key, unknownName(key, Keys(), project+":")))
		}
	}
	if len(args.SecretParameters) > 0 && !isSecret("secretParameters") {
		errs = append(errs, fmt.Errorf("config %s:secretParameters: is not a secret, so its values would sit in plain text in the stack file and the state; "+
			"set each with `pulumi config set --secret --path 'secretParameters.KEY' VALUE`, or move plain values to parameters", project))
	}
	return args, errors.Join(errs...)
}

// fieldTag returns a field's name in configuration and whether it may be
// left out.
func fieldTag(f reflect.StructField) (name string, optional bool) {
	tag, ok := f.Tag.Lookup("pulumi")
	if !ok {
		return "", false
	}
	name, flags, _ := strings.Cut(tag, ",")
	return name, strings.Contains(flags, "optional")
}

// decoder converts configuration values to args fields.
type decoder struct {
	// secret marks the key as a secret: its values are never quoted, and
	// its strings become secret outputs.
	secret bool
}

var (
	stringInputType      = reflect.TypeFor[pulumi.StringInput]()
	stringArrayInputType = reflect.TypeFor[pulumi.StringArrayInput]()
	stringMapInputType   = reflect.TypeFor[pulumi.StringMapInput]()
	stringMapType        = reflect.TypeFor[map[string]pulumi.StringInput]()
)

// topLevel decodes a key's raw value: the text itself for a string field,
// JSON for every other (a stack file's numbers, booleans, lists and
// objects reach the program as JSON text).
func (d decoder) topLevel(raw string, dst reflect.Value) error {
	switch scalar := dst.Type(); {
	case scalar == stringInputType || scalar.Kind() == reflect.String:
		return d.value(raw, dst)
	case scalar.Kind() == reflect.Pointer && scalar.Elem().Kind() != reflect.Struct, scalar.Kind() == reflect.Bool, scalar.Kind() == reflect.Int:
		// A number or boolean: read the text as is, so that an error can
		// quote it ("two"), not JSON's complaint about it.
		if err := d.value(raw, dst); err == nil || d.secret {
			return err
		} else if _, jsonErr := strconv.ParseFloat(raw, 64); jsonErr != nil {
			return fmt.Errorf("%w, got %q", err, raw)
		}
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		if d.secret {
			return errors.New(": cannot read it (the value is not shown: it is secret)")
		}
		return fmt.Errorf(": cannot read %q: %w", raw, err)
	}
	return d.value(value, dst)
}

// value decodes one JSON value into dst; errors start with the path below
// the key, such as ".ingress[0].fromPort" or ": want ...".
func (d decoder) value(value any, dst reflect.Value) error {
	t := dst.Type()
	switch {
	case t == stringInputType:
		s, err := d.text(value)
		if err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(d.input(s)))
		return nil
	case t == stringArrayInputType:
		var out []string
		if err := d.value(value, reflect.ValueOf(&out).Elem()); err != nil {
			return err
		}
		array := make(pulumi.StringArray, len(out))
		for i, s := range out {
			array[i] = d.input(s)
		}
		dst.Set(reflect.ValueOf(array))
		return nil
	case t == stringMapInputType || t == stringMapType:
		m, ok := value.(map[string]any)
		if !ok {
			return d.want("an object of strings")
		}
		out := pulumi.StringMap{}
		for _, key := range slices.Sorted(maps.Keys(m)) {
			s, err := d.text(m[key])
			if err != nil {
				return under(fmt.Sprintf("[%q]", key), err)
			}
			out[key] = d.input(s)
		}
		dst.Set(reflect.ValueOf(out))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		if err := d.value(value, elem.Elem()); err != nil {
			return err
		}
		dst.Set(elem)
	case reflect.String:
		s, ok := value.(string)
		if !ok {
			return d.want("a string")
		}
		dst.SetString(s)
	case reflect.Bool:
		switch value {
		case true, "true":
			dst.SetBool(true)
		case false, "false":
			dst.SetBool(false)
		default:
			return d.want("true or false")
		}
	case reflect.Int:
		n, err := wholeNumber(value)
		if err != nil {
			return d.want("a whole number")
		}
		dst.SetInt(int64(n))
	case reflect.Slice:
		list, ok := value.([]any)
		if !ok {
			return d.want("a list")
		}
		out := reflect.MakeSlice(t, len(list), len(list))
		for i, element := range list {
			if err := d.value(element, out.Index(i)); err != nil {
				return under(fmt.Sprintf("[%d]", i), err)
			}
		}
		dst.Set(out)
	case reflect.Map:
		m, ok := value.(map[string]any)
		if !ok {
			return d.want("an object")
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for _, key := range slices.Sorted(maps.Keys(m)) {
			element := reflect.New(t.Elem()).Elem()
			if err := d.value(m[key], element); err != nil {
				return under(fmt.Sprintf("[%q]", key), err)
			}
			out.SetMapIndex(reflect.ValueOf(key), element)
		}
		dst.Set(out)
	case reflect.Struct:
		return d.object(value, dst)
	default:
		return fmt.Errorf(": the program cannot read a %s from configuration", t)
	}
	return nil
}

// object decodes a JSON object into the struct dst, refusing unknown fields
// and missing required ones.
func (d decoder) object(value any, dst reflect.Value) error {
	m, ok := value.(map[string]any)
	if !ok {
		return d.want("an object")
	}
	t := dst.Type()
	known := map[string]bool{}
	var errs []error
	for i := range t.NumField() {
		name, optional := fieldTag(t.Field(i))
		if name == "" {
			continue
		}
		known[name] = true
		v, present := m[name]
		switch {
		case !present && !optional:
			errs = append(errs, fmt.Errorf(".%s: required", name))
		case present:
			if err := d.value(v, dst.Field(i)); err != nil {
				errs = append(errs, under("."+name, err))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if !known[name] {
			errs = append(errs, fmt.Errorf(": unknown field %q; %s", name, unknownName(name, slices.Sorted(maps.Keys(known)), "")))
		}
	}
	for i := range t.NumField() {
		name, _ := fieldTag(t.Field(i))
		if value, set := m[name]; set && value == "" {
			if def, ok := defaultOfEmpty(t, i); ok {
				errs = append(errs, fmt.Errorf(".%s: empty; remove the key for the default %s", name, def))
			}
		}
	}
	return errors.Join(errs...)
}

// text reads a string, or a number or boolean kept as its text ("8080",
// "true"), as `pulumi config set --path` may store one.
func (d decoder) text(value any) (string, error) {
	switch v := value.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", d.want("a string (or a number or boolean, kept as text)")
}

// input is a string as a Pulumi input: a secret output for a secret key.
func (d decoder) input(s string) pulumi.StringInput {
	if d.secret {
		return pulumi.ToSecret(pulumi.String(s)).(pulumi.StringOutput)
	}
	return pulumi.String(s)
}

// want says what a value should have been, without quoting a secret.
func (d decoder) want(what string) error {
	return fmt.Errorf(": want %s", what)
}

// wholeNumber reads 443 or "443".
func wholeNumber(value any) (int, error) {
	switch v := value.(type) {
	case json.Number:
		n, err := strconv.Atoi(v.String())
		return n, err
	case string:
		return strconv.Atoi(v)
	}
	return 0, errors.New("not a whole number")
}

// under puts path in front of each line of err, one problem per line, so
// that every problem names its whole key.
func under(path string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, line := range lines {
		lines[i] = path + line
	}
	return errors.New(strings.Join(lines, "\n"))
}

// defaultOfEmpty returns the default the component fills field i of
// struct type t with when it is "", if any: configuration that sets such a
// field to "" is refused, as "" would silently mean a default the user did
// not write.
func defaultOfEmpty(t reflect.Type, i int) (string, bool) {
	withDefaults := reflect.New(t).Elem().MethodByName("WithDefaults")
	if t.Field(i).Type.Kind() != reflect.String || !withDefaults.IsValid() {
		return "", false
	}
	filled := withDefaults.Call(nil)[0].Field(i).String()
	return filled, filled != ""
}
