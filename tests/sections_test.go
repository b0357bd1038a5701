package tests

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/programrun"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
)

// runWithSecrets is runProgram with keys the stack holds as secrets.
func runWithSecrets(t *testing.T, overrides map[string]string, secretKeys ...string) (*fake.Monitor, error) {
	t.Helper()
	stack := *loadDev(t)
	stack.Config = maps.Clone(stack.Config)
	maps.Copy(stack.Config, overrides)
	stack.SecretKeys = append(slices.Clone(stack.SecretKeys), secretKeys...)
	monitor := fake.NewMonitor(fake.NewAccount(stack.Config["aws:region"]))
	_, err := programrun.Run(&stack, monitor, programrun.Deploy)
	return monitor, err
}

func TestParametersFromConfig(t *testing.T) {
	monitor, err := runWithSecrets(t, map[string]string{
		"selfhealing:parameters":       `{"greeting": "hello", "port": 8080, "debug": false}`,
		"selfhealing:secretParameters": `{"db-password": "hunter2"}`,
	}, "selfhealing:secretParameters")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range monitor.ByType("aws:ssm/parameter:Parameter") {
		name := p.Inputs["name"].StringValue()
		if v, ok := p.Inputs["insecureValue"]; ok {
			got[name] = v.StringValue()
		} else if p.Inputs["value"].ContainsSecrets() && p.Inputs["type"].StringValue() == "SecureString" {
			got[name] = "secret"
		}
	}
	want := map[string]string{
		"/selfhealing/dev/instance/greeting":    "hello",
		"/selfhealing/dev/instance/port":        "8080",
		"/selfhealing/dev/instance/debug":       "false",
		"/selfhealing/dev/instance/db-password": "secret",
	}
	if !maps.Equal(got, want) {
		t.Errorf("parameters = %v, want %v", got, want)
	}
	policy := only(t, monitor, "aws:iam/rolePolicy:RolePolicy")["policy"].(string)
	if !strings.Contains(policy, `"arn:aws:ssm:us-east-1:123456789012:parameter/selfhealing/dev/instance"`) || !strings.Contains(policy, "kms:Decrypt") {
		t.Errorf("policy = %s", policy)
	}
}

func TestSecretParametersMustBeSecret(t *testing.T) {
	monitor, err := runWithSecrets(t, map[string]string{"selfhealing:secretParameters": `{"db-password": "hunter2"}`})
	if err == nil {
		t.Fatal("plain-text secretParameters were accepted")
	}
	for _, want := range []string{"selfhealing:secretParameters", "not a secret", "pulumi config set --secret --path 'secretParameters.KEY'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the value: %v", err)
	}
	for _, r := range monitor.Resources() {
		if r.Custom {
			t.Errorf("%s was created despite the error", r.Type)
		}
	}
}

func TestBadSectionConfigNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       []string
	}{
		{"selfhealing:parameters", `{"a": {"b": 1}}`, []string{"selfhealing:parameters", "want a string"}},
		{"selfhealing:parameters", `["a"]`, []string{"selfhealing:parameters", "want "}},
		{"selfhealing:parameters", `{"db host": "x"}`, []string{`parameters["db host"]`}},
		{"selfhealing:logs", `{"extraFiles": ["/var/log/app.log"]}`, []string{"selfhealing:logs.retentionDays: required"}},
		{"selfhealing:logs", `{"retentionDays": 10}`, []string{"logs.retentionDays 10"}},
		{"selfhealing:logs", `{"retention": 30}`, []string{"selfhealing:logs", `unknown field "retention"`}},
		{"selfhealing:https", `{"domainName": "app.example.com", "email": "ops@example.com"}`, []string{"selfhealing:https.appPort: required"}},
		{"selfhealing:https", `{"domain": "app.example.com"}`, []string{"selfhealing:https", `unknown field "domain"`}},
		{"selfhealing:parametersKmsKeyArn", "alias/aws/ssm", []string{"parametersKmsKeyArn"}},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			monitor, err := runProgram(t, loadDev(t), map[string]string{tc.key: tc.value})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			for _, r := range monitor.Resources() {
				if r.Custom {
					t.Errorf("%s %s was created despite the bad configuration", r.Type, r.Name)
				}
			}
		})
	}
}

func TestASecretParameterThatCannotBeReadIsNotQuoted(t *testing.T) {
	_, err := runWithSecrets(t, map[string]string{"selfhealing:secretParameters": `{"db-password": ["hunter2"]}`}, "selfhealing:secretParameters")
	if err == nil || !strings.Contains(err.Error(), "selfhealing:secretParameters") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want a refusal that does not quote the secret", err)
	}
}

