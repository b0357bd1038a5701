// Package componentprovider adapts a Go component constructor to the
// provider.ConstructFunc that a Pulumi component provider serves.
package componentprovider

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"

	"github.com/selfhealing-dev/selfhealing/internal/schemagen"
)

// NewFunc is a component constructor, such as
// components.NewSelfHealingInstance.
type NewFunc[A any, C pulumi.ComponentResource] func(ctx *pulumi.Context, name string, args *A, opts ...pulumi.ResourceOption) (C, error)

// Construct returns the ConstructFunc for one component type token. It
// refuses to construct while args type A has exported fields without a
// pulumi tag: CopyTo would silently leave them at zero.
func Construct[A any, C pulumi.ComponentResource](token string, newComponent NewFunc[A, C]) provider.ConstructFunc {
	return func(ctx *pulumi.Context, typ, name string, inputs provider.ConstructInputs,
		options pulumi.ResourceOption,
	) (*provider.ConstructResult, error) {
		if typ != token {
			return nil, fmt.Errorf("unknown resource type %q: this provider constructs %s", typ, token)
		}
		if missing := schemagen.Untagged(reflect.TypeFor[A]()); len(missing) > 0 {
			return nil, fmt.Errorf("%s cannot be constructed from other languages yet: %v has fields without a `pulumi:\"name,optional\"` tag: %s",
				token, reflect.TypeFor[A](), strings.Join(missing, ", "))
		}
		var args A
		if err := inputs.CopyTo(&args); err != nil {
			return nil, fmt.Errorf("reading the arguments of %s %q: %w", token, name, err)
		}
		component, err := newComponent(ctx, name, &args, options)
		if err != nil {
			return nil, err
		}
		return provider.NewConstructResult(component)
	}
}
