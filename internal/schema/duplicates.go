package schema

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Duplicate is an object member that a JSON text names twice: a reader that keeps the first value
// and one that keeps the last (Go's encoding/json, most JavaScript) read two different documents.
type Duplicate struct {
	Pointer       string // the member, as a JSON pointer
	First, Second string // its values, as JSON text
}

// FindDuplicate returns the first member body names twice in one object, in document order, at any
// depth, in one pass over the text. A body that is not JSON has none (its other checks say so).
func FindDuplicate(body []byte) (Duplicate, bool) {
	type frame struct {
		object bool
		seen   map[string]string // member -> its value's text
		key    string            // the member whose value is being read (objects)
		hasKey bool              // key is read, its value not yet
		index  int               // the next element's index (arrays)
		start  int64             // where that value starts
		ptr    string            // this container's pointer
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []*frame
	// value is called when a value ends at offset end: it is checked against its object's earlier members.
	value := func(end int64) (Duplicate, bool) {
		if len(stack) == 0 {
			return Duplicate{}, false
		}
		f := stack[len(stack)-1]
		if !f.object {
			f.index++
			return Duplicate{}, false
		}
		text := string(bytes.TrimLeft(bytes.TrimSpace(body[f.start:end]), ":\t\r\n "))
		if first, dup := f.seen[f.key]; dup {
			return Duplicate{Pointer: f.ptr + "/" + EscapeToken(f.key), First: first, Second: text}, true
		}
		f.seen[f.key] = text
		f.key, f.hasKey = "", false
		return Duplicate{}, false
	}
	child := func() string { // the pointer of the value about to be read
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			return f.ptr + "/" + EscapeToken(f.key)
		}
		f.start = dec.InputOffset()
		return f.ptr + "/" + strconv.Itoa(f.index)
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return Duplicate{}, false // the end, or not JSON
		}
		if len(stack) > 0 {
			if f := stack[len(stack)-1]; f.object && !f.hasKey {
				if k, ok := tok.(string); ok {
					f.key, f.hasKey, f.start = k, true, dec.InputOffset()
					continue
				}
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, &frame{object: tok == json.Delim('{'), seen: map[string]string{}, ptr: child()})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if d, ok := value(dec.InputOffset()); ok {
				return d, true
			}
		default:
			if d, ok := value(dec.InputOffset()); ok {
				return d, true
			}
		}
	}
}
