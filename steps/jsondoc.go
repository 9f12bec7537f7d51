package steps

import (
	"encoding/json"
	"fmt"
	"strings"
)

// jsonDoc is a request body under construction: a generic JSON object that scenarios alter by dotted
// paths ("person_creation.person.address.state").
type jsonDoc map[string]any

func toDoc(v any) (jsonDoc, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var d jsonDoc
	return d, json.Unmarshal(b, &d)
}

// parent walks to the object holding the last element of path, creating nothing.
func (d jsonDoc) parent(path string) (map[string]any, string, error) {
	parts := strings.Split(path, ".")
	cur := map[string]any(d)
	for i, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("no object at %q in the request body", strings.Join(parts[:i+1], "."))
		}
		cur = next
	}
	return cur, parts[len(parts)-1], nil
}

func (d jsonDoc) set(path string, v any) error {
	obj, key, err := d.parent(path)
	if err != nil {
		return err
	}
	obj[key] = v
	return nil
}

func (d jsonDoc) remove(path string) error {
	obj, key, err := d.parent(path)
	if err != nil {
		return err
	}
	if _, ok := obj[key]; !ok {
		return fmt.Errorf("the request body has no %q to remove", path)
	}
	delete(obj, key)
	return nil
}

func (d jsonDoc) get(path string) (any, bool) {
	obj, key, err := d.parent(path)
	if err != nil {
		return nil, false
	}
	v, ok := obj[key]
	return v, ok
}

func (d jsonDoc) raw() json.RawMessage {
	b, _ := json.Marshal(d) // a jsonDoc only ever holds decoded JSON
	return b
}
