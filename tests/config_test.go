package tests

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/program"
)

// The stack's configuration and the component's args are one model: each
// key Pulumi.yaml declares is the `pulumi` tag of one args field, and each
// declared default is what the component does with the field unset.

// undeclaredKeys are the args fields Pulumi.yaml leaves out: unset, each
// means something no value means ("off", or "the component decides"), so
// it can have no default, and the Pulumi CLI refuses every stack that does
// not set a key declared without a default. The program still refuses a
// key it does not know (tests/unknownkey_test.go).
var undeclaredKeys = []string{"alarms", "appHealthCheck", "dataVolume", "dns", "https", "launchGateTimeoutSeconds", "logs", "networkInterface", "notifications", "schedule", "subnetIds", "warmPoolState"}

func TestPulumiYamlDeclaresEveryArgsFieldWithADefault(t *testing.T) {
	project := loadProject(t)
	var declared []string
	for name, decl := range project.Config {
		declared = append(declared, name)
		if decl.Type == nil || decl.Description == "" {
			t.Errorf("config %s: type %v, description %q; want both", name, decl.Type, decl.Description)
		}
		// The CLI takes a key declared without a default as required of
		// every stack: `Stack 'dev' is missing configuration values ...`.
		if decl.Default == nil {
			t.Errorf("config %s: declared without a default, so the Pulumi CLI would refuse every stack that does not set it; leave it undeclared", name)
		}
	}
	slices.Sort(declared)
	want := slices.DeleteFunc(slices.Clone(program.Keys()), func(k string) bool { return slices.Contains(undeclaredKeys, k) })
	slices.Sort(want)
	if !slices.Equal(declared, want) {
		t.Errorf("Pulumi.yaml declares %v; want the args' fields less %v: %v", declared, undeclaredKeys, want)
	}
	for _, key := range undeclaredKeys {
		if !slices.Contains(program.Keys(), key) {
			t.Errorf("%s is listed as undeclared but is no field of the args", key)
		}
	}
}

// A declared default, decoded as the CLI hands it to the program, must
// leave the args as the component treats an unset field: otherwise
// `pulumi up` and a program that imports the component differ.
func TestPulumiYamlDefaultsAreTheComponentsDefaults(t *testing.T) {
	project := loadProject(t)
	unset := plainView(reflect.ValueOf(components.SelfHealingInstanceArgs{}.WithDefaults()))
	withDefaults := 0
	for _, key := range program.Keys() {
		decl, ok := project.Config[key]
		if !ok || decl.Default == nil {
			continue
		}
		withDefaults++
		args, err := program.Decode("selfhealing", map[string]string{key: configText(t, decl.Default)}, func(string) bool { return false })
		if err != nil {
			t.Errorf("Pulumi.yaml's default of %s does not decode: %v", key, err)
			continue
		}
		got := plainView(reflect.ValueOf(args.WithDefaults()))
		if !reflect.DeepEqual(got, unset) {
			t.Errorf("Pulumi.yaml's default of %s is %v, but the component's differs:\n with it:    %v\n without it: %v", key, decl.Default, got, unset)
		}
	}
	if withDefaults < 10 {
		t.Errorf("only %d keys declare a default; the check has nothing to compare", withDefaults)
	}
}

// The check above must catch a default that differs.
func TestADefaultThatDiffersIsCaught(t *testing.T) {
	unset := plainView(reflect.ValueOf(components.SelfHealingInstanceArgs{}.WithDefaults()))
	for key, raw := range map[string]string{"instanceType": "t3.small", "metadataHopLimit": "2", "launchGate": "false", "amiId": "ami-0123456789abcdef0"} {
		args, err := program.Decode("selfhealing", map[string]string{key: raw}, func(string) bool { return false })
		if err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(plainView(reflect.ValueOf(args.WithDefaults())), unset) {
			t.Errorf("%s=%s reads as the default", key, raw)
		}
	}
}

func TestStacksSetOnlyDeclaredKeys(t *testing.T) {
	for _, stack := range exampleStacks {
		cfg := loadStack(t, stack)
		for key := range cfg.Config {
			namespace, name, _ := strings.Cut(key, ":")
			if namespace == cfg.Project && !slices.Contains(program.Keys(), name) {
				t.Errorf("Pulumi.%s.yaml sets %s, which is no field of the component's args", stack, key)
			}
		}
	}
}

