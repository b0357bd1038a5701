package moto

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// inputs reads a resource's registered inputs, or an invoke's arguments, as
// plain values. It remembers every key it was asked about, so that done can
// refuse keys the monitor does not translate into an AWS request: an input
// the monitor silently dropped would make moto hold something other than
// what the program asked for.
//
// Secrets are unwrapped (moto needs the value). An unknown value is an
// error: a real deployment only creates a resource once its inputs are
// known. Null counts as absent.
type inputs struct {
	path     string
	m        resource.PropertyMap
	seen     map[string]bool
	children []*inputs
	errs     []error
}

func newInputs(path string, m resource.PropertyMap) *inputs {
	return &inputs{path: path, m: m, seen: map[string]bool{}}
}

func (in *inputs) where(key string) string {
	if in.path == "" {
		return key
	}
	return in.path + "." + key
}

func (in *inputs) fail(key, format string, args ...any) {
	in.errs = append(in.errs, fmt.Errorf("%s: %s", in.where(key), fmt.Sprintf(format, args...)))
}

// get returns the plain value of key, and whether it is set.
func (in *inputs) get(key string) (resource.PropertyValue, bool) {
	in.seen[key] = true
	v, ok := in.m[resource.PropertyKey(key)]
	if !ok {
		return resource.PropertyValue{}, false
	}
	v, err := plainValue(v)
	if err != nil {
		in.fail(key, "%v", err)
		return resource.PropertyValue{}, false
	}
	if v.IsNull() {
		return resource.PropertyValue{}, false
	}
	return v, true
}

// plainValue strips secrets, known outputs and resource references down to
// the value inside.
func plainValue(v resource.PropertyValue) (resource.PropertyValue, error) {
	for {
		switch {
		case v.IsComputed():
			return v, errors.New("value is unknown; a deployment into moto needs every input known")
		case v.IsOutput():
			out := v.OutputValue()
			if !out.Known {
				return v, errors.New("value is unknown; a deployment into moto needs every input known")
			}
			v = out.Element
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsResourceReference():
			ref := v.ResourceReferenceValue()
			if !ref.ID.IsString() {
				return v, fmt.Errorf("resource reference %s has no known id", ref.URN)
			}
			v = ref.ID
		default:
			return v, nil
		}
	}
}

// ignore marks keys as read without using them: inputs that only the Pulumi
// provider acts on, or that have no effect on creation.
func (in *inputs) ignore(keys ...string) {
	for _, k := range keys {
		in.seen[k] = true
	}
}

func (in *inputs) str(key string) (string, bool) {
	v, ok := in.get(key)
	if !ok {
		return "", false
	}
	if !v.IsString() {
		in.fail(key, "want a string, got %s", v.TypeString())
		return "", false
	}
	return v.StringValue(), true
}

// strOr returns key's string value, or def if it is unset.
func (in *inputs) strOr(key, def string) string {
	if s, ok := in.str(key); ok {
		return s
	}
	return def
}

// required returns key's string value, recording an error if it is unset
// or empty.
func (in *inputs) required(key string) string {
	s, _ := in.str(key)
	if s == "" {
		in.fail(key, "is required")
	}
	return s
}

// integer returns key as an int32, for the AWS SDK's integer fields.
func (in *inputs) integer(key string) (int32, bool) {
	v, ok := in.get(key)
	if !ok {
		return 0, false
	}
	var f float64
	switch {
	case v.IsNumber():
		f = v.NumberValue()
	case v.IsString():
		// The Terraform bridge accepts numbers written as strings.
		parsed, err := strconv.ParseFloat(v.StringValue(), 64)
		if err != nil {
			in.fail(key, "want a number, got %q", v.StringValue())
			return 0, false
		}
		f = parsed
	default:
		in.fail(key, "want a number, got %s", v.TypeString())
		return 0, false
	}
	if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		in.fail(key, "want a 32-bit whole number, got %v", f)
		return 0, false
	}
	return int32(f), true
}

