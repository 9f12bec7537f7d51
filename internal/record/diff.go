package record

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Change is one difference between the provider's answers in two recordings.
type Change struct {
	Key  string // provider, feature, scenario and place of the exchange in it
	What string
}

func (c Change) String() string { return c.Key + ": " + c.What }

// Diff lists what changed in the answers from old to new, exchange by exchange (matched by scenario and
// order): exchanges that appear or disappear, another operation, another status, members that appear or
// disappear, and members whose JSON type changed. Values are not compared: ids and timestamps differ on
// every run.
func Diff(old, new []Exchange) []Change {
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
			out = append(out, Change{k, fmt.Sprintf("%s is no longer made", om[k].Operation)})
		}
	}
	for _, k := range nkeys {
		n := nm[k]
		o, ok := om[k]
		if !ok {
			out = append(out, Change{k, fmt.Sprintf("%s is new", n.Operation)})
			continue
		}
		if o.Operation != n.Operation {
			out = append(out, Change{k, fmt.Sprintf("calls %s instead of %s", n.Operation, o.Operation)})
			continue
		}
		switch {
		case o.Response == nil && n.Response == nil:
		case o.Response == nil:
			out = append(out, Change{k, fmt.Sprintf("%s now answers %d (no answer before)", n.Operation, n.Response.Status)})
		case n.Response == nil:
			out = append(out, Change{k, fmt.Sprintf("%s no longer answers (%s)", n.Operation, n.Error)})
		default:
			if o.Response.Status != n.Response.Status {
				out = append(out, Change{k, fmt.Sprintf("%s answers %d, was %d", n.Operation, n.Response.Status, o.Response.Status)})
			}
			os, ns := shape(o.Response.Body), shape(n.Response.Body)
			for _, p := range sortedKeys(ns) {
				if t, ok := os[p]; !ok {
					out = append(out, Change{k, fmt.Sprintf("%s %d: %s appeared (%s)", n.Operation, n.Response.Status, p, ns[p])})
				} else if t != ns[p] {
					out = append(out, Change{k, fmt.Sprintf("%s %d: %s is %s, was %s", n.Operation, n.Response.Status, p, ns[p], t)})
				}
			}
			for _, p := range sortedKeys(os) {
				if _, ok := ns[p]; !ok {
					out = append(out, Change{k, fmt.Sprintf("%s %d: %s disappeared", n.Operation, n.Response.Status, p)})
				}
			}
		}
	}
	return out
}

// shape maps each JSON pointer of v (array elements as *) to its JSON type.
func shape(v any) map[string]string {
	out := map[string]string{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		switch t := v.(type) {
		case map[string]any:
			out[pointerOr(p)] = "object"
			for k, x := range t {
				walk(x, p+"/"+k)
			}
		case []any:
			out[pointerOr(p)] = "array"
			for _, x := range t {
				walk(x, p+"/*")
			}
		case string:
			out[pointerOr(p)] = "string"
		case float64:
			out[pointerOr(p)] = "number"
		case bool:
			out[pointerOr(p)] = "boolean"
		case nil:
			if p != "" {
				out[p] = "null"
			}
		}
	}
	walk(v, "")
	return out
}

func pointerOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
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
