// Package schemacheck checks a Pulumi YAML program's resources against a
// package schema: each property of a resource of the package must be one
// of its inputs, with a value of the input's type, down through nested
// object types, arrays and maps. Expressions (${...} interpolations and
// fn:: calls) are taken to be of any type.
package schemacheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// schema is the part of a package schema the check reads.
type schema struct {
	Name      string                `json:"name"`
	Resources map[string]objectType `json:"resources"`
	Types     map[string]objectType `json:"types"`
}

type objectType struct {
	InputProperties map[string]typeSpec `json:"inputProperties"`
	Properties      map[string]typeSpec `json:"properties"`
	RequiredInputs  []string            `json:"requiredInputs"`
	Required        []string            `json:"required"`
}

type typeSpec struct {
	Type                 string    `json:"type"`
	Ref                  string    `json:"$ref"`
	Items                *typeSpec `json:"items"`
	AdditionalProperties *typeSpec `json:"additionalProperties"`
}

// CheckProgram returns every problem with the resources of program (a
// Pulumi.yaml) whose type belongs to the package of schemaJSON, each naming
// its path in the program, such as "resources.web.properties.ingress[0].fromPort".
// A resource type the package lacks is a problem too.
func CheckProgram(schemaJSON, program []byte) ([]string, error) {
	var s schema
	if err := json.Unmarshal(schemaJSON, &s); err != nil {
		return nil, fmt.Errorf("parsing the schema: %w", err)
	}
	var p struct {
		Resources map[string]struct {
			Type       string         `yaml:"type"`
			Properties map[string]any `yaml:"properties"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(program, &p); err != nil {
		return nil, fmt.Errorf("parsing the program: %w", err)
	}
	if len(p.Resources) == 0 {
		return nil, errors.New("the program declares no resources")
	}
	var problems []string
	for _, name := range sortedKeys(p.Resources) {
		r := p.Resources[name]
		token, ok := resolveToken(s.Name, r.Type)
		if !ok {
			continue
		}
		path := "resources." + name
		res, found := s.Resources[token]
		if !found {
			problems = append(problems, fmt.Sprintf("%s.type: %s is not a resource of package %s", path, r.Type, s.Name))
			continue
		}
		problems = append(problems, s.checkObject(path+".properties", token, res.InputProperties, res.RequiredInputs, r.Properties)...)
	}
	return problems, nil
}

// resolveToken expands "pkg:Name" to "pkg:index:Name"; ok is false for
// other packages' types.
func resolveToken(pkg, typ string) (string, bool) {
	parts := strings.Split(typ, ":")
	if parts[0] != pkg {
		return "", false
	}
	if len(parts) == 2 {
		return pkg + ":index:" + parts[1], true
	}
	return typ, true
}

func (s schema) checkObject(path, token string, props map[string]typeSpec, required []string, value map[string]any) []string {
	var problems []string
	for _, k := range sortedKeys(value) {
		spec, ok := props[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s.%s: %s has no input %q; it has %s", path, k, token, k, strings.Join(sortedKeys(props), ", ")))
			continue
		}
		problems = append(problems, s.checkValue(path+"."+k, spec, value[k])...)
	}
	for _, k := range required {
		if _, ok := value[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s: %s requires %q", path, token, k))
		}
	}
	return problems
}

func isExpression(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, "${")
	case map[string]any:
		if len(v) == 1 {
			for k := range v {
				return strings.HasPrefix(k, "fn::")
			}
		}
	}
	return false
}

func (s schema) checkValue(path string, spec typeSpec, v any) []string {
	if isExpression(v) {
		return nil
	}
	wrong := func(want string) []string {
		return []string{fmt.Sprintf("%s: want %s, got %T %v", path, want, v, v)}
	}
	if spec.Ref != "" {
		token, ok := strings.CutPrefix(spec.Ref, "#/types/")
		obj, found := s.Types[token]
		if !ok || !found {
			return []string{fmt.Sprintf("%s: the schema's %s is not one of its types", path, spec.Ref)}
		}
		m, isMap := v.(map[string]any)
		if !isMap {
			return wrong("an object of type " + token)
		}
		return s.checkObject(path, token, obj.Properties, obj.Required, m)
	}
	switch spec.Type {
	case "string":
		if _, ok := v.(string); !ok {
			return wrong("a string")
		}
	case "integer":
		if _, ok := v.(int); !ok {
			return wrong("an integer")
		}
	case "number":
		switch v.(type) {
		case int, float64:
		default:
			return wrong("a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return wrong("a boolean")
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return wrong("a list")
		}
		var problems []string
		for i, item := range items {
			if spec.Items != nil {
				problems = append(problems, s.checkValue(fmt.Sprintf("%s[%d]", path, i), *spec.Items, item)...)
			}
		}
		return problems
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return wrong("a map")
		}
		var problems []string
		if spec.AdditionalProperties != nil {
			for _, k := range sortedKeys(m) {
				problems = append(problems, s.checkValue(path+"."+k, *spec.AdditionalProperties, m[k])...)
			}
		}
		return problems
	default:
		return []string{fmt.Sprintf("%s: the schema's type %q is not supported by this check", path, spec.Type)}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
