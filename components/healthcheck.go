package components

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Defaults of AppHealthCheck's fields left at zero.
const (
	DefaultAppHealthCheckExpectedStatus   = 200
	DefaultAppHealthCheckIntervalSeconds  = 15
	DefaultAppHealthCheckTimeoutSeconds   = 5
	DefaultAppHealthCheckFailureThreshold = 3

	// maxAppHealthCheckCommandLength keeps the command a short line: it
	// travels in the user data, whose 16 KB the boot script shares.
	maxAppHealthCheckCommandLength = 1024
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

// healthURLRule and healthCommandRule check the two inputs, as validate
// does a literal and the deployment an output.
func healthURLRule(field string) func(string) error {
	return func(u string) error {
		if u == "" {
			return nil
		}
		if err := validateLocalURL(u); err != nil {
			return fmt.Errorf("%s.url %q: %w", field, u, err)
		}
		return nil
	}
}

func healthCommandRule(field string) func(string) error {
	return func(c string) error {
		if c == "" {
			return nil
		}
		if err := validateCommand(c); err != nil {
			return fmt.Errorf("%s.command: %w", field, err)
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
	if s := *h.ExpectedStatus; hasCommand && !hasURL && s != 0 {
		bad("expectedStatus %d: applies only to a url check; a command is healthy when it exits 0", s)
	} else if hasURL && (s < 100 || s > 599) {
		bad("expectedStatus %d: want an HTTP status from 100 to 599, or leave it unset for %d", s, DefaultAppHealthCheckExpectedStatus)
	}
	for _, n := range []struct {
		name  string
		value int
	}{{"intervalSeconds", *h.IntervalSeconds}, {"timeoutSeconds", *h.TimeoutSeconds}, {"failureThreshold", *h.FailureThreshold}} {
		if n.value < 1 {
			bad("%s %d: want a positive whole number, or leave it unset for the default", n.name, n.value)
		}
	}
	if *h.IntervalSeconds >= 1 && *h.TimeoutSeconds >= 1 && *h.TimeoutSeconds >= *h.IntervalSeconds {
		bad("timeoutSeconds %d: must be shorter than intervalSeconds %d, so that checks never overlap", *h.TimeoutSeconds, *h.IntervalSeconds)
	}
	return errs
}

// validateLocalURL accepts only http(s) URLs on the instance itself: the
// check asks whether this instance serves, not whether the network does.
func validateLocalURL(raw string) error {
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("contains spaces or control characters; percent-encode them")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("want an http:// or https:// URL, such as http://localhost:8080/healthz")
	}
	if u.User != nil {
		return fmt.Errorf("has credentials in it, which would be stored in the user data; check an endpoint that needs none")
	}
	switch strings.ToLower(u.Hostname()) {
	case "localhost", "127.0.0.1", "::1":
	default:
		return fmt.Errorf("host %q: want localhost, 127.0.0.1 or [::1]; the check runs on the instance and asks about the instance", u.Hostname())
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q: want 1 to 65535", port)
		}
	}
	return nil
}

func validateCommand(command string) error {
	switch {
	case strings.TrimSpace(command) == "":
		return fmt.Errorf("is blank; give a command such as 'systemctl is-active --quiet myapp'")
	case strings.ContainsAny(command, "\n\r\x00"):
		return fmt.Errorf("spans several lines or holds a NUL byte; want one line (put a longer check in a script on the instance and call it)")
	case len(command) > maxAppHealthCheckCommandLength:
		return fmt.Errorf("is %d characters; want at most %d (put a longer check in a script on the instance and call it)",
			len(command), maxAppHealthCheckCommandLength)
	}
	return nil
}
