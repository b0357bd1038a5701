// Package program is the Pulumi program that main.go runs: it reads the
// stack's configuration, builds one SelfHealingInstance, and exports its
// outputs. Tests and cmd/synth run the same code under Pulumi's mock monitor.
//
// Every key of the stack's configuration in the project's namespace must be
// one the program reads: a misspelled key fails the run, naming the nearest
// valid key, before any resource is registered. The Go SDK offers no list of
// a run's configuration keys, so the program needs one from outside: Run
// takes it from PULUMI_CONFIG, which `pulumi up` and `pulumi preview` set
// for a Go program; a caller that hands the program its configuration
// itself passes the keys to RunWithConfigKeys.
package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

// ComponentName is the logical name of the program's one SelfHealingInstance.
// It is part of the Auto Scaling group's name, so changing it replaces the
// group.
const ComponentName = "instance"

// Run is the program's body for pulumi.Run, as `pulumi up` runs it: the
// configuration's keys are those of the PULUMI_CONFIG the engine set (see
// EngineConfigKeys). It fails, registering nothing, when PULUMI_CONFIG is
// missing, as it is for an Automation API inline program: use
// RunWithConfigKeys there.
func Run(ctx *pulumi.Context) error {
	keys, err := EngineConfigKeys(ctx)
	if err != nil {
		return err
	}
	_, err = Deploy(ctx, keys)
	return err
}

// RunWithConfigKeys is the program's body for a caller that holds the
// stack's configuration itself, such as an Automation API inline program
// (the keys of Stack.GetAllConfig) or a test that sets RunInfo.Config.
// keys must be every key of that configuration, namespaced as in the stack
// file ("selfhealing:instanceType", "aws:region"); a list that leaves out a
// key the configuration sets is refused.
func RunWithConfigKeys(keys []string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		_, err := Deploy(ctx, keys)
		return err
	}
}

// Deploy builds the stack, exports its outputs, and returns them by name.
// keys are all of the configuration's keys, as for RunWithConfigKeys.
func Deploy(ctx *pulumi.Context, keys []string) (map[string]pulumi.Output, error) {
	args, err := LoadArgs(ctx, keys)
	if err != nil {
		return nil, err
	}
	inst, err := components.NewSelfHealingInstance(ctx, ComponentName, &args)
	if err != nil {
		return nil, err
	}
	exports := inst.Outputs()
	// An output whose option is off is not exported: empty, it would
	// read as a topic or a volume with no name.
	if args.Notifications == nil {
		delete(exports, "notificationTopicArn")
	}
	if args.DataVolume == nil {
		delete(exports, "dataVolumeId")
		delete(exports, "dataVolumeMountPath")
	}
	if args.NetworkInterface == nil {
		delete(exports, "networkInterfaceId")
		delete(exports, "privateIp")
	}
	for name, value := range exports {
		ctx.Export(name, value)
	}
	return exports, nil
}
