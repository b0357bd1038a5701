package userdata

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// The application health check on the instance.
const (
	// HealthService runs the installed boot script (InstalledBootScript)
	// with --health-check, which checks the application once; HealthTimer
	// starts it every interval, from every boot on.
	HealthService = "selfhealing-health.service"
	HealthTimer   = "selfhealing-health.timer"
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

// Bounds of HealthCheckParams' numbers, the component's appHealthCheck's.
const (
	// MinHealthIntervalSeconds leaves room for a timeout of at least 1 s,
	// shorter than the interval; MaxHealthIntervalSeconds is a day.
	MinHealthIntervalSeconds = 2
	MaxHealthIntervalSeconds = 86400
	// MaxHealthFailureThreshold bounds FailureThreshold.
	MaxHealthFailureThreshold = 1000
)

// validate reports every field of h the script cannot use, named as the
// component's appHealthCheck names them.
func (h *HealthCheckParams) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("appHealthCheck."+format, args...)) }
	if (h.URL == "") == (h.Command == "") {
		bad("url/command: set exactly one")
	} else if h.URL != "" {
		if msg := HealthURLProblem(h.URL); msg != "" {
			bad("url %q: %s", h.URL, msg)
		}
	} else if msg := HealthCommandProblem(h.Command); msg != "" {
		bad("command: %s", msg)
	}
	if msg := HealthExpectedStatusProblem(h.ExpectedStatus, h.URL != ""); msg != "" {
		bad("expectedStatus %d: %s", h.ExpectedStatus, msg)
	}
	if msg := HealthIntervalProblem(h.IntervalSeconds); msg != "" {
		bad("intervalSeconds %d: %s", h.IntervalSeconds, msg)
	}
	if msg := HealthTimeoutProblem(h.TimeoutSeconds, h.IntervalSeconds); msg != "" {
		bad("timeoutSeconds %d: %s", h.TimeoutSeconds, msg)
	}
	if msg := HealthThresholdProblem(h.FailureThreshold); msg != "" {
		bad("failureThreshold %d: %s", h.FailureThreshold, msg)
	}
	return errs
}

// HealthURLProblem says what is wrong with raw as the health check's URL,
// or "": it must be http or https, on the instance itself, for the check
// asks whether this instance serves, not whether the network does.
func HealthURLProblem(raw string) string {
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "want a URL without spaces or control characters; percent-encode them"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "want an http:// or https:// URL, such as http://localhost:8080/healthz"
	}
	if u.User != nil {
		return "has credentials in it, which would be stored in the user data; check an endpoint that needs none"
	}
	switch strings.ToLower(u.Hostname()) {
	case "localhost", "127.0.0.1", "::1":
	default:
		return fmt.Sprintf("host %q: want localhost, 127.0.0.1 or [::1]; the check runs on the instance and asks about the instance", u.Hostname())
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("port %q: want 1 to 65535", port)
		}
	}
	return ""
}

// HealthCommandProblem says what is wrong with command as the health
// check's command, or "": one line, which the script runs under bash, short
// enough to travel in the user data.
func HealthCommandProblem(command string) string {
	switch {
	case strings.TrimSpace(command) == "":
		return "is blank; give a command such as 'systemctl is-active --quiet myapp'"
	case strings.ContainsAny(command, "\n\r\x00"):
		return "want one line, without NUL bytes (put a longer check in a script on the instance and call it)"
	case len(command) > MaxHealthCommandBytes:
		return fmt.Sprintf("is %d bytes; want at most %d (put a longer check in a script on the instance and call it)", len(command), MaxHealthCommandBytes)
	}
	return ""
}

// HealthExpectedStatusProblem says what is wrong with status as the
// healthy answer of a URL check (urlCheck), or of a command check, which
// has none (0), or "".
func HealthExpectedStatusProblem(status int, urlCheck bool) string {
	switch {
	case !urlCheck && status != 0:
		return "applies only to a url check; a command is healthy when it exits 0"
	case urlCheck && (status < 100 || status > 599):
		return "want an HTTP status from 100 to 599"
	}
	return ""
}

// HealthIntervalProblem says what is wrong with seconds as the time
// between checks, or "".
func HealthIntervalProblem(seconds int) string {
	if seconds < MinHealthIntervalSeconds || seconds > MaxHealthIntervalSeconds {
		return fmt.Sprintf("want %d to %d seconds", MinHealthIntervalSeconds, MaxHealthIntervalSeconds)
	}
	return ""
}

// HealthTimeoutProblem says what is wrong with seconds as the bound on
// each check, given the interval between checks, or "": a check must end
// before the next one starts.
func HealthTimeoutProblem(seconds, intervalSeconds int) string {
	if seconds < 1 || seconds >= intervalSeconds {
		return fmt.Sprintf("want at least 1 and less than intervalSeconds %d, so that checks never overlap", intervalSeconds)
	}
	return ""
}

// HealthThresholdProblem says what is wrong with n as the failures in a row
// that make the instance unhealthy, or "".
func HealthThresholdProblem(n int) string {
	if n < 1 || n > MaxHealthFailureThreshold {
		return fmt.Sprintf("want 1 to %d", MaxHealthFailureThreshold)
	}
	return ""
}
