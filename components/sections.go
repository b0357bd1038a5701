package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// This file wires the optional sections (parameters, logs, https) into the
// component: validation, the checks that need the stack, the boot
// script's parameters, the policy's scope and the resources.

// validateSections checks the options' arguments; validate calls it.
func (a SelfHealingInstanceArgs) validateSections() []error {
	errs := a.validateParameters()
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

// checkSections checks what needs the stack and the account: the project
// name heads the parameters' path, keys must be in the stack's region, and
// the boot script with every option on must fit EC2's user-data limit.
// build calls it before it creates anything.
func (a SelfHealingInstanceArgs) checkSections(ctx *pulumi.Context, name string, env awsEnvironment) error {
	var errs []error
	if len(a.parameters()) > 0 {
		errs = append(errs, checkParametersPath(ctx.Project()))
	}
	if key, known := knownString(a.ParametersKMSKeyARN); known {
		errs = append(errs, a.parametersKeyRule(env)(key))
	}
	if a.Logs != nil {
		if key, known := knownString(a.Logs.KMSKeyARN); known {
			errs = append(errs, logsKeyRule(env)(key))
		}
	}
	if a.Logs != nil || a.HTTPS != nil || len(a.parameters()) > 0 {
		in := a.knownBootInputs(longestAllocationID, longestVolumeID)
		p := withSections(bootParams(a, AutoScalingGroupName(ctx.Project(), ctx.Stack(), name), in), ctx.Project(), ctx.Stack(), name, a)
		if _, err := userdata.Render(p); err != nil {
			errs = append(errs, fmt.Errorf("the boot script with logs, https or parameters does not fit: %w", err))
		}
	}
	return errors.Join(errs...)
}

// withSections adds the options' parts to the boot script's parameters.
func withSections(p userdata.Params, project, stack, name string, a SelfHealingInstanceArgs) userdata.Params {
	if a.Logs != nil {
		p.Logs = &userdata.LogsParams{LogGroupName: LogGroupName(project, stack, name), ExtraFiles: a.Logs.ExtraFiles}
	}
	if h := a.HTTPS; h != nil {
		p.HTTPS = &userdata.HTTPSParams{
			DomainName: h.DomainName, Email: h.Email, AppPort: h.AppPort, Staging: h.Staging,
			CertDir: h.certDir(a.DataVolume),
		}
	}
	if len(a.parameters()) > 0 {
		p.Parameters = &userdata.ParametersParams{Path: ParametersPath(project, stack, name)}
	}
	return p
}

// sectionScopes are what the options add to the instance role's policy,
// once the parameters' KMS key is known.
func sectionScopes(project, stack, name string, a SelfHealingInstanceArgs, parametersKey string) (*policy.ParametersScope, *policy.LogsScope) {
	var parameters *policy.ParametersScope
	if len(a.parameters()) > 0 {
		parameters = &policy.ParametersScope{
			Path:      ParametersPath(project, stack, name),
			Decrypt:   len(a.SecretParameters) > 0,
			KMSKeyARN: parametersKey,
		}
	}
	var logs *policy.LogsScope
	if a.Logs != nil {
		logs = &policy.LogsScope{LogGroupName: LogGroupName(project, stack, name)}
	}
	return parameters, logs
}

// newSectionResources creates the parameters and the log group, and returns
// them: the first instance reads the one and writes to the other, so the
// group waits for both.
func (c *SelfHealingInstance) newSectionResources(ctx *pulumi.Context, name, groupName string, a SelfHealingInstanceArgs,
	f flows, parent pulumi.ResourceOrInvokeOption,
) ([]pulumi.Resource, error) {
	needed, err := c.newParameters(ctx, name, groupName, a, f, parent)
	if err != nil {
		return nil, err
	}
	if a.Logs != nil {
		group, err := c.newLogGroup(ctx, name, *a.Logs, f, parent)
		if err != nil {
			return nil, err
		}
		needed = append(needed, group)
	}
	return needed, nil
}