func TestConfigDecodesIntoTheArgsAndNamesEveryBadKey(t *testing.T) {
	secret := func(key string) bool { return key == "userScript" || key == "secretParameters" }
	args, err := program.Decode("selfhealing", map[string]string{
		"instanceType":     "t4g.small",
		"subnetIds":        `["subnet-0123456789abcdef0"]`,
		"ingress":          `[{"protocol":"tcp","fromPort":"443","toPort":443,"cidrBlocks":["0.0.0.0/0"]}]`,
		"launchGate":       "false",
		"metadataHopLimit": "2",
		"userScript":       "echo hi",
		"parameters":       `{"port":8080,"debug":true,"name":"x"}`,
		"secretParameters": `{"token":"s3cret"}`,
		"dataVolume":       `{"sizeGiB":8,"forceDetach":false,"snapshots":{"timeUtc":"03:00"}}`,
		"notifications":    `{}`,
		"alarms":           `{"memory":{"threshold":85,"periodSeconds":120,"evaluationPeriods":3},"cpuCredits":{"disabled":true}}`,
	}, secret)
	if err != nil {
		t.Fatal(err)
	}
	if args.InstanceType != "t4g.small" || *args.LaunchGate || *args.MetadataHopLimit != 2 ||
		args.DataVolume.SizeGiB != 8 || *args.DataVolume.ForceDetach || args.DataVolume.Snapshots.TimeUTC != "03:00" ||
		args.Notifications == nil || args.Ingress[0].FromPort != 443 ||
		*args.Alarms.Memory.Threshold != 85 || *args.Alarms.Memory.PeriodSeconds != 120 || *args.Alarms.Memory.EvaluationPeriods != 3 ||
		!args.Alarms.CPUCredits.Disabled || args.Alarms.RootDisk != nil {
		t.Errorf("decoded %+v", args)
	}
	if got := args.Parameters["port"]; got != pulumi.String("8080") {
		t.Errorf("parameters.port = %v, want the text 8080", got)
	}
	if _, literal := args.UserScript.(pulumi.String); literal {
		t.Error("a secret userScript became a plain literal; want a secret output")
	}

	_, err = program.Decode("selfhealing", map[string]string{
		"metadataHopLimit":  "two",
		"ingress":           `[{"protocol":"tcp","toPort":443,"cidrBlocks":["0.0.0.0/0"],"port":1}]`,
		"dataVolume":        `{"sizeGib":8}`,
		"secretParameters":  `{"token":["s3cret"]}`,
		"launchGateTimeout": "600",
	}, func(key string) bool { return key == "secretParameters" })
	for _, want := range []string{
		"config selfhealing:metadataHopLimit: want a whole number",
		"config selfhealing:ingress[0].fromPort: required",
		`config selfhealing:ingress[0]: unknown field "port"`,
		`config selfhealing:dataVolume: unknown field "sizeGib"`,
		`config selfhealing:secretParameters["token"]: want a string`,
		"config selfhealing:launchGateTimeout: unknown key",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v; want it to say %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error quotes a secret: %v", err)
	}
}

func TestSecretParametersMustBeSecretInTheStackFile(t *testing.T) {
	_, err := program.Decode("selfhealing", map[string]string{"secretParameters": `{"token":"x"}`}, func(string) bool { return false })
	if err == nil || !strings.Contains(err.Error(), "secretParameters: is not a secret") {
		t.Errorf("error %v; want secretParameters refused in plain text", err)
	}
}

func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	project, err := workspace.LoadProject(filepath.Join(repoRoot, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return project
}

// configText is a declared default as the CLI hands it to a program: a
// string's text, JSON for the rest.
func configText(t *testing.T, v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// plainView is v with every literal input replaced by its value, and every
// empty input, collection or pointer-to-empty replaced by nil, so that an
// unset field and its declared empty default compare equal.
func plainView(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case pulumi.String:
		if x == "" {
			return nil
		}
		return string(x)
	case pulumi.StringArray:
		if len(x) == 0 {
			return nil
		}
	case pulumi.StringMap:
		if len(x) == 0 {
			return nil
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return []any{"ptr", plainView(v.Elem())}
	case reflect.Struct:
		out := map[string]any{}
		for i := range v.NumField() {
			if f := plainView(v.Field(i)); f != nil {
				out[v.Type().Field(i).Name] = f
			}
		}
		return out
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		return fmt.Sprintf("%#v", v.Interface())
	case reflect.String:
		if v.String() == "" {
			return nil
		}
	}
	return v.Interface()
}
