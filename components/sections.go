package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/internal/policy"
)

// This file wires the optional sections (parameters, logs, https) into the
// component: validation, the policy's scope and the resources. The boot
// script's parameters for them are the plan's (plan.bootScriptParams).

// validateSections checks the options' arguments; validate calls it. The
// project's name heads the parameters' path.
func (a SelfHealingInstanceArgs) validateSections(project string) []error {
	errs := a.validateParameters()
	if len(a.Parameters)+len(a.SecretParameters) > 0 {
		if err := checkParametersPath(project); err != nil {
			errs = append(errs, err)
		}
	}
	if a.Logs != nil {
		errs = append(errs, a.Logs.validate()...)
	}
	if a.HTTPS != nil {
		errs = append(errs, a.HTTPS.validate()...)
		errs = append(errs, a.validateHTTPSName()...)
	}
	return errs
}

// validateHTTPSName checks that the certificate's name is the DNS record the
// component publishes: Let's Encrypt validates the name over HTTP, so it
// must resolve to the Elastic IP, and only the record makes sure it does.
func (a SelfHealingInstanceArgs) validateHTTPSName() []error {
	switch {
	case a.DNS == nil:
		return []error{fmt.Errorf("https: needs dns, so that https.domainName %q resolves to the Elastic IP; "+
			"set dns.zoneId and dns.recordName %q", a.HTTPS.DomainName, a.HTTPS.DomainName)}
	case normalizeDNSName(a.DNS.RecordName) != a.HTTPS.DomainName:
		return []error{fmt.Errorf("https.domainName %q: differs from dns.recordName %q; the certificate's name must be the record that points at the Elastic IP",
			a.HTTPS.DomainName, a.DNS.RecordName)}
	}
	return nil
}

// sectionScopes are what the options add to the instance role's policy,
// once the parameters' KMS key is known.
func (p *plan) sectionScopes(parametersKey string) (*policy.ParametersScope, *policy.LogsScope) {
	var parameters *policy.ParametersScope
	if s := p.boot.Parameters; s != nil {
		parameters = &policy.ParametersScope{
			Path:      s.Path,
			Decrypt:   len(p.args.SecretParameters) > 0,
			KMSKeyARN: parametersKey,
		}
	}
	var logs *policy.LogsScope
	if l := p.boot.Logs; l != nil {
		logs = &policy.LogsScope{LogGroupName: l.LogGroupName}
	}
	return parameters, logs
}

// sectionResources creates the parameters and the log group, and returns
// them: the first instance reads the one and writes to the other, so the
// group waits for both.
func (b *builder) sectionResources() ([]pulumi.Resource, error) {
	needed, err := b.parameterResources()
	if err != nil {
		return nil, err
	}
	if b.p.args.Logs != nil {
		group, err := b.logGroup()
		if err != nil {
			return nil, err
		}
		needed = append(needed, group)
	}
	return needed, nil
}
