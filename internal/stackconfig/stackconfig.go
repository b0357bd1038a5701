// Package stackconfig reads a project's Pulumi.yaml and one stack's
// Pulumi.<stack>.yaml with the Pulumi SDK's own loaders, and produces the
// configuration the Pulumi CLI would hand the program: the stack's values
// over the project's declared defaults.
package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// SecretPlaceholder stands in for a secure value, which only the stack's
// secrets provider can decrypt.
const SecretPlaceholder = "[secret]"

// Stack is a stack's effective configuration.
type Stack struct {
	// Project is the project's name from Pulumi.yaml.
	Project string
	// Name is the stack's name.
	Name string
	// Config maps namespaced keys ("project:key", "aws:region") to values
	// as the Go SDK expects them: strings as is, everything else as JSON.
	Config map[string]string
	// SecretKeys lists the keys whose values are secure. Their values are
	// SecretPlaceholder.
	SecretKeys []string
	// ProjectFile and StackFile are the paths that were read.
	ProjectFile, StackFile string
}

// Load reads dir/Pulumi.yaml and dir/Pulumi.<stack>.yaml. A missing or
// malformed file is an error; so is a stack value whose type differs from
// the type Pulumi.yaml declares for it.
func Load(dir, stack string) (*Stack, error) {
	projectFile := filepath.Join(dir, "Pulumi.yaml")
	project, err := workspace.LoadProject(projectFile)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", projectFile, err)
	}
	stackFile := filepath.Join(dir, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(stackFile); err != nil {
		return nil, fmt.Errorf("stack %q: %w (create it with `pulumi stack init %s`)", stack, err, stack)
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	projectStack, err := workspace.LoadProjectStack(sink, project, stackFile)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", stackFile, err)
	}

	s := &Stack{
		Project:     project.Name.String(),
		Name:        stack,
		Config:      map[string]string{},
		ProjectFile: projectFile,
		StackFile:   stackFile,
	}
	var errs []error
	for name, declared := range project.Config {
		key, err := projectKey(project.Name.String(), name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: config %q: %w", projectFile, name, err))
			continue
		}
		value := declared.Default
		if value == nil {
			value = declared.Value
		}
		if value == nil {
			continue
		}
		encoded, err := encode(value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: default of %s: %w", projectFile, key, err))
			continue
		}
		s.Config[key.String()] = encoded
	}
	for key, value := range projectStack.Config {
		if value.Secure() {
			s.Config[key.String()] = SecretPlaceholder
			if value.Object() {
				// An object with secure parts keeps its shape, each secure
				// part blinded, as `pulumi config --path` sets them.
				blinded, err := value.Value(config.NewBlindingDecrypter())
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %w", stackFile, key, err))
					continue
				}
				s.Config[key.String()] = blinded
			}
			s.SecretKeys = append(s.SecretKeys, key.String())
			continue
		}
		plain, err := value.Value(config.NopDecrypter)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", stackFile, key, err))
			continue
		}
		if declared, ok := project.Config[key.Name()]; ok && key.Namespace() == s.Project {
			if err := checkType(declared, value, plain); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", stackFile, key, err))
				continue
			}
		}
		s.Config[key.String()] = plain
	}
	slices.Sort(s.SecretKeys)
	return s, errors.Join(errs...)
}

// projectKey namespaces a key declared in Pulumi.yaml: a bare name belongs to
// the project.
func projectKey(project, name string) (config.Key, error) {
	if key, err := config.ParseKey(name); err == nil {
		return key, nil
	}
	return config.ParseKey(project + ":" + name)
}

func encode(value any) (string, error) {
	if s, ok := value.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(value)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// checkType enforces the type Pulumi.yaml declares, as `pulumi up` does.
func checkType(declared workspace.ProjectConfigType, value config.Value, plain string) error {
	if declared.Type == nil {
		return nil
	}
	want := *declared.Type
	var got string
	switch {
	case value.Object():
		object, err := value.ToObject()
		if err != nil {
			return err
		}
		switch object.(type) {
		case []any:
			got = "array"
		case map[string]any:
			got = "object"
		case bool:
			got = "boolean"
		case int, int64, float64, json.Number:
			got = "integer"
		default:
			got = "string"
		}
	default:
		got = "string"
		var probe any
		if want != "string" && json.Unmarshal([]byte(plain), &probe) == nil {
			switch probe.(type) {
			case bool:
				got = "boolean"
			case float64:
				got = "integer"
			}
		}
	}
	if got != want {
		return fmt.Errorf("Pulumi.yaml declares it %s, but the stack sets a %s: %q", want, got, plain)
	}
	return nil
}
