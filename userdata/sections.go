package userdata

import (
	"errors"
	"fmt"
	"regexp"
)

var (
	parameterPathPattern = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)+$`)
	logGroupNamePattern  = regexp.MustCompile(`^[A-Za-z0-9._/#-]{1,512}$`)
	certDirPattern       = regexp.MustCompile(`^(/[A-Za-z0-9._-]+)+$`)
)

// validateSections reports every section parameter the script cannot be
// rendered with. The component validates its arguments first and names
// fields the way its users write them; this guards the script itself, since
// some of these values land in nginx and systemd files, not only in bash.
func (p Params) validateSections() error {
	var errs []error
	if s := p.Parameters; s != nil && !parameterPathPattern.MatchString(s.Path) {
		errs = append(errs, fmt.Errorf("parameters path %q: want /segment/segment of A-Z a-z 0-9 _ . -", s.Path))
	}
	if s := p.Logs; s != nil {
		if !logGroupNamePattern.MatchString(s.LogGroupName) {
			errs = append(errs, fmt.Errorf("logs group name %q: want 1 to 512 of A-Z a-z 0-9 . _ - / #", s.LogGroupName))
		}
		if msg := ExtraLogFilesProblem(len(s.ExtraFiles)); msg != "" {
			errs = append(errs, fmt.Errorf("logs extra files: %s", msg))
		}
		for i, f := range s.ExtraFiles {
			if msg := ExtraLogFileProblem(s.ExtraFiles, i); msg != "" {
				errs = append(errs, fmt.Errorf("logs file %q: %s", f, msg))
			}
		}
	}
	if s := p.AgentMetrics; s != nil {
		errs = append(errs, s.validate()...)
	}
	if s := p.HTTPS; s != nil {
		if problem := DomainNameProblem(s.DomainName); problem != "" {
			errs = append(errs, fmt.Errorf("https domain name %q: %s", s.DomainName, problem))
		}
		if problem := EmailProblem(s.Email); problem != "" {
			errs = append(errs, fmt.Errorf("https email %q: %s", s.Email, problem))
		}
		if msg := AppPortProblem(s.AppPort, s.httpPort(), s.httpsPort()); msg != "" {
			errs = append(errs, fmt.Errorf("https app port %d: %s", s.AppPort, msg))
		}
		for _, port := range []int{s.HTTPPort, s.HTTPSPort} {
			if port < 0 || port > 65535 {
				errs = append(errs, fmt.Errorf("https nginx port %d: want 1 to 65535, or 0 for the default", port))
			}
		}
		if s.httpPort() == s.httpsPort() {
			errs = append(errs, fmt.Errorf("https nginx ports: HTTP and HTTPS both on %d", s.httpPort()))
		}
		if !certDirPattern.MatchString(s.CertDir) {
			errs = append(errs, fmt.Errorf("https certificate directory %q: want an absolute path of A-Z a-z 0-9 . _ - /", s.CertDir))
		}
	}
	return errors.Join(errs...)
}
