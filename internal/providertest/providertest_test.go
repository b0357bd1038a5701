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
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/pkgschema"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
	"github.com/selfhealing-dev/selfhealing/program"
)

// devStack is the stack whose config is the component's arguments in the
// Construct tests. devAdjust changes them before the call: edit it if the
// rewritten args name something differently from Pulumi.dev.yaml.
const devStack = "../../Pulumi.dev.yaml"

func devAdjust(inputs resource.PropertyMap) {}

// binaries are built once for all tests.
var realBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "providertest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	realBinary = filepath.Join(dir, "pulumi-resource-selfhealing")
	start := time.Now()
	err = Build(ctx, "../..", dir, "./cmd/pulumi-resource-selfhealing")
	fmt.Fprintf(os.Stderr, "providertest: built the provider in %s\n", time.Since(start).Round(time.Millisecond))
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

func start(t *testing.T, binary string) (*Session, *fake.Account) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	account := fake.NewAccount("us-east-1")
	s, err := Start(ctx, binary, fake.NewMonitor(account))
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

// TestRealRefusesWrongType: an argument of the wrong type is refused by
// CopyTo, naming it.
func TestRealRefusesWrongType(t *testing.T) {
	s, _ := start(t, realBinary)
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
// program in any language gets what the Go program gets.
func TestRealConstructsDevStack(t *testing.T) {
	s, _ := start(t, realBinary)
	s.Stack = "dev"
	inputs, config := devInputs(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Construct(ctx, components.TypeToken, program.ComponentName, inputs, config, true)
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
	got := synth.Resources(res.Resources)
	key := func(r synth.Resource) string { return r.Type + " " + r.Name }
	// What the provider and the program register: a component's URN
	// depends on who registered it, so it is left out.
	registered := func(r synth.Resource) synth.Resource {
		return synth.Resource{Type: r.Type, Name: r.Name, Parent: r.Parent, Options: r.Options, Inputs: r.Inputs, BootScript: r.BootScript}
	}
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
		gj, _ := json.Marshal(registered(g))
		wj, _ := json.Marshal(registered(w))
		if string(gj) != string(wj) {
			t.Errorf("%s differs from the Go program's:\nprovider: %s\nprogram:  %s", key(g), gj, wj)
		}
	}
	for k := range wantByKey {
		t.Errorf("the provider did not register %s, which the Go program does", k)
	}
}

// TestRealRefusesBadArgs: instanceType "NOPE" comes back as the
// component's error naming the field.
func TestRealRefusesBadArgs(t *testing.T) {
	s, _ := start(t, realBinary)
	inputs, config := devInputs(t)
	inputs["instanceType"] = resource.NewProperty("NOPE")
	_, err := construct(t, s, inputs, config)
	want := `instanceType "NOPE": want an EC2 instance type such as t3.micro or m7g.large`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

// TestUnknownType: the provider refuses a type it does not construct.
func TestUnknownType(t *testing.T) {
	s, _ := start(t, realBinary)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := s.Construct(ctx, "selfhealing:index:Nope", "x", resource.PropertyMap{}, nil, true)
	if err == nil || !strings.Contains(err.Error(), `unknown resource type "selfhealing:index:Nope"`) {
		t.Fatalf("err = %v", err)
	}
}
