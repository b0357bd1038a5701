package tests

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/program"
)

// programKeys are the keys the program reads; Pulumi.yaml must declare
// exactly these.
var programKeys = []string{
	program.KeyInstanceType, program.KeyAmiID, program.KeySubnetIDs, program.KeyIngress,
	program.KeyAllocationID, program.KeyRetainOnDelete, program.KeyEnableSessionManager,
	program.KeyMetadataHopLimit, program.KeyHealthCheckGracePeriodSeconds, program.KeyRootVolumeSizeGiB,
	program.KeyUserScript, program.KeyTags, program.KeyDataVolume,
	program.KeyDNS, program.KeySchedule, program.KeyNotifications,
	program.KeyLaunchGate, program.KeyLaunchGateTimeoutSeconds, program.KeyAppHealthCheck,
	program.KeyInstanceRefresh, program.KeySpot, program.KeySpotInstanceTypes, program.KeyWarmPool,
	program.KeyParameters, program.KeySecretParameters, program.KeyParametersKMSKeyARN, program.KeyLogs, program.KeyHTTPS,
}

func TestPulumiYamlDeclaresEveryKeyWithTypeDescriptionAndDefault(t *testing.T) {
	project, err := workspace.LoadProject(filepath.Join(repoRoot, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for name, decl := range project.Config {
		declared = append(declared, name)
		if decl.Type == nil || decl.Description == "" || decl.Default == nil {
			t.Errorf("config %s: type %v, description %q, default %v; want all three", name, decl.Type, decl.Description, decl.Default)
		}
	}
	slices.Sort(declared)
	want := slices.Sorted(slices.Values(programKeys))
	if !slices.Equal(declared, want) {
		t.Errorf("Pulumi.yaml declares %v, the program reads %v", declared, want)
	}

	// The CLI applies these defaults; the component applies its own to
	// zero values. They must agree, or `pulumi up` and an importer differ.
	for key, want := range map[string]any{
		program.KeyInstanceType:                  components.DefaultInstanceType,
		program.KeyMetadataHopLimit:              components.DefaultMetadataHopLimit,
		program.KeyHealthCheckGracePeriodSeconds: components.DefaultHealthCheckGracePeriodSeconds,
		program.KeyEnableSessionManager:          true,
		program.KeyRetainOnDelete:                false,
		program.KeyRootVolumeSizeGiB:             0,
		program.KeyAmiID:                         "",
		program.KeyAllocationID:                  "",
		program.KeyUserScript:                    "",
		// An empty object turns an optional feature off.
		program.KeyDNS:                      map[string]any{},
		program.KeySchedule:                 map[string]any{},
		program.KeyNotifications:            map[string]any{},
		program.KeyLaunchGate:               true,
		program.KeyLaunchGateTimeoutSeconds: components.DefaultLaunchGateTimeoutSeconds,
		program.KeyInstanceRefresh:          true,
		program.KeySpot:                     false,
		program.KeyWarmPool:                 false,
	} {
		if got := project.Config[key].Default; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Pulumi.yaml default of %s = %v, the component's is %v", key, got, want)
		}
	}
}

func TestStacksSetOnlyDeclaredKeys(t *testing.T) {
	for _, stack := range exampleStacks {
		cfg := loadStack(t, stack)
		for key := range cfg.Config {
			namespace, name, _ := cutKey(key)
			if namespace == cfg.Project && !slices.Contains(programKeys, name) {
				t.Errorf("Pulumi.%s.yaml sets %s, which the program never reads", stack, key)
			}
		}
	}
}

func cutKey(key string) (namespace, name string, ok bool) {
	for i := range key {
		if key[i] == ':' {
			return key[:i], key[i+1:], true
		}
	}
	return "", key, false
}
