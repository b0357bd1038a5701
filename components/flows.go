package components

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// flows are the args' input values as the resources take them: an output
// checked by its field's rule when it resolves (see inputs.go); a literal,
// checked when the plan was made, as it is.
type flows struct {
	// tags are the user's tags plus Name (resourceTags).
	tags pulumi.StringMapOutput
	// userScript, healthURL and healthCommand go into the boot script.
	userScript, healthURL, healthCommand pulumi.StringOutput
	// The KMS keys, each "" when unset.
	volumeKey, parametersKey, logsKey pulumi.StringOutput
}

// newFlows checks the inputs that several resources share. The others
// (subnets, ingress blocks, the Elastic IP, the hosted zone, the topic,
// the snapshot role, parameter values) are checked where they are used.
func newFlows(p *plan) flows {
	a, env := p.args, p.env
	f := flows{
		tags: checkedStringMap(a.Tags, func(m map[string]string) error { return errors.Join(validateTags(m)...) }).
			ApplyT(func(m map[string]string) map[string]string { return resourceTags(p.groupName, m) }).(pulumi.StringMapOutput),
		userScript:    checkedString(a.UserScript, func(string) error { return nil }), // its size is checked with the boot script
		healthURL:     pulumi.String("").ToStringOutput(),
		healthCommand: pulumi.String("").ToStringOutput(),
		volumeKey:     pulumi.String("").ToStringOutput(),
		parametersKey: checkedString(a.ParametersKMSKeyARN, parametersKMSKey.rule(env)),
		logsKey:       pulumi.String("").ToStringOutput(),
	}
	if h := a.AppHealthCheck; h != nil {
		f.healthURL = checkedString(h.URL, healthURLRule("appHealthCheck"))
		f.healthCommand = checkedString(h.Command, healthCommandRule("appHealthCheck"))
	}
	if v := a.DataVolume; v != nil {
		f.volumeKey = checkedString(v.KMSKeyARN, volumeKMSKey.rule(env))
	}
	if l := a.Logs; l != nil {
		f.logsKey = checkedString(l.KMSKeyARN, logsKMSKey.rule(env))
	}
	return f
}

// bootInputs waits for every value the boot script carries.
func (f flows) bootInputs(allocationID, publicIP, volumeID, interfaceID pulumi.StringOutput) pulumi.AnyOutput {
	return pulumi.All(allocationID, volumeID, f.userScript, f.healthURL, f.healthCommand, interfaceID, publicIP).ApplyT(func(v []any) bootInputs {
		return bootInputs{
			AllocationID: v[0].(string), VolumeID: v[1].(string), UserScript: v[2].(string),
			HealthURL: v[3].(string), HealthCommand: v[4].(string), NetworkInterfaceID: v[5].(string), PublicIP: v[6].(string),
		}
	}).(pulumi.AnyOutput)
}
