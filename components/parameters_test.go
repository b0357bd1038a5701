package components_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

const (
	typeParameter    = "aws:ssm/parameter:Parameter"
	parametersARN    = "arn:aws:ssm:eu-west-1:123456789012:parameter/proj/test/bastion"
	secretTestValue  = "hunter2-do-not-print"
	ssmKeyARNInStack = "arn:aws:kms:eu-west-1:123456789012:key/0000aaaa-12ab-34cd-56ef-1234567890ab"
)

func withParameters() *components.SelfHealingInstanceArgs {
	return &components.SelfHealingInstanceArgs{
		Parameters:       pulumi.ToStringMap(map[string]string{"greeting": "hello", "api.url": "https://api.example.com/v1?x=1"}),
		SecretParameters: pulumi.ToStringMap(map[string]string{"db-password": secretTestValue}),
	}
}

// parametersByName returns the registered parameters by their Parameter
// Store name, with their raw inputs (secrets still marked).
func parametersByName(d *deployment) map[string]resource.PropertyMap {
	out := map[string]resource.PropertyMap{}
	for _, r := range d.Monitor.ByType(typeParameter) {
		out[r.Inputs["name"].StringValue()] = r.Inputs
	}
	return out
}

func TestParametersBecomeStringsAndSecureStringsUnderTheComponentsPath(t *testing.T) {
	d := mustDeploy(t, withParameters())
	params := parametersByName(d)
	if len(params) != 3 {
		t.Fatalf("want 3 parameters, got %v", params)
	}
	for name, want := range map[string]string{"/proj/test/bastion/greeting": "hello", "/proj/test/bastion/api.url": "https://api.example.com/v1?x=1"} {
		in := params[name]
		if in == nil {
			t.Fatalf("no parameter %s", name)
		}
		if in["type"].StringValue() != "String" || !in["insecureValue"].IsString() || in["insecureValue"].StringValue() != want || in["tier"].StringValue() != "Standard" {
			t.Errorf("%s: type %v, insecureValue %v, tier %v; want a Standard String %q", name, in["type"], in["insecureValue"], in["tier"], want)
		}
		if _, ok := in["value"]; ok {
			t.Errorf("%s: a plain parameter has a value %v besides its insecureValue", name, in["value"])
		}
	}
	secret := params["/proj/test/bastion/db-password"]
	if secret == nil || secret["type"].StringValue() != "SecureString" {
		t.Fatalf("db-password: %v, want a SecureString", secret)
	}
	if !secret["value"].ContainsSecrets() {
		t.Errorf("db-password's value is not a Pulumi secret: it would be stored in plain text in the state")
	}
	if v, ok := secret["insecureValue"]; ok {
		t.Errorf("db-password has an insecureValue %v, which previews show", v)
	}
	if _, ok := secret["keyId"]; ok {
		t.Errorf("keyId = %v, want unset: the AWS managed key alias/aws/ssm", secret["keyId"])
	}
	if got := secret["description"].StringValue(); !strings.Contains(got, "$DB_PASSWORD") {
		t.Errorf("description %q does not say which variable it becomes", got)
	}
}

func TestSecretParametersWithACustomerKey(t *testing.T) {
	args := withParameters()
	args.ParametersKMSKeyARN = pulumi.String(ssmKeyARNInStack)
	d := mustDeploy(t, args)
	if got := parametersByName(d)["/proj/test/bastion/db-password"]["keyId"]; got.StringValue() != ssmKeyARNInStack {
		t.Errorf("keyId = %v, want %s", got, ssmKeyARNInStack)
	}
	if got := parametersByName(d)["/proj/test/bastion/greeting"]["keyId"]; !got.IsNull() {
		t.Errorf("a String parameter has keyId %v", got)
	}
	st := statement(t, d.RolePolicy(), "DecryptThisInstancesSecureStringsThroughSSM")
	if !slices.Equal(st.Resource, []string{ssmKeyARNInStack}) {
		t.Errorf("kms:Decrypt on %v, want only the customer key %s", st.Resource, ssmKeyARNInStack)
	}
}

