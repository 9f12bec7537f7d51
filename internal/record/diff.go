package record

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/latam-conformance/conformance/internal/schema"
)

// Change is one difference between the provider's answers in two recordings.
type Change struct {
	Key       string // provider, feature, scenario and place of the exchange in it
	Operation string // the documented operation, "POST /identity/v2/sessions"
	What      string
}

func (c Change) String() string { return c.Key + ": " + c.What }

// Enumerated names the places of an answer whose documented values a client branches on (a schema's
// enum or const), as JSON pointers; nil when the answer's operation or status is not documented.
type Enumerated func(ex Exchange) []string

// codeLike is a documented code's shape, whatever the schema says of it: ACC000133, ENTITY_NOT_FOUND,
// APPROVED. Ids and timestamps never look like it.
var codeLike = regexp.MustCompile(`^(?:[A-Z]{2,}[0-9]*|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$`)

// Diff lists what changed in the answers from old to new, exchange by exchange (matched by scenario and
// order): exchanges that appear or disappear, another operation, another status, members that appear or
// disappear, members whose JSON type changed, and the values of documented codes, statuses and enums
// (where enumerated says the schema fixes them, and any string shaped like a code in both). Other values
// are not compared: ids and timestamps differ on every run. The changes are in the order of new's
// exchanges.
func Diff(old, new []Exchange, enumerated Enumerated) []Change {
	index := func(list []Exchange) (map[string]Exchange, []string) {
		m := map[string]Exchange{}
		var keys []string
		for _, ex := range list {
			k := fmt.Sprintf("%s %s %q #%d", ex.Provider, ex.Feature, ex.Scenario, ex.Seq)
			if _, dup := m[k]; !dup {
				keys = append(keys, k)
			}
			m[k] = ex
		}
		return m, keys
	}
	om, okeys := index(old)
	nm, nkeys := index(new)
	var out []Change
	for _, k := range okeys {
		if _, ok := nm[k]; !ok {
			out = append(out, Change{k, om[k].Operation, fmt.Sprintf("%s is no longer made", om[k].Operation)})
		}
	}
	for _, k := range nkeys {
		n := nm[k]
		o, ok := om[k]
		if !ok {
			out = append(out, Change{k, n.Operation, fmt.Sprintf("%s is new", n.Operation)})
			continue
		}
		if o.Operation != n.Operation {
			out = append(out, Change{k, n.Operation, fmt.Sprintf("calls %s instead of %s", n.Operation, o.Operation)})
			continue
		}
		switch {
		case o.Response == nil && n.Response == nil:
		case o.Response == nil:
			out = append(out, Change{k, n.Operation, fmt.Sprintf("%s now answers %d (no answer before)", n.Operation, n.Response.Status)})
		case n.Response == nil:
			out = append(out, Change{k, n.Operation, fmt.Sprintf("%s no longer answers (%s)", n.Operation, n.Error)})
		default:
			if o.Response.Status != n.Response.Status {
				out = append(out, Change{k, n.Operation, fmt.Sprintf("%s answers %d, was %d", n.Operation, n.Response.Status, o.Response.Status)})
			}
			os, ns := shape(o.Response.Body), shape(n.Response.Body)
			for _, p := range sortedKeys(ns) {
				if t, ok := os[p]; !ok {
					out = append(out, Change{k, n.Operation, fmt.Sprintf("%s %d: %s appeared (%s)", n.Operation, n.Response.Status, p, ns[p])})
				} else if t != ns[p] {
					out = append(out, Change{k, n.Operation, fmt.Sprintf("%s %d: %s is %s, was %s", n.Operation, n.Response.Status, p, ns[p], t)})
				}
			}
			for _, p := range sortedKeys(os) {
				if _, ok := ns[p]; !ok {
					out = append(out, Change{k, n.Operation, fmt.Sprintf("%s %d: %s disappeared", n.Operation, n.Response.Status, p)})
				}
			}
			for _, p := range valueChanges(o, n, enumerated) {
				out = append(out, Change{k, n.Operation, fmt.Sprintf("%s %d: %s", n.Operation, n.Response.Status, p)})
			}
		}
	}
	return out
}

// valueChanges compares the documented values of two answers of one exchange: at each place either
// answer's schema enumerates, and at each place where both hold a code-shaped string.
func valueChanges(o, n Exchange, enumerated Enumerated) []string {
	ov, nv := scalars(o.Response.Body), scalars(n.Response.Body)
	places := map[string]bool{}
	if enumerated != nil {
		for _, ex := range []Exchange{o, n} {
			for _, p := range enumerated(ex) {
				places[p] = true
			}
		}
	}
	for p, v := range nv {
		a, _ := v.(string)
		b, _ := ov[p].(string)
		if codeLike.MatchString(a) && codeLike.MatchString(b) {
			places[p] = true
		}
	}
	var out []string
	for _, p := range slices.Sorted(maps.Keys(places)) {
		a, inOld := ov[p]
		b, inNew := nv[p]
		if inOld && inNew && a != b {
			out = append(out, fmt.Sprintf("%s is %s, was %s", p, quoted(b), quoted(a)))
		}
	}
	return out
}

// scalars maps each JSON pointer of v that holds a string, number, boolean or null to its value; array
// elements are named by their index.
func scalars(v any) map[string]any {
	out := map[string]any{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				walk(x, p+"/"+schema.EscapeToken(k))
			}
		case []any:
			for i, x := range t {
				walk(x, p+"/"+strconv.Itoa(i))
			}
		default:
			out[schema.PointerOrRoot(p)] = t
		}
	}
	walk(v, "")
	return out
}

func quoted(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// shape maps each JSON pointer of v (array elements as *) to its JSON type.
func shape(v any) map[string]string {
	out := map[string]string{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		switch t := v.(type) {
		case map[string]any:
			out[schema.PointerOrRoot(p)] = "object"
			for k, x := range t {
				walk(x, p+"/"+k)
			}
		case []any:
			out[schema.PointerOrRoot(p)] = "array"
			for _, x := range t {
				walk(x, p+"/*")
			}
		case string:
			out[schema.PointerOrRoot(p)] = "string"
		case float64:
			out[schema.PointerOrRoot(p)] = "number"
		case bool:
			out[schema.PointerOrRoot(p)] = "boolean"
		case nil:
			if p != "" {
				out[p] = "null"
			}
		}
	}
	walk(v, "")
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Summary counts changes for a last line.
func Summary(changes []Change, old, new int) string {
	return strings.TrimSpace(fmt.Sprintf("%s change(s) between %d and %d recorded exchanges", strconv.Itoa(len(changes)), old, new))
}
