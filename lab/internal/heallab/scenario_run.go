package heallab

import (
	"context"
	"fmt"
)

// BootFirst boots the instance the group launched at deployment with the
// component's boot script, as EC2 would right after `pulumi up`.
func (l *Lab) BootFirst(ctx context.Context) (BootResult, error) {
	return l.BootFirstWith(ctx, Ours)
}

// BootFirstWith is BootFirst with script as the user data.
func (l *Lab) BootFirstWith(ctx context.Context, script Script) (BootResult, error) {
	inst, err := l.OnlyInstance(ctx)
	if err != nil {
		return BootResult{}, err
	}
	l.API.Reset()
	return l.Boot(ctx, inst, BootOptions{Script: script})
}

// Heal runs one scenario for one script: it kills the group's instance as
// the scenario says, arranges the scenario's faults, and boots the
// replacement. It returns the measurement and the instance that died.
func (l *Lab) Heal(ctx context.Context, sc Scenario, script Script) (Measurement, Instance, error) {
	old, err := l.OnlyInstance(ctx)
	if err != nil {
		return Measurement{}, Instance{}, err
	}
	if sc.WriteVolumeFile {
		if _, err := l.WriteVolumeFile(ctx, old.ID); err != nil {
			return Measurement{}, old, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
	}
	replacement, err := l.Kill(ctx, old.ID, sc.Kill)
	if err != nil {
		return Measurement{}, old, err
	}
	l.API.Reset()
	if sc.APIFaults != nil {
		sc.APIFaults(l.API)
	}
	r, err := l.Boot(ctx, replacement, BootOptions{Script: script, MetadataFaults: sc.MetadataFaults, IMDSv2Only: sc.IMDSv2Only})
	if err != nil {
		return Measurement{}, old, fmt.Errorf("scenario %s, %s script: %w", sc.Name, script, err)
	}
	return Measurement{Scenario: sc, Result: r, Gate: l.Gate(r.Instance.ID), Stack: l.Shape}, old, nil
}
