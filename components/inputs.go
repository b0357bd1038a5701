package components

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Values that flow into the component arrive as Pulumi inputs: a subnet id
// may be a literal, pulumi.String("subnet-…"), or another resource's
// output, known only once that resource exists.
//
// The component checks each one with a single rule, on one of two paths:
//   - a literal is known while the program runs, so newPlan (or lookup,
//     for the part of a rule that needs the stack's region) checks it
//     before any resource is created, during `pulumi preview`;
//   - an output is checked when it resolves: the value handed on to the
//     resources that use it is the rule's result, so a bad value fails the
//     deployment with the same message, naming the same field.
//
// The helpers below tell the two apart (a type switch on the literal
// types) and build the checked outputs.

// knownString returns in's value and true when the program passed a
// literal, or nil (as ""); false when in is an output.
func knownString(in pulumi.StringInput) (string, bool) {
	switch v := in.(type) {
	case nil:
		return "", true
	case pulumi.String:
		return string(v), true
	case *pulumi.String:
		if v == nil {
			return "", true
		}
		return string(*v), true
	}
	return "", false
}

// knownStringArray returns in's elements and true when in is nil or a
// literal array of literals; false when any part is an output.
func knownStringArray(in pulumi.StringArrayInput) ([]string, bool) {
	if in == nil {
		return nil, true
	}
	array, ok := in.(pulumi.StringArray)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(array))
	for _, element := range array {
		s, ok := knownString(element)
		if !ok || element == nil {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// knownStringMap returns in's entries and true when in is nil or a literal
// map of literals; false when any part is an output.
func knownStringMap(in pulumi.StringMapInput) (map[string]string, bool) {
	if in == nil {
		return nil, true
	}
	m, ok := in.(pulumi.StringMap)
	if !ok {
		return nil, false
	}
	return knownValues(m)
}

// knownValues returns m's values and true when each is a literal; the keys
// of a Go map are always known.
func knownValues(m map[string]pulumi.StringInput) (map[string]string, bool) {
	out := make(map[string]string, len(m))
	for key, element := range m {
		s, ok := knownString(element)
		if !ok || element == nil {
			return nil, false
		}
		out[key] = s
	}
	return out, true
}

// isSet reports whether a string input was given at all: nil, or a literal
// "", means unset; an output counts as set even before it resolves.
func isSet(in pulumi.StringInput) bool {
	s, known := knownString(in)
	return !known || s != ""
}

// checkedString returns in as an output that fails with rule's error, if
// any, once it resolves. A literal passes unchecked: its rule, the same
// one, ran when the plan was made (newPlan, or lookup for what needs the
// stack's region), so each value is checked once. A secret's value is
// never quoted in the error (see redact).
func checkedString(in pulumi.StringInput, rule func(string) error) pulumi.StringOutput {
	if s, known := knownString(in); known {
		return pulumi.String(s).ToStringOutput()
	}
	return applyRedacted(in.ToStringOutput(), func(s string) []string { return []string{s} },
		func(s string) (string, error) { return s, rule(s) }).(pulumi.StringOutput)
}

// checkedStringArray is checkedString for arrays.
func checkedStringArray(in pulumi.StringArrayInput, rule func([]string) error) pulumi.StringArrayOutput {
	if s, known := knownStringArray(in); known {
		return pulumi.ToStringArray(s).ToStringArrayOutput()
	}
	return applyRedacted(in.ToStringArrayOutput(), func(s []string) []string { return s },
		func(s []string) ([]string, error) { return s, rule(s) }).(pulumi.StringArrayOutput)
}

// checkedStringMap is checkedString for maps. A secret map's keys are as
// secret as its values.
func checkedStringMap(in pulumi.StringMapInput, rule func(map[string]string) error) pulumi.StringMapOutput {
	if m, known := knownStringMap(in); known {
		return pulumi.ToStringMap(m).ToStringMapOutput()
	}
	return applyRedacted(in.ToStringMapOutput(), mapParts,
		func(m map[string]string) (map[string]string, error) { return m, rule(m) }).(pulumi.StringMapOutput)
}

// mapParts lists a map's keys and values, each a part a secret map must
// not show.
func mapParts(m map[string]string) []string {
	parts := make([]string, 0, 2*len(m))
	for key, value := range m {
		parts = append(parts, key, value)
	}
	return parts
}

// applyRedacted is out.ApplyT(f) for an f that checks or looks up a value
// that may be secret: when out is secret, f's error is redacted of every
// one of parts(value). Every apply whose error may quote an input goes
// through it, so that no path quotes a secret.
func applyRedacted[T, R any](out pulumi.Output, parts func(T) []string, f func(T) (R, error)) pulumi.Output {
	return out.ApplyTWithContext(context.Background(), func(ctx context.Context, value T) (R, error) {
		result, err := f(value)
		if err == nil {
			return result, nil
		}
		// When the secrecy cannot be read, redact: a needless [secret]
		// costs less than a leaked one.
		if state, awaitErr := internals.UnsafeAwaitOutput(ctx, out); awaitErr != nil || state.Secret {
			err = redact(err, parts(value))
		}
		return result, err
	})
}

// redactedText stands in for a secret in an error.
const redactedText = "[secret]"

// quotedString matches a Go-quoted string, as %q writes a value.
var quotedString = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redact returns err's message without any of secrets in it: each quoted
// string that is a secret or a piece of one (a URL's host, say), and each
// secret written out as is or as %q escapes it, becomes [secret]. It
// returns a new error, not a wrapped one: err's chain holds the values.
func redact(err error, secrets []string) error {
	msg := quotedString.ReplaceAllStringFunc(err.Error(), func(quoted string) string {
		text, unquoteErr := strconv.Unquote(quoted)
		if unquoteErr != nil || text == "" {
			return quoted
		}
		for _, secret := range secrets {
			if strings.Contains(secret, text) {
				return redactedText
			}
		}
		return quoted
	})
	// Longest first, so that a secret inside another goes with it. Very
	// short ones are left to the quoted-string rule: replacing every "a"
	// would garble the message.
	secrets = slices.SortedFunc(slices.Values(secrets), func(a, b string) int { return len(b) - len(a) })
	for _, secret := range secrets {
		if len(secret) < 4 {
			continue
		}
		escaped := strconv.Quote(secret)
		msg = strings.ReplaceAll(msg, secret, redactedText)
		msg = strings.ReplaceAll(msg, escaped[1:len(escaped)-1], redactedText)
	}
	return errors.New(msg)
}

// setString is checkedString for an input whose being set decided what the
// component creates (an existing address, topic or role instead of a new
// one): an output that resolves to "" cannot mean "unset" any more, and
// fails naming field.
func setString(in pulumi.StringInput, field, want string, rule func(string) error) pulumi.StringOutput {
	return checkedString(in, func(s string) error {
		if s == "" {
			return fmt.Errorf("%s: the output resolved to an empty string; want %s (to have the component create one, leave %s unset)", field, want, field)
		}
		return rule(s)
	})
}

// optionalInput is a string input for an optional resource argument: nil
// and "" leave the argument unset. A literal stays one; an output is
// checked, its flow in the plan.
func optionalInput(in pulumi.StringInput, checked pulumi.StringOutput) pulumi.StringPtrInput {
	if s, known := knownString(in); known {
		return optionalString(s)
	}
	return optionalOutput(checked)
}

// optionalOutput is a checked string for an optional resource argument: ""
// leaves the argument unset.
func optionalOutput(s pulumi.StringOutput) pulumi.StringPtrOutput {
	return s.ApplyT(func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}).(pulumi.StringPtrOutput)
}
