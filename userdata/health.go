package userdata

import (
	"fmt"
	"net/url"
	"strings"
)

// The application health check on the instance.
const (
	// HealthCheckScript checks the application once per run; with
	// --probe it only checks, and exits 0 if the application is healthy.
	HealthCheckScript = InstallDir + "/health-check"
	// HealthService runs HealthCheckScript; HealthTimer starts it every
	// interval, from every boot on.
	HealthService = "selfhealing-health.service"
	HealthTimer   = "selfhealing-health.timer"
	// HealthLogFile is where the check logs each change of the
	// application's health, besides the journal.
	HealthLogFile = "/var/log/selfhealing-health.log"
	// HealthStateFile holds the check's state between runs: "healthy",
	// "failing", "unhealthy" or "waiting", the failures in a row, and when
	// it last reported the instance unhealthy (Unix seconds, 0 for never).
	HealthStateFile = "/run/selfhealing/health"
	// MaxHealthCommandBytes bounds HealthCheckParams.Command.
	MaxHealthCommandBytes = 1024
)

// HealthCheckParams describe the application health check the script
// installs. Exactly one of URL and Command is set.
type HealthCheckParams struct {
	// URL is fetched with GET; ExpectedStatus is the healthy answer.
	URL            string
	ExpectedStatus int
	// Command runs under bash; exit status 0 is healthy.
	Command string
	// IntervalSeconds is the time between checks; TimeoutSeconds bounds
	// each, and is shorter; FailureThreshold failures in a row make the
	// instance report itself Unhealthy.
	IntervalSeconds  int
	TimeoutSeconds   int
	FailureThreshold int
}

// validate reports every field of h the script cannot use, named as the
// component's appHealthCheck names them.
func (h *HealthCheckParams) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("appHealthCheck."+format, args...)) }
	switch {
	case (h.URL == "") == (h.Command == ""):
		bad("url/command: set exactly one")
	case h.URL != "":
		u, err := url.Parse(h.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsFunc(h.URL, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			bad("url %q: want an http:// or https:// URL without spaces or control characters", h.URL)
		}
		if h.ExpectedStatus < 100 || h.ExpectedStatus > 599 {
			bad("expectedStatus %d: want an HTTP status from 100 to 599", h.ExpectedStatus)
		}
	default:
		if strings.ContainsAny(h.Command, "\n\r\x00") || len(h.Command) > MaxHealthCommandBytes {
			bad("command: want one line of at most %d bytes, without NUL", MaxHealthCommandBytes)
		}
		if h.ExpectedStatus != 0 {
			bad("expectedStatus %d: applies only to a url check", h.ExpectedStatus)
		}
	}
	if h.IntervalSeconds < 2 || h.IntervalSeconds > 86400 {
		bad("intervalSeconds %d: want 2 to 86400 seconds", h.IntervalSeconds)
	}
	if h.TimeoutSeconds < 1 || h.TimeoutSeconds >= h.IntervalSeconds {
		bad("timeoutSeconds %d: want at least 1 and less than intervalSeconds %d", h.TimeoutSeconds, h.IntervalSeconds)
	}
	if h.FailureThreshold < 1 || h.FailureThreshold > 1000 {
		bad("failureThreshold %d: want 1 to 1000", h.FailureThreshold)
	}
	return errs
}
