package program

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/selfhealing-dev/selfhealing/components"
)

// appHealthCheckConfig is the appHealthCheck config key. Every number is a
// pointer, so that an explicit 0 is refused instead of quietly meaning the
// default.
type appHealthCheckConfig struct {
	URL              string       `json:"url"`
	ExpectedStatus   *wholeNumber `json:"expectedStatus"`
	Command          string       `json:"command"`
	IntervalSeconds  *wholeNumber `json:"intervalSeconds"`
	TimeoutSeconds   *wholeNumber `json:"timeoutSeconds"`
	FailureThreshold *wholeNumber `json:"failureThreshold"`
}

// wholeNumber is a number in an object in configuration: 15, as a stack file
// or `pulumi config set --path` writes it, or "15".
type wholeNumber int

// UnmarshalJSON accepts a JSON number or a string holding a whole number.
func (n *wholeNumber) UnmarshalJSON(b []byte) error {
	v, err := strconv.Atoi(strings.Trim(string(b), `"`))
	if err != nil {
		return fmt.Errorf("%s: want a whole number", b)
	}
	*n = wholeNumber(v)
	return nil
}

// healing reads the launch gate, health check, rollout, Spot and warm pool
// keys into args.
func (r *reader) healing(args *components.SelfHealingInstanceArgs) {
	gate := r.boolean(KeyLaunchGate, true)
	args.DisableLaunchGate = !gate
	// Pulumi.yaml gives the timeout a default, so it is always set; it
	// matters only with the gate, and a value other than the default
	// beside a closed gate is a mistake worth saying.
	if timeout, ok := r.optionalInteger(KeyLaunchGateTimeoutSeconds); ok {
		switch {
		case timeout == 0:
			r.fail(KeyLaunchGateTimeoutSeconds, fmt.Errorf("0: want %d to %d seconds", components.MinLaunchGateTimeoutSeconds, components.MaxLaunchGateTimeoutSeconds))
		case gate:
			args.LaunchGateTimeoutSeconds = timeout
		case timeout != components.DefaultLaunchGateTimeoutSeconds:
			r.fail(KeyLaunchGateTimeoutSeconds, fmt.Errorf("%d: applies only to the launch gate, and %s is false; remove one of the two", timeout, KeyLaunchGate))
		}
	}

	args.DisableInstanceRefresh = !r.boolean(KeyInstanceRefresh, true)
	args.Spot = r.boolean(KeySpot, false)
	args.WarmPool = r.boolean(KeyWarmPool, false)
	var spotTypes []string
	if r.object(KeySpotInstanceTypes, &spotTypes) && len(spotTypes) > 0 {
		args.SpotInstanceTypes = spotTypes
	}

	var check appHealthCheckConfig
	if !r.object(KeyAppHealthCheck, &check) || check == (appHealthCheckConfig{}) {
		return // unset, or {}: no health check
	}
	h := &components.AppHealthCheck{URL: check.URL, Command: check.Command}
	var errs []error
	for _, n := range []struct {
		name  string
		value *wholeNumber
		out   *int
	}{
		{"expectedStatus", check.ExpectedStatus, &h.ExpectedStatus},
		{"intervalSeconds", check.IntervalSeconds, &h.IntervalSeconds},
		{"timeoutSeconds", check.TimeoutSeconds, &h.TimeoutSeconds},
		{"failureThreshold", check.FailureThreshold, &h.FailureThreshold},
	} {
		switch {
		case n.value == nil:
		case *n.value == 0:
			errs = append(errs, fmt.Errorf("%s 0: want a positive whole number, or remove it for the default", n.name))
		default:
			*n.out = int(*n.value)
		}
	}
	if err := errors.Join(errs...); err != nil {
		r.fail(KeyAppHealthCheck, err)
		return
	}
	args.AppHealthCheck = h
}