// TestInstanceReadsOnlyItsOwnParameters fails if any resource, action or
// condition of the parameters' statements is widened.
func TestInstanceReadsOnlyItsOwnParameters(t *testing.T) {
	doc := mustDeploy(t, withParameters()).RolePolicy()
	read := statement(t, doc, "ReadThisInstancesParameters")
	if !slices.Equal(read.Action, []string{"ssm:GetParametersByPath"}) {
		t.Errorf("parameters statement allows %v, want only ssm:GetParametersByPath", read.Action)
	}
	if !slices.Equal(read.Resource, []string{parametersARN, parametersARN + "/*"}) {
		t.Errorf("GetParametersByPath on %v, want the path %s and what is under it", read.Resource, parametersARN)
	}
	decrypt := statement(t, doc, "DecryptThisInstancesSecureStringsThroughSSM")
	if !slices.Equal(decrypt.Action, []string{"kms:Decrypt"}) {
		t.Errorf("decrypt statement allows %v, want only kms:Decrypt", decrypt.Action)
	}
	if !slices.Equal(decrypt.Resource, []string{"arn:aws:kms:eu-west-1:123456789012:key/*"}) {
		t.Errorf("kms:Decrypt on %v, want this account's and region's keys (alias/aws/ssm's ARN is unknown before use)", decrypt.Resource)
	}
	want := map[string]map[string]any{
		"StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"},
		"StringLike":   {"kms:EncryptionContext:PARAMETER_ARN": parametersARN + "/*"},
	}
	if len(decrypt.Condition) != len(want) {
		t.Errorf("conditions = %v, want %v", decrypt.Condition, want)
	}
	for op, keys := range want {
		for key, value := range keys {
			if decrypt.Condition[op][key] != value {
				t.Errorf("condition %s %s = %v, want %v", op, key, decrypt.Condition[op][key], value)
			}
		}
	}
	for _, st := range doc.Statement {
		for _, action := range st.Action {
			// Session Manager's ssm:UpdateInstanceInformation supports no
			// resource type and reads no parameter.
			if (strings.HasPrefix(action, "ssm:") || strings.HasPrefix(action, "kms:")) && !slices.Contains(policy.SessionManagerActions, action) {
				if slices.Contains(st.Resource, "*") || strings.HasSuffix(action, "*") {
					t.Errorf("%s: %v on %v is wider than this instance's parameters", st.Sid, st.Action, st.Resource)
				}
			}
		}
	}
}

func TestPlainParametersNeedNoDecrypt(t *testing.T) {
	doc := mustDeploy(t, &components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(map[string]string{"greeting": "hello"})}).RolePolicy()
	statement(t, doc, "ReadThisInstancesParameters")
	for _, st := range doc.Statement {
		if slices.Contains(st.Action, "kms:Decrypt") {
			t.Errorf("without secret parameters the role may still %v on %v", st.Action, st.Resource)
		}
	}
}

func TestNoParametersByDefault(t *testing.T) {
	d := mustDeploy(t, nil)
	if n := len(d.Monitor.ByType(typeParameter)); n != 0 {
		t.Errorf("default args created %d parameters", n)
	}
	for _, st := range d.RolePolicy().Statement {
		for _, action := range st.Action {
			if slices.Contains(policy.SessionManagerActions, action) {
				continue // TestSessionManagerNeedsNoManagedPolicy
			}
			if strings.HasPrefix(action, "ssm:") || strings.HasPrefix(action, "kms:") || strings.HasPrefix(action, "logs:") {
				t.Errorf("default role may %s", action)
			}
		}
	}
	if strings.Contains(d.BootScript(), "get-parameters-by-path") {
		t.Errorf("the default boot script reads Parameter Store")
	}
}

func TestBootScriptLoadsTheComponentsPath(t *testing.T) {
	d := mustDeploy(t, withParameters())
	script := d.BootScript()
	if !strings.Contains(script, "readonly parameters_path='/proj/test/bastion'") {
		t.Errorf("the boot script does not load /proj/test/bastion")
	}
	if strings.Contains(script, secretTestValue) || strings.Contains(script, "hello") {
		t.Errorf("a parameter's value is in the user data; it must stay in Parameter Store")
	}
	deps := d.One("aws:autoscaling/group:Group").Dependencies
	for _, p := range d.Monitor.ByType(typeParameter) {
		if !slices.Contains(deps, p.URN) {
			t.Errorf("the group does not wait for %s, which its first instance reads", p.Name)
		}
	}
}

