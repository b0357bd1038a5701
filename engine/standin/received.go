package standin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Received is one change the engine asked of the stand-in and the
// stand-in made: what a test checks to know what reached the provider.
type Received struct {
	// Op is "create", "update" or "delete".
	Op   string `json:"op"`
	Type string `json:"type"`
	URN  string `json:"urn"`
	ID   string `json:"id"`
	// Inputs are the inputs the engine sent (a create's or an update's
	// new ones), OldInputs an update's previous ones.
	Inputs    json.RawMessage `json:"inputs,omitempty"`
	OldInputs json.RawMessage `json:"oldInputs,omitempty"`
}

// InputMap decodes the inputs the engine sent.
func (r Received) InputMap() (resource.PropertyMap, error) { return decodeProps(r.Inputs) }

// OldInputMap decodes an update's previous inputs.
func (r Received) OldInputMap() (resource.PropertyMap, error) { return decodeProps(r.OldInputs) }

// receivedPath is where the stand-in keeping its resources in path logs
// the changes it made, one JSON object a line.
func receivedPath(path string) string { return path + ".received" }

// receive logs a change; the caller holds the world's lock, so that the
// log's order is the order the changes were made in.
func receive(path string, r Received) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(receivedPath(path), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("logging what the stand-in received: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("logging what the stand-in received: %w", err)
	}
	return f.Close()
}

// received logs a create, update or delete of the resource id.
func (w World) received(path, op, id, typ, urn string, inputs, oldInputs resource.PropertyMap) error {
	r := Received{Op: op, Type: typ, URN: urn, ID: id}
	var err error
	if inputs != nil {
		if r.Inputs, err = encodeProps(inputs); err != nil {
			return err
		}
	}
	if oldInputs != nil {
		if r.OldInputs, err = encodeProps(oldInputs); err != nil {
			return err
		}
	}
	return receive(path, r)
}

// ReadReceived lists, oldest first, every change the stand-in keeping its
// resources in path has made.
func ReadReceived(path string) ([]Received, error) {
	data, err := os.ReadFile(receivedPath(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading what the stand-in received: %w", err)
	}
	var out []Received
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		var r Received
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("reading what the stand-in received: %w", err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}
