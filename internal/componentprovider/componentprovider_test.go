package componentprovider

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
)

type taggedArgs struct {
	Size string `pulumi:"size,optional"`
}

type untaggedArgs struct {
	Size  string `pulumi:"size,optional"`
	Color string
}

type widget struct{ pulumi.ResourceState }

func newWidget[A any](called *bool) NewFunc[A, *widget] {
	return func(*pulumi.Context, string, *A, ...pulumi.ResourceOption) (*widget, error) {
		*called = true
		return &widget{}, nil
	}
}

// The checks that come before CopyTo need no engine: a zero
// ConstructInputs and a nil context do.
func TestConstructRefusesUnknownType(t *testing.T) {
	var called bool
	_, err := Construct("fx:index:Widget", newWidget[taggedArgs](&called))(nil, "fx:index:Gadget", "w", provider.ConstructInputs{}, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown resource type "fx:index:Gadget": this provider constructs fx:index:Widget`) || called {
		t.Fatalf("err = %v, called = %v", err, called)
	}
}

func TestConstructRefusesUntaggedArgs(t *testing.T) {
	var called bool
	_, err := Construct("fx:index:Widget", newWidget[untaggedArgs](&called))(nil, "fx:index:Widget", "w", provider.ConstructInputs{}, nil)
	if err == nil || !strings.Contains(err.Error(), "has fields without a `pulumi:\"name,optional\"` tag: untaggedArgs.Color") || called {
		t.Fatalf("err = %v, called = %v", err, called)
	}
}
