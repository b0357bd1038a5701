package components

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// MaxParameters bounds Parameters and SecretParameters together. Each is a
// resource in the stack and a tenth of a GetParametersByPath page at boot;
// Parameter Store's Standard tier allows 10,000 per account and region.
const MaxParameters = 100

// maxParameterValueBytes is Parameter Store's Standard tier value limit.
// The Advanced tier's 8 KB costs $0.05 a parameter a month; a value that
// large belongs in S3 or Secrets Manager.
const maxParameterValueBytes = 4096

// maxParameterKeyLength keeps keys readable as variable names, and full
// parameter ARNs well inside Parameter Store's 1011 characters.
const maxParameterKeyLength = 128

// parameterKeyPattern is what Parameter Store allows in a name, less "/":
// keys are one level below the component's path.
var parameterKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ParametersPath returns the Parameter Store path a component's parameters
// live under, "/<project>/<stack>/<component>". The instance may read this
// path and nothing else.
func ParametersPath(project, stack, component string) string {
	return "/" + project + "/" + stack + "/" + component
}

// parameter is one entry of Parameters or SecretParameters.
type parameter struct {
	field, key string
	value      pulumi.StringInput
	secret     bool
}

// parameters returns every parameter, secret or not, sorted by key.
func (a SelfHealingInstanceArgs) parameters() []parameter {
	var out []parameter
	for _, key := range slices.Sorted(maps.Keys(a.Parameters)) {
		out = append(out, parameter{field: fmt.Sprintf("parameters[%q]", key), key: key, value: a.Parameters[key]})
	}
	for _, key := range slices.Sorted(maps.Keys(a.SecretParameters)) {
		out = append(out, parameter{field: fmt.Sprintf("secretParameters[%q]", key), key: key, value: a.SecretParameters[key], secret: true})
	}
	slices.SortStableFunc(out, func(x, y parameter) int { return strings.Compare(x.key, y.key) })
	return out
}

// validateParameters checks keys, values, the variable names they become,
// and the key for SecureStrings. A secret value is never quoted.
func (a SelfHealingInstanceArgs) validateParameters() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	all := a.parameters()
	if len(all) > MaxParameters {
		bad("parameters and secretParameters: %d in all; want at most %d", len(all), MaxParameters)
	}
	byEnvName := map[string]parameter{}
	for _, p := range all {
		envName := userdata.EnvName(p.key)
		switch {
		case len(p.key) > maxParameterKeyLength || !parameterKeyPattern.MatchString(p.key):
			bad("%s: want a key of 1 to %d of A-Z a-z 0-9 _ . - (Parameter Store's characters; keys do not nest)", p.field, maxParameterKeyLength)
		case userdata.EnvNameProblem(envName) != "":
			bad("%s: becomes the variable %s, which cannot be used: %s", p.field, envName, userdata.EnvNameProblem(envName))
		case byEnvName[envName].key != "":
			bad("%s and %s: both become the variable %s; rename one", byEnvName[envName].field, p.field, envName)
		default:
			byEnvName[envName] = p
		}
		if value, known := knownString(p.value); known && p.value != nil {
			if err := p.valueRule(value); err != nil {
				errs = append(errs, err)
			}
		} else if p.value == nil {
			bad("%s: the value is empty; Parameter Store stores no empty value, so remove the key or give it one", p.field)
		}
	}
	if isSet(a.ParametersKMSKeyARN) && len(a.SecretParameters) == 0 {
		bad("parametersKmsKeyArn: set without secretParameters; it encrypts only those, so remove it or add some")
	}
	if key, known := knownString(a.ParametersKMSKeyARN); known {
		if err := parametersKMSKey.checkPattern(key); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// valueRule is the rule for p's value: what Parameter Store stores and an
// environment variable can hold.
func (p parameter) valueRule(value string) error {
	switch {
	case value == "":
		return fmt.Errorf("%s: the value is empty; Parameter Store stores no empty value, so remove the key or give it one", p.field)
	case len(value) > maxParameterValueBytes:
		return fmt.Errorf("%s: the value is %d bytes; Parameter Store's Standard tier holds at most %d", p.field, len(value), maxParameterValueBytes)
	case strings.ContainsRune(value, 0) || !utf8.ValidString(value):
		return fmt.Errorf("%s: the value holds a NUL byte or invalid UTF-8, which no environment variable can", p.field)
	}
	return nil
}

// checkParametersPath refuses a project whose name Parameter Store would
// refuse at the head of a path: names may not begin with "aws" or "ssm".
func checkParametersPath(project string) error {
	lower := strings.ToLower(project)
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		return fmt.Errorf("parameters: the project name %q starts the parameters' path %s, and Parameter Store refuses names that begin with \"aws\" or \"ssm\"; rename the project",
			project, ParametersPath(project, "<stack>", "<name>"))
	}
	return nil
}

// parameterResources creates one Parameter Store parameter per entry:
// String for Parameters, SecureString for SecretParameters, whose values
// stay Pulumi secrets in the state.
func (b *builder) parameterResources() ([]pulumi.Resource, error) {
	p := b.p
	path := ParametersPath(p.project, p.stack, p.name)
	var created []pulumi.Resource
	for _, entry := range p.parameters {
		value := checkedString(entry.value, entry.valueRule)
		args := &ssm.ParameterArgs{
			Name:        pulumi.String(path + "/" + entry.key),
			Description: pulumi.String("Configuration of self-healing instance " + p.groupName + ", exported to its user script as $" + userdata.EnvName(entry.key)),
			Type:        pulumi.String("String"),
			Tier:        pulumi.String("Standard"),
			// A plain value shows in previews and diffs; the provider
			// would otherwise hide every value as a secret.
			InsecureValue: value,
			Tags:          p.flows.tags,
		}
		if entry.secret {
			args.Type = pulumi.String("SecureString")
			args.InsecureValue = nil
			args.Value = pulumi.ToSecret(value).(pulumi.StringOutput)
			args.KeyId = optionalOutput(p.flows.parametersKey) // empty: alias/aws/ssm
		}
		param, err := ssm.NewParameter(b.ctx, p.name+"-param-"+entry.key, args, b.parent)
		if err != nil {
			return nil, fmt.Errorf("creating the parameter %s: %w", entry.key, err)
		}
		created = append(created, param)
	}
	return created, nil
}
