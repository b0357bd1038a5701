package providertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/fakeaws"
	"github.com/selfhealing-dev/selfhealing/internal/pkgschema"
	"github.com/selfhealing-dev/selfhealing/internal/standin"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
	"github.com/selfhealing-dev/selfhealing/program"
)

// constructReal says whether components.SelfHealingInstanceArgs carries its
// pulumi tags. While false, constructing the real component must fail with
// the provider's "fields without a tag" error; set it true once the args
// are tagged (with pkgschema.FromStandIn = false), and the real component
// must construct the dev stack and refuse instanceType "NOPE".
const constructReal = !pkgschema.FromStandIn

// devStack is the stack whose config is the component's arguments in the
// Construct tests. devAdjust changes them before the call: edit it if the
// rewritten args name something differently from Pulumi.dev.yaml.
const devStack = "../../Pulumi.dev.yaml"

func devAdjust(inputs resource.PropertyMap) {}

// binaries are built once for all tests.
var realBinary, standInBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "providertest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	realBinary, standInBinary = filepath.Join(dir, "pulumi-resource-selfhealing"), filepath.Join(dir, "standinprovider")
	start := time.Now()
	err = Build(ctx, "../..", dir, "./cmd/pulumi-resource-selfhealing", "./internal/standin/standinprovider")
	fmt.Fprintf(os.Stderr, "providertest: built the providers in %s\n", time.Since(start).Round(time.Millisecond))
	cancel()
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func start(t *testing.T, binary string) (*Session, *fakeaws.Account) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	account := fakeaws.NewAccount("us-east-1")
	s, err := Start(ctx, binary, fakeaws.NewMonitor(account))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, account
}

func devInputs(t *testing.T) (resource.PropertyMap, map[string]string) {
	t.Helper()
	inputs, config, err := StackInputs(devStack, "selfhealing")
	if err != nil {
		t.Fatal(err)
	}
	devAdjust(inputs)
	return inputs, config
}

func construct(t *testing.T, s *Session, inputs resource.PropertyMap, config map[string]string) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.Construct(ctx, "selfhealing:index:SelfHealingInstance", "web", inputs, config, true)
}

// TestGetSchemaServesCommittedSchema: the provider serves schema.json.
func TestGetSchemaServesCommittedSchema(t *testing.T) {
	s, _ := start(t, realBinary)
	got, err := s.GetSchema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != string(pkgschema.JSON) {
		t.Fatalf("GetSchema returned %d bytes that differ from internal/pkgschema/schema.json", len(got))
	}
}

