package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// Defaults of AppHealthCheck's fields left at zero.
const (
	DefaultAppHealthCheckExpectedStatus   = 200
	DefaultAppHealthCheckIntervalSeconds  = 15
	DefaultAppHealthCheckTimeoutSeconds   = 5
	DefaultAppHealthCheckFailureThreshold = 3
)

// AppHealthCheck checks the application on the instance itself, where EC2's
// status checks cannot see: a process that died, a port that stopped
// answering. After [AppHealthCheck.FailureThreshold] failures in a row the
// instance marks itself unhealthy (autoscaling:SetInstanceHealth) and the
// group replaces it. Set exactly one of [AppHealthCheck.URL] and
// [AppHealthCheck.Command].
type AppHealthCheck struct {
	// URL is fetched with GET on the instance: http or https, and host
	// localhost, 127.0.0.1 or [::1], such as "http://localhost:8080/healthz".
	URL pulumi.StringInput `pulumi:"url,optional"`
	// ExpectedStatus is the HTTP status a healthy URL answers, 100 to 599.
	// Nil means DefaultAppHealthCheckExpectedStatus. Only with
	// [AppHealthCheck.URL].
	ExpectedStatus *int `pulumi:"expectedStatus,optional"`

	// Command runs under bash on the instance; exit status 0 is healthy. One
	// line, at most 1024 characters.
	Command pulumi.StringInput `pulumi:"command,optional"`

	// IntervalSeconds is the time between checks. Nil means
	// DefaultAppHealthCheckIntervalSeconds.
	IntervalSeconds *int `pulumi:"intervalSeconds,optional"`
	// TimeoutSeconds bounds each check, and must be shorter than the
	// interval. Nil means DefaultAppHealthCheckTimeoutSeconds.
	TimeoutSeconds *int `pulumi:"timeoutSeconds,optional"`
	// FailureThreshold is how many failures in a row make the instance
	// unhealthy. Nil means DefaultAppHealthCheckFailureThreshold.
	FailureThreshold *int `pulumi:"failureThreshold,optional"`
}

// WithDefaults returns a copy of h with every unset number filled in.
// ExpectedStatus has a default only for a URL check: a command has no
// status.
func (h AppHealthCheck) WithDefaults() AppHealthCheck {
	if isSet(h.URL) {
		h.ExpectedStatus = orDefault(h.ExpectedStatus, DefaultAppHealthCheckExpectedStatus)
	} else {
		h.ExpectedStatus = orDefault(h.ExpectedStatus, 0)
	}
	h.IntervalSeconds = orDefault(h.IntervalSeconds, DefaultAppHealthCheckIntervalSeconds)
	h.TimeoutSeconds = orDefault(h.TimeoutSeconds, DefaultAppHealthCheckTimeoutSeconds)
	h.FailureThreshold = orDefault(h.FailureThreshold, DefaultAppHealthCheckFailureThreshold)
	return h
}

// healthURLRule and healthCommandRule check the two inputs, newPlan a
// literal and the deployment an output, by the boot script's own
// rules (userdata.HealthURLProblem, userdata.HealthCommandProblem).
func healthURLRule(field string) func(string) error {
	return func(u string) error {
		if msg := userdata.HealthURLProblem(u); u != "" && msg != "" {
			return fmt.Errorf("%s.url %q: %s", field, u, msg)
		}
		return nil
	}
}

func healthCommandRule(field string) func(string) error {
	return func(c string) error {
		if msg := userdata.HealthCommandProblem(c); c != "" && msg != "" {
			return fmt.Errorf("%s.command: %s", field, msg)
		}
		return nil
	}
}

// validate checks h (after defaults), reporting each problem under field.
func (h AppHealthCheck) validate(field string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(field+"."+format, args...)) }

	hasURL, hasCommand := isSet(h.URL), isSet(h.Command)
	switch {
	case !hasURL && !hasCommand:
		bad("url/command: both empty; set exactly one: a URL on this instance such as http://localhost:8080/healthz, or a command")
	case hasURL && hasCommand:
		bad("url/command: both set; set exactly one")
	}
	if u, known := knownString(h.URL); known {
		if err := healthURLRule(field)(u); err != nil {
			errs = append(errs, err)
		}
	}
	if c, known := knownString(h.Command); known {
		if err := healthCommandRule(field)(c); err != nil {
			errs = append(errs, err)
		}
	}
	if s := *h.ExpectedStatus; hasURL {
		if msg := userdata.HealthExpectedStatusProblem(s, true); msg != "" {
			bad("expectedStatus %d: %s, or leave it unset for %d", s, msg, DefaultAppHealthCheckExpectedStatus)
		}
	} else if msg := userdata.HealthExpectedStatusProblem(s, false); hasCommand && msg != "" {
		bad("expectedStatus %d: %s", s, msg)
	}
	if msg := userdata.HealthIntervalProblem(*h.IntervalSeconds); msg != "" {
		bad("intervalSeconds %d: %s, or leave it unset for the default (%d)", *h.IntervalSeconds, msg, DefaultAppHealthCheckIntervalSeconds)
	}
	if msg := userdata.HealthTimeoutProblem(*h.TimeoutSeconds, *h.IntervalSeconds); msg != "" {
		bad("timeoutSeconds %d: %s", *h.TimeoutSeconds, msg)
	}
	if msg := userdata.HealthThresholdProblem(*h.FailureThreshold); msg != "" {
		bad("failureThreshold %d: %s, or leave it unset for the default (%d)", *h.FailureThreshold, msg, DefaultAppHealthCheckFailureThreshold)
	}
	return errs
}
