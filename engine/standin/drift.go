package standin

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// FormattedTagValue is the value the stand-in's "instance" gives the data
// volume's formatted tag, in the boot script's format.
const FormattedTagValue = "i-0standin00000001 ext4 2026-01-01T00:00:00Z"

// RunTheInstance changes the world in path as a running deployment does
// between two `pulumi up`s, outside Pulumi: the instance's boot script tags
// each data volume it formatted (userdata.FormattedTagKey), and each
// group's scheduled stop action sets it to zero instances. It returns what
// it changed, as "type id: what".
func RunTheInstance(path string) ([]string, error) {
	var changed []string
	err := Mutate(path, func(w World) error {
		scheduled := map[string]bool{}
		for _, o := range w {
			if o.Type == "aws:autoscaling/schedule:Schedule" {
				in, err := o.InputMap()
				if err != nil {
					return err
				}
				scheduled[stringProp(in, "autoscalingGroupName")] = true
			}
		}
		for id, o := range w {
			var edit func(resource.PropertyMap)
			switch {
			case o.Type == "aws:ebs/volume:Volume":
				edit = func(m resource.PropertyMap) {
					tags := resource.PropertyMap{}
					if t, ok := m["tags"]; ok && t.IsObject() {
						tags = t.ObjectValue().Copy()
					}
					tags[userdata.FormattedTagKey] = resource.NewProperty(FormattedTagValue)
					m["tags"] = resource.NewProperty(tags)
				}
				changed = append(changed, fmt.Sprintf("%s %s: tag %s added", o.Type, id, userdata.FormattedTagKey))
			case o.Type == "aws:autoscaling/group:Group" && scheduled[id]:
				edit = func(m resource.PropertyMap) {
					for _, k := range []resource.PropertyKey{"minSize", "desiredCapacity"} {
						m[k] = resource.NewProperty(0.0)
					}
				}
				changed = append(changed, fmt.Sprintf("%s %s: stopped by its schedule (minSize, desiredCapacity 0)", o.Type, id))
			default:
				continue
			}
			in, err := o.InputMap()
			if err != nil {
				return err
			}
			out, err := o.OutputMap()
			if err != nil {
				return err
			}
			edit(in)
			edit(out)
			if err := w.set(id, o.Type, o.URN, in, out); err != nil {
				return err
			}
		}
		return nil
	})
	return changed, err
}

func stringProp(m resource.PropertyMap, key string) string {
	if v, ok := m[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}