func (in *inputs) integerPtr(key string) *int32 {
	if n, ok := in.integer(key); ok {
		return &n
	}
	return nil
}

// boolean reads a bool. Terraform-bridged providers declare some booleans
// as strings ("true", "false", or "" for unset), such as the launch
// template's encrypted and deleteOnTermination; both forms are accepted.
func (in *inputs) boolean(key string) (bool, bool) {
	v, ok := in.get(key)
	if !ok {
		return false, false
	}
	switch {
	case v.IsBool():
		return v.BoolValue(), true
	case v.IsString():
		if v.StringValue() == "" {
			return false, false
		}
		b, err := strconv.ParseBool(v.StringValue())
		if err != nil {
			in.fail(key, "want true or false, got %q", v.StringValue())
			return false, false
		}
		return b, true
	}
	in.fail(key, "want a bool, got %s", v.TypeString())
	return false, false
}

func (in *inputs) boolPtr(key string) *bool {
	if b, ok := in.boolean(key); ok {
		return &b
	}
	return nil
}

func (in *inputs) strList(key string) []string {
	v, ok := in.get(key)
	if !ok {
		return nil
	}
	if !v.IsArray() {
		in.fail(key, "want a list of strings, got %s", v.TypeString())
		return nil
	}
	out := []string{}
	for i, e := range v.ArrayValue() {
		e, err := plainValue(e)
		if err != nil || !e.IsString() {
			in.fail(fmt.Sprintf("%s[%d]", key, i), "want a known string, got %s (%v)", e.TypeString(), err)
			continue
		}
		out = append(out, e.StringValue())
	}
	return out
}

func (in *inputs) strMap(key string) map[string]string {
	v, ok := in.get(key)
	if !ok {
		return nil
	}
	if !v.IsObject() {
		in.fail(key, "want a map of strings, got %s", v.TypeString())
		return nil
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		e, err := plainValue(e)
		if err != nil || !e.IsString() {
			in.fail(key+"."+string(k), "want a known string, got %s (%v)", e.TypeString(), err)
			continue
		}
		out[string(k)] = e.StringValue()
	}
	return out
}

// object returns key's nested object, or nil if it is unset. The child's
// unread keys are reported by the parent's done.
func (in *inputs) object(key string) *inputs {
	v, ok := in.get(key)
	if !ok {
		return nil
	}
	if !v.IsObject() {
		in.fail(key, "want an object, got %s", v.TypeString())
		return nil
	}
	child := newInputs(in.where(key), v.ObjectValue())
	in.children = append(in.children, child)
	return child
}

// objects returns key's list of objects.
func (in *inputs) objects(key string) []*inputs {
	v, ok := in.get(key)
	if !ok {
		return nil
	}
	if !v.IsArray() {
		in.fail(key, "want a list of objects, got %s", v.TypeString())
		return nil
	}
	var out []*inputs
	for i, e := range v.ArrayValue() {
		e, err := plainValue(e)
		where := fmt.Sprintf("%s[%d]", key, i)
		if err != nil || !e.IsObject() {
			in.fail(where, "want a known object, got %s (%v)", e.TypeString(), err)
			continue
		}
		child := newInputs(in.where(where), e.ObjectValue())
		in.children = append(in.children, child)
		out = append(out, child)
	}
	return out
}

// done returns every problem found while reading, and an error for each
// set key that nothing read.
func (in *inputs) done() error {
	errs := slices.Clone(in.errs)
	for _, key := range slices.Sorted(maps.Keys(in.m)) {
		if in.seen[string(key)] {
			continue
		}
		if v, err := plainValue(in.m[key]); err == nil && v.IsNull() {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: this input is not supported by the moto monitor, so moto would not get it; "+
			"teach internal/mockmonitor/moto to send it", in.where(string(key))))
	}
	for _, child := range in.children {
		errs = append(errs, child.done())
	}
	return errors.Join(errs...)
}
