package program

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

// The unknown-key check needs every key of the run's configuration, but
// pulumi.Context answers only for a key it is asked about (GetConfig). The
// keys come from outside: from PULUMI_CONFIG under the Pulumi CLI, or from
// the caller. Either way LoadArgs first makes sure no key the program knows
// is set but missing from the list, so a partial list cannot pass as the
// whole configuration.

// EngineConfigKeys returns the keys of the configuration the Pulumi engine
// handed the program in PULUMI_CONFIG (pulumi.EnvConfig): the JSON map of
// namespaced keys to values that the Go language host sets for `pulumi up`
// and `pulumi preview`, and that pulumi.Run reads the run's configuration
// from. Under the CLI it is never empty, as Pulumi.yaml declares defaults
// that the engine adds to every stack's configuration.
//
// It is an error when PULUMI_CONFIG is unset or unreadable, or holds
// another configuration than ctx does: the program would then check the
// keys of a configuration it does not run with.
func EngineConfigKeys(ctx *pulumi.Context) ([]string, error) {
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return nil, fmt.Errorf("the program cannot list the stack's configuration keys to check them for typos: "+
			"%s, which `pulumi up` sets for a Go program, is not set; a caller that hands the program its configuration itself "+
			"(an Automation API inline program, a test) must run program.RunWithConfigKeys with the configuration's keys", pulumi.EnvConfig)
	}
	var config map[string]string
	if err := json.Unmarshal([]byte(raw), &config); err != nil {
		return nil, fmt.Errorf("reading the stack's configuration from %s: %w", pulumi.EnvConfig, err)
	}
	keys := slices.Sorted(maps.Keys(config))
	for _, key := range keys {
		// Only the key is named: the value may be a secret.
		if value, ok := ctx.GetConfig(key); !ok || value != config[key] {
			return nil, fmt.Errorf("%s is not the configuration the program runs with (its %s differs); "+
				"a caller that hands the program its configuration itself must run program.RunWithConfigKeys with the configuration's keys",
				pulumi.EnvConfig, key)
		}
	}
	return keys, nil
}

// LoadArgs reads the stack's configuration into component arguments (see
// Decode). keys are all of the configuration's keys, namespaced; those in
// the project's namespace must each be a key the program reads, and keys
// of other namespaces (aws:region, another provider's) are left alone.
func LoadArgs(ctx *pulumi.Context, keys []string) (components.SelfHealingInstanceArgs, error) {
	project := ctx.Project()
	if err := coversConfig(ctx, keys); err != nil {
		return components.SelfHealingInstanceArgs{}, err
	}
	values := map[string]string{}
	for _, key := range keys {
		name, ours := strings.CutPrefix(key, project+":")
		if !ours {
			continue
		}
		raw, ok := ctx.GetConfig(key)
		if !ok {
			return components.SelfHealingInstanceArgs{}, fmt.Errorf("config %s: listed among the configuration's keys, but the configuration does not set it; "+
				"pass the keys of the configuration the program runs with", key)
		}
		values[name] = raw
	}
	return Decode(project, values, func(name string) bool { return ctx.IsConfigSecret(project + ":" + name) })
}

// coversConfig fails unless keys include every key the program reads that
// ctx's configuration sets: the one part of "keys are all the keys" the
// program can check.
func coversConfig(ctx *pulumi.Context, keys []string) error {
	var missing []string
	for _, name := range Keys() {
		key := ctx.Project() + ":" + name
		if _, set := ctx.GetConfig(key); set && !slices.Contains(keys, key) {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		return errors.New("the configuration sets " + strings.Join(missing, ", ") + ", not among the keys the program was given to check; " +
			"pass every key of the configuration the program runs with")
	}
	return nil
}
