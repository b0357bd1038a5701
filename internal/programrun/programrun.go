// Package programrun runs the real Pulumi program, the code main.go runs,
// under a mock resource monitor with a stack's configuration, and returns
// its exports as plain values. Offline synth runs it as a preview against a
// fake account; the end-to-end harness runs it as a deployment into moto.
package programrun

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
	"github.com/selfhealing-dev/selfhealing/program"
)

// Mode says how the engine would run the program.
type Mode int

const (
	// Preview is `pulumi preview`: values only a deployment knows stay
	// unknown.
	Preview Mode = iota
	// Deploy is `pulumi up`: the monitor's answers are final.
	Deploy
)

// Run runs program.Deploy for stack under monitor and returns its exports:
// unknown values as nil, secrets as stackconfig.SecretPlaceholder.
func Run(stack *stackconfig.Stack, monitor pulumi.MockResourceMonitor, mode Mode) (map[string]any, error) {
	exports := map[string]any{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		// The stack's keys, all of them, so that a misspelled key fails
		// here as it fails `pulumi up`.
		outputs, err := program.Deploy(ctx, slices.Collect(maps.Keys(stack.Config)))
		if err != nil {
			return err
		}
		for name, output := range outputs {
			value, err := await(ctx.Context(), output)
			if err != nil {
				return fmt.Errorf("resolving output %s: %w", name, err)
			}
			exports[name] = value
		}
		return nil
	}, pulumi.WithMocks(stack.Project, stack.Name, monitor), func(info *pulumi.RunInfo) {
		info.Config = stack.Config
		info.ConfigSecretKeys = stack.SecretKeys
		info.DryRun = mode == Preview
	})
	if err != nil {
		return nil, fmt.Errorf("running the program for stack %s: %w", stack.Name, err)
	}
	return exports, nil
}

func await(ctx context.Context, output pulumi.Output) (any, error) {
	result, err := internals.UnsafeAwaitOutput(ctx, output)
	switch {
	case err != nil:
		return nil, err
	case !result.Known:
		return nil, nil
	case result.Secret:
		return stackconfig.SecretPlaceholder, nil
	}
	return result.Value, nil
}