// TestStandInConstructsDevStack sends the dev stack's arguments through
// Construct to the stand-in component, and checks every one arrived, typed
// as the component declares it, with its defaults applied.
func TestStandInConstructsDevStack(t *testing.T) {
	s, _ := start(t, standInBinary)
	inputs, config := devInputs(t)
	res, err := construct(t, s, inputs, config)
	if err != nil {
		t.Fatalf("%v\nprovider stderr:\n%s", err, s.Stderr())
	}
	if res.URN != "urn:pulumi:test::selfhealing::selfhealing:index:SelfHealingInstance::web" {
		t.Errorf("URN = %s", res.URN)
	}
	if got := res.State["publicIp"]; !got.IsString() || got.StringValue() != "198.51.100.1" {
		t.Errorf("state publicIp = %v; state %v", got, res.State)
	}
	echoes := res.ByType(standin.EchoToken)
	if len(echoes) != 1 || echoes[0].ParentType != standin.TypeToken {
		t.Fatalf("want one ArgsEcho under the component, got %v", res.Resources)
	}
	got := echoes[0].Inputs.Mappable()
	want := map[string]any{
		"instanceType": "t4g.small",
		"ingress": []any{
			map[string]any{"description": "HTTP from anywhere", "protocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "cidrBlocks": []any{"0.0.0.0/0", "::/0"}},
			map[string]any{"description": "HTTPS from anywhere", "protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": []any{"0.0.0.0/0", "::/0"}},
		},
		"metadataHopLimit": 1.0,
		"tags":             map[string]any{"environment": "dev", "owner": "platform-team"},
		"userScript":       "#!/bin/bash\nset -euo pipefail\ndnf install -y nginx\nsystemctl enable --now nginx\n",
		"dataVolume": map[string]any{
			"sizeGiB": 8.0, "mountPath": "/srv/data",
			"volumeType": "gp3", "fsType": "ext4", "attachTimeoutSeconds": 300.0, "forceDetach": true, "deletionPolicy": "protect",
		},
	}
	for k, w := range want {
		if g := got[k]; !contains(g, w) {
			t.Errorf("%s reached the component as %#v, want %#v", k, g, w)
		}
	}
	// Everything else is a default, applied by the component.
	for k, w := range map[string]any{"enableSessionManager": true, "launchGate": true, "launchGateTimeoutSeconds": 600.0,
		"healthCheckGracePeriodSeconds": 300.0, "instanceRefresh": true} {
		if g := got[k]; g != w {
			t.Errorf("default %s = %#v, want %#v", k, g, w)
		}
	}
}

// TestStandInRefusesBadArgs: the component's own error, naming the field,
// comes back through Construct.
func TestStandInRefusesBadArgs(t *testing.T) {
	s, _ := start(t, standInBinary)
	inputs, config := devInputs(t)
	inputs["instanceType"] = resource.NewProperty("NOPE")
	_, err := construct(t, s, inputs, config)
	if err == nil || !strings.Contains(err.Error(), `instanceType "NOPE": want an EC2 instance type such as t3.micro or m7g.large`) {
		t.Fatalf("err = %v", err)
	}
}

// TestStandInRefusesWrongType: an argument of the wrong type is refused by
// CopyTo, naming it.
func TestStandInRefusesWrongType(t *testing.T) {
	s, _ := start(t, standInBinary)
	inputs, config := devInputs(t)
	inputs["metadataHopLimit"] = resource.NewProperty("one")
	_, err := construct(t, s, inputs, config)
	if err == nil || !strings.Contains(err.Error(), "metadataHopLimit") {
		t.Fatalf("err = %v", err)
	}
}

// TestRealConstructsDevStack constructs components.SelfHealingInstance with
// the dev stack's arguments against the fake AWS account, and checks the
// provider registers exactly what the Go program registers for the dev
// stack (internal/synth), resource by resource and input by input: a
// program in any language gets what the Go program gets. Until the args
// are tagged, the provider must refuse, saying why.
func TestRealConstructsDevStack(t *testing.T) {
	s, _ := start(t, realBinary)
	s.Stack = "dev"
	inputs, config := devInputs(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Construct(ctx, components.TypeToken, program.ComponentName, inputs, config, true)
	if !constructReal {
		if err == nil || !strings.Contains(err.Error(), "has fields without a `pulumi:\"name,optional\"` tag: SelfHealingInstanceArgs.InstanceType") {
			t.Fatalf("the untagged real args: err = %v, want the provider's missing-tag error", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%v\nprovider stderr:\n%s", err, s.Stderr())
	}
	t.Logf("%d registrations, %d invokes", len(res.Resources), len(res.Invokes))
	for _, key := range []string{"publicIp", "autoScalingGroupName", "dataVolumeId", "url"} {
		if _, ok := res.State[resource.PropertyKey(key)]; !ok {
			t.Errorf("state lacks %s: %v", key, res.State)
		}
	}
	want, err := synth.Run("../..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	var got []synth.Resource
	for _, r := range res.Resources {
		inputs, _ := synth.Plain(resource.NewProperty(r.Inputs)).(map[string]any)
		got = append(got, synth.Resource{Type: r.Type, Name: r.Name, Parent: r.ParentType, Inputs: inputs})
	}
	key := func(r synth.Resource) string { return r.Type + " " + r.Name }
	wantByKey := map[string]synth.Resource{}
	for _, r := range want.Resources {
		wantByKey[key(r)] = r
	}
	for _, g := range got {
		w, ok := wantByKey[key(g)]
		if !ok {
			t.Errorf("the provider registered %s, which the Go program does not", key(g))
			continue
		}
		delete(wantByKey, key(g))
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			t.Errorf("%s differs from the Go program's:\nprovider: %s\nprogram:  %s", key(g), gj, wj)
		}
	}
	for k := range wantByKey {
		t.Errorf("the provider did not register %s, which the Go program does", k)
	}
}

// TestRealRefusesBadArgs: instanceType "NOPE" comes back as the
// component's error naming the field (once the args are tagged).
func TestRealRefusesBadArgs(t *testing.T) {
	s, _ := start(t, realBinary)
	inputs, config := devInputs(t)
	inputs["instanceType"] = resource.NewProperty("NOPE")
	_, err := construct(t, s, inputs, config)
	want := `instanceType "NOPE": want an EC2 instance type such as t3.micro or m7g.large`
	if !constructReal {
		want = "has fields without a `pulumi:\"name,optional\"` tag"
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

// TestUnknownType: the provider refuses a type it does not construct.
func TestUnknownType(t *testing.T) {
	s, _ := start(t, standInBinary)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := s.Construct(ctx, "selfhealing:index:Nope", "x", resource.PropertyMap{}, nil, true)
	if err == nil || !strings.Contains(err.Error(), `unknown resource type "selfhealing:index:Nope"`) {
		t.Fatalf("err = %v", err)
	}
}

// contains reports whether got holds want: maps may have more keys than
// want names (the echo sends zero values too), everything else is equal.
func contains(got, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !contains(g[k], v) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !contains(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return got == want
}