func TestBadParametersAreRefusedNamingTheKey(t *testing.T) {
	long := strings.Repeat("v", 4097)
	many := map[string]string{}
	for i := range components.MaxParameters + 1 {
		many["k"+strings.Repeat("x", i)] = "v"
	}
	for _, tc := range []struct {
		name string
		args components.SelfHealingInstanceArgs
		want []string
	}{
		{"bad characters", components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(map[string]string{"db host": "x"})}, []string{`parameters["db host"]`, "A-Z a-z 0-9 _ . -"}},
		{"nested key", components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(map[string]string{"db/host": "x"})}, []string{`parameters["db/host"]`, "do not nest"}},
		{"two keys, one variable", components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(map[string]string{"db-host": "x"}), SecretParameters: pulumi.ToStringMap(map[string]string{"DB_HOST": "y"})},
			[]string{`secretParameters["DB_HOST"]`, `parameters["db-host"]`, "both become the variable DB_HOST"}},
		{"digit first", components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(map[string]string{"1password": "x"})}, []string{`parameters["1password"]`, "1PASSWORD", "digit"}},
		{"reserved", components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(map[string]string{"path": "/tmp"})}, []string{`parameters["path"]`, "PATH", "reserved"}},
		{"aws prefix", components.SelfHealingInstanceArgs{SecretParameters: pulumi.ToStringMap(map[string]string{"aws_secret_access_key": "x"})}, []string{`secretParameters["aws_secret_access_key"]`, "AWS_"}},
		{"empty value", components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(map[string]string{"empty": ""})}, []string{`parameters["empty"]`, "empty"}},
		{"value too big", components.SelfHealingInstanceArgs{SecretParameters: pulumi.ToStringMap(map[string]string{"cert": long})}, []string{`secretParameters["cert"]`, "4097 bytes", "4096"}},
		{"NUL", components.SelfHealingInstanceArgs{SecretParameters: pulumi.ToStringMap(map[string]string{"k": "a\x00" + secretTestValue})}, []string{`secretParameters["k"]`, "NUL"}},
		{"too many", components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(many)}, []string{"parameters and secretParameters", "101", "at most 100"}},
		{"key without secrets", components.SelfHealingInstanceArgs{Parameters: pulumi.ToStringMap(map[string]string{"a": "b"}), ParametersKMSKeyARN: pulumi.String(ssmKeyARNInStack)}, []string{"parametersKmsKeyArn", "without secretParameters"}},
		{"alias, not a key", components.SelfHealingInstanceArgs{SecretParameters: pulumi.ToStringMap(map[string]string{"a": "b"}), ParametersKMSKeyARN: pulumi.String("alias/mine")}, []string{"parametersKmsKeyArn", `"alias/mine"`, "not an alias"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, &tc.args)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), secretTestValue) || strings.Contains(err.Error(), long) {
				t.Errorf("the error quotes a value")
			}
			if n := len(d.Monitor.Resources()); n != 0 {
				t.Errorf("%d resources were registered before the error", n)
			}
		})
	}
}

// TestKeysThatChangeHowProgramsRunAreRefused: a key whose variable bash,
// the dynamic loader or the locale read is refused at preview, however
// harmless its value, naming the field, the variable and who reads it.
func TestKeysThatChangeHowProgramsRunAreRefused(t *testing.T) {
	for key, reader := range map[string]string{
		"SHELLOPTS": "bash", "BASHOPTS": "bash", "bash_env": "bash", "BASH_FUNC_x": "bash", "IFS": "bash",
		"path": "bash", "PS4": "bash", "funcnest": "bash", "GLOBIGNORE": "bash", "execignore": "bash",
		"CDPATH": "bash", "posixly-correct": "bash", "TMOUT": "bash", "ld-preload": "dynamic loader",
		"lc.all": "locale",
	} {
		t.Run(key, func(t *testing.T) {
			for field, args := range map[string]*components.SelfHealingInstanceArgs{
				fmt.Sprintf("parameters[%q]", key):       {Parameters: pulumi.ToStringMap(map[string]string{key: "harmless"})},
				fmt.Sprintf("secretParameters[%q]", key): {SecretParameters: pulumi.ToStringMap(map[string]string{key: secretTestValue})},
			} {
				_, err := deploy(t, args)
				if err == nil {
					t.Fatalf("%s: accepted", field)
				}
				for _, want := range []string{field, "variable " + userdata.EnvName(key), "reserved", reader} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}
				if strings.Contains(err.Error(), secretTestValue) {
					t.Errorf("the error quotes a value: %v", err)
				}
			}
		})
	}
}

func TestParametersKeyInAnotherRegionIsRefused(t *testing.T) {
	args := withParameters()
	args.ParametersKMSKeyARN = pulumi.String("arn:aws:kms:us-east-1:123456789012:key/0000aaaa-12ab-34cd-56ef-1234567890ab")
	d, err := deploy(t, args)
	if err == nil || !strings.Contains(err.Error(), "parametersKmsKeyArn") || !strings.Contains(err.Error(), "us-east-1") {
		t.Fatalf("err = %v, want a refusal of the us-east-1 key", err)
	}
	for _, r := range d.Monitor.Resources() {
		if r.Custom {
			t.Errorf("%s was created before the error", r.Type)
		}
	}
}

func TestProjectsParameterStoreWouldRefuseAreRefused(t *testing.T) {
	for _, project := range []string{"aws-infra", "SSMtools"} {
		var constructErr error
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			_, constructErr = components.NewSelfHealingInstance(ctx, "web", withParameters())
			return nil
		}, pulumi.WithMocks(project, "dev", fake.NewMonitor(fake.NewAccount("eu-west-1"))))
		if err != nil {
			t.Fatal(err)
		}
		if constructErr == nil || !strings.Contains(constructErr.Error(), `"aws" or "ssm"`) {
			t.Errorf("project %q: err = %v, want a refusal of the path /%s/dev/web", project, constructErr, project)
		}
	}
}
