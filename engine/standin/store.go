package standin

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// StateEnv names the file where the stand-in keeps what "AWS" holds: every
// resource it created and not yet deleted. The engine starts the plugin
// with the CLI's environment, so a test sets it for the CLI.
const StateEnv = "SELFHEALING_STANDIN_AWS_STATE"

// Object is one resource the stand-in holds, as AWS would: its type, its
// inputs as last applied (what a refresh reads back as inputs) and its
// attributes.
type Object struct {
	Type    string          `json:"type"`
	URN     string          `json:"urn"`
	Inputs  json.RawMessage `json:"inputs"`
	Outputs json.RawMessage `json:"outputs"`
}

// World is the stand-in account's contents, by physical id.
type World map[string]Object

// marshalOptions keep secrets, so that what the engine sent as a secret
// comes back as one; the stand-in's own file is "AWS", which holds the
// values.
var marshalOptions = plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true, SkipNulls: true}

func encodeProps(m resource.PropertyMap) (json.RawMessage, error) {
	s, err := plugin.MarshalProperties(m, marshalOptions)
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(s)
}

func decodeProps(raw json.RawMessage) (resource.PropertyMap, error) {
	var s structpb.Struct
	if err := protojson.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return plugin.UnmarshalProperties(&s, marshalOptions)
}

// InputMap decodes the object's inputs.
func (o Object) InputMap() (resource.PropertyMap, error) { return decodeProps(o.Inputs) }

// OutputMap decodes the object's attributes.
func (o Object) OutputMap() (resource.PropertyMap, error) { return decodeProps(o.Outputs) }

// withWorld runs f on the world in path under an exclusive lock, and saves
// what f leaves when it returns no error. The engine may run one plugin per
// stack operation; the lock keeps two from losing each other's writes.
func withWorld(path string, f func(World) error) error {
	if path == "" {
		return fmt.Errorf("the stand-in AWS provider keeps its resources in a file: set %s", StateEnv)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("locking the stand-in's state: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking the stand-in's state: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it too
	world, err := ReadWorld(path)
	if err != nil {
		return err
	}
	if err := f(world); err != nil {
		return err
	}
	data, err := json.MarshalIndent(world, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("saving the stand-in's state: %w", err)
	}
	return os.Rename(tmp, path)
}

// ReadWorld reads the stand-in's state; a missing file is an empty world.
func ReadWorld(path string) (World, error) {
	world := World{}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return world, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the stand-in's state: %w", err)
	}
	if err := json.Unmarshal(data, &world); err != nil {
		return nil, fmt.Errorf("reading the stand-in's state %s: %w", filepath.Base(path), err)
	}
	return world, nil
}

// Mutate changes the world in path, as something outside Pulumi would
// change the account; the next refresh reads the change.
func Mutate(path string, f func(World) error) error { return withWorld(path, f) }

// set stores the resource id's type, URN, inputs and attributes.
func (w World) set(id, typ, urn string, inputs, outputs resource.PropertyMap) error {
	in, err := encodeProps(inputs)
	if err != nil {
		return err
	}
	out, err := encodeProps(outputs)
	if err != nil {
		return err
	}
	w[id] = Object{Type: typ, URN: urn, Inputs: in, Outputs: out}
	return nil
}
