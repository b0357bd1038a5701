package providertest

import (
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"
)

// StackInputs reads a stack file (Pulumi.<stack>.yaml) and splits its
// config: keys of project become the component's inputs, without the
// "<project>:" prefix; other namespaces' keys ("aws:region") are returned as
// stack config, as the engine passes them to Construct. Secure values are
// refused: the harness has no secrets provider.
func StackInputs(path, project string) (resource.PropertyMap, map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the stack: %w", err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	inputs, config := map[string]any{}, map[string]string{}
	for key, value := range file.Config {
		if m, ok := value.(map[string]any); ok && m["secure"] != nil {
			return nil, nil, fmt.Errorf("%s: %s is secure; the harness has no secrets provider", path, key)
		}
		if name, ok := strings.CutPrefix(key, project+":"); ok {
			inputs[name] = value
			continue
		}
		s, ok := value.(string)
		if !ok {
			return nil, nil, fmt.Errorf("%s: %s: only string values are passed as stack config", path, key)
		}
		config[key] = s
	}
	return resource.NewPropertyMapFromMap(inputs), config, nil
}