func TestEmptySectionObjectsTurnThemOn(t *testing.T) {
	requireRejected(t, loadDev(t), map[string]string{"selfhealing:logs": "{}"}, "selfhealing:logs.retentionDays: required")
	requireRejected(t, loadDev(t), map[string]string{"selfhealing:https": "{}"}, "selfhealing:https.domainName: required")
	// Empty maps are empty: no parameter.
	monitor, err := runProgram(t, loadDev(t), map[string]string{"selfhealing:parameters": "{}", "selfhealing:secretParameters": "{}"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(monitor.ByType("aws:ssm/parameter:Parameter")); n != 0 {
		t.Errorf("{} created %d parameters", n)
	}
}

func TestLogsAndHTTPSFromConfig(t *testing.T) {
	monitor, err := runProgram(t, loadDev(t), map[string]string{
		"selfhealing:logs":  `{"retentionDays": 0, "extraFiles": ["/var/log/nginx/access.log"]}`,
		"selfhealing:https": `{"domainName": "app.example.com", "email": "ops@example.com", "appPort": "8080", "staging": true}`,
		"selfhealing:dns":   `{"zoneId": "Z0123456789EXAMPLEZONE", "recordName": "app.example.com"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	group := only(t, monitor, "aws:cloudwatch/logGroup:LogGroup")
	if group["name"] != "/selfhealing/selfhealing/dev/instance" || group["retentionInDays"] != 0.0 {
		t.Errorf("log group = %v", group)
	}
	// The dev stack opens 80 and 443 to the world already: HTTPS adds no
	// rule that would repeat one.
	sg := only(t, monitor, "aws:ec2/securityGroup:SecurityGroup")
	if n := len(sg["ingress"].([]any)); n != 2 {
		t.Errorf("ingress has %d rules, want the dev stack's 2 and nothing repeated: %v", n, sg["ingress"])
	}
}

// synthStack runs synth, as `make synth` does, on a stack file with the
// project's Pulumi.yaml.
func synthStack(t *testing.T, stackFile string) *synth.Report {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "Pulumi.yaml"), string(project))
	writeFile(t, filepath.Join(dir, "Pulumi.s.yaml"), stackFile)
	report, err := synth.Run(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	return report
}

// TestSynthShowsTheSectionsResources sets secrets the way the CLI stores
// them, and turns all three options on at once: compressed, their boot
// script fits EC2's 16 KB.
func TestSynthShowsTheSectionsResources(t *testing.T) {
	report := synthStack(t, `config:
  aws:region: eu-west-1
  selfhealing:parameters:
    greeting: hello
  selfhealing:secretParameters:
    db-password:
      secure: AAABAKx3bm90LWEtcmVhbC1jaXBoZXJ0ZXh0
  selfhealing:logs:
    retentionDays: 30
  selfhealing:dns:
    zoneId: Z0123456789EXAMPLEZONE
    recordName: app.example.com
  selfhealing:https:
    domainName: app.example.com
    email: ops@example.com
    appPort: 8080
`)
	found := map[string]map[string]any{}
	for _, r := range report.Resources {
		if name, ok := r.Inputs["name"].(string); ok {
			found[r.Type+" "+name] = r.Inputs
		}
	}
	if p := found["aws:ssm/parameter:Parameter /selfhealing/s/instance/greeting"]; p == nil || p["insecureValue"] != "hello" || p["type"] != "String" {
		t.Errorf("greeting parameter = %v", p)
	}
	if p := found["aws:ssm/parameter:Parameter /selfhealing/s/instance/db-password"]; p == nil || p["value"] != synth.Secret || p["type"] != "SecureString" {
		t.Errorf("db-password parameter = %v, want a SecureString shown as %s", p, synth.Secret)
	}
	if g := found["aws:cloudwatch/logGroup:LogGroup /selfhealing/selfhealing/s/instance"]; g == nil || g["retentionInDays"] != 30.0 {
		t.Errorf("log group = %v", g)
	}
	var ports []float64
	for _, r := range report.Resources {
		if r.Type == "aws:ec2/securityGroup:SecurityGroup" {
			for _, rule := range r.Inputs["ingress"].([]any) {
				ports = append(ports, rule.(map[string]any)["fromPort"].(float64))
			}
		}
	}
	if !slices.Equal(ports, []float64{80, 443}) {
		t.Errorf("ingress ports = %v, want 80 and 443 from the https option", ports)
	}
}
