package boundary

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Apply turns a valid body (a documented example, as JSON) into the case's request: pruned to the
// required members (and the way to the case's member), then changed as the case says. body is changed
// in place and returned; a member the case names under one the body lacks is made valid first.
func (c *Case) Apply(body map[string]any) (map[string]any, error) {
	if c.In != InBody || c.shape == nil {
		return body, nil
	}
	prune(body, c.shape, c.Member, c.Provider+"/"+c.Operation+"/", nil)
	if len(c.Member) == 0 {
		return body, nil
	}
	parent, last, err := c.parent(body)
	if err != nil {
		return nil, err
	}
	switch v := c.Value.(type) {
	case Items:
		arr, _ := parent[last].([]any)
		if len(arr) == 0 {
			return nil, fmt.Errorf("%s: the body has no item to copy", c.Where())
		}
		out := make([]any, 0, int(v))
		for range int(v) {
			out = append(out, clone(arr[0]))
		}
		parent[last] = out
	default:
		if c.Remove {
			delete(parent, last)
		} else {
			parent[last] = clone(c.Value)
		}
	}
	for _, d := range c.Drop {
		dc := *c
		dc.Member = d
		if p, l, err := dc.parent(body); err == nil {
			delete(p, l)
		}
	}
	return body, nil
}

// parent walks to the object holding the case's member (a number steps into an array), making any
// missing object on the way valid.
func (c *Case) parent(body map[string]any) (map[string]any, string, error) {
	cur, n := body, c.shape
	last := len(c.Member) - 1
	for i := 0; i < last; i++ {
		name := c.Member[i]
		next := childOf(n, name)
		switch v := cur[name].(type) {
		case map[string]any:
			cur, n = v, next
		case []any:
			i++
			idx, err := strconv.Atoi(c.Member[i])
			if err != nil || idx >= len(v) || i == last {
				return nil, "", fmt.Errorf("%s: no item %s in the body", c.Where(), c.Member[i])
			}
			item, ok := v[idx].(map[string]any)
			if !ok {
				return nil, "", fmt.Errorf("%s: item %d is not an object", c.Where(), idx)
			}
			cur, n = item, nil
			if next != nil {
				n = next.items
			}
		case nil:
			if next == nil {
				return nil, "", fmt.Errorf("%s: the contract has no %s", c.Where(), name)
			}
			g := &gen{rnd: rand.New(rand.NewPCG(1, 1))}
			made, ok := g.valid(next).(map[string]any)
			if !ok {
				return nil, "", fmt.Errorf("%s: %s is not an object", c.Where(), name)
			}
			cur[name], cur, n = made, made, next
		default:
			return nil, "", fmt.Errorf("%s: %s is not an object in the body", c.Where(), name)
		}
	}
	return cur, c.Member[last], nil
}

func childOf(n *node, name string) *node {
	if n == nil {
		return nil
	}
	return n.props[name]
}

// prune leaves the required members of every object of the body, the members on the way to keep,
// and those whose valid value only the provider knows (Bound: a credential the body carries).
func prune(v any, n *node, keep []string, op string, at []string) {
	if n == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if len(n.props) == 0 {
			return // an object the contract does not describe (metadata): kept as it is
		}
		for k := range x {
			onWay := len(keep) > 0 && keep[0] == k
			_, bound := Bound[op+strings.Join(path(at, k), ".")]
			if !slices.Contains(n.required, k) && !onWay && !bound {
				delete(x, k)
				continue
			}
			var rest []string
			if onWay {
				rest = keep[1:]
			}
			prune(x[k], n.props[k], rest, op, path(at, k))
		}
	case []any:
		for i, item := range x {
			var rest []string
			if len(keep) > 0 && keep[0] == strconv.Itoa(i) {
				rest = keep[1:]
			}
			prune(item, n.items, rest, op, path(at, strconv.Itoa(i)))
		}
	}
}

func clone(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}
