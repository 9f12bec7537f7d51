package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// setBody starts a new request body from a documented example.
func (w *World) setBody(d jsonDoc) {
	w.body, w.bodyAltered = d, false
}

// registerFieldSteps registers the steps that alter the request body, with noun naming the field
// ("request field", "person field") and prefix the path it is under.
func registerFieldSteps(sc stepRegistry, noun, prefix string) {
	q := `^the ` + noun + ` "([^"]+)" is `
	sc.Step(q+`"([^"]*)"$`, func(ctx context.Context, f, v string) error { return setField(ctx, prefix+f, v) })
	sc.Step(q+`a string of (\d+) characters?$`, func(ctx context.Context, f string, n int) error {
		return setField(ctx, prefix+f, textOf(n))
	})
	sc.Step(q+`(null|true|false)$`, func(ctx context.Context, f, lit string) error { return setJSON(ctx, prefix+f, lit) })
	sc.Step(q+`the number (-?[0-9]+(?:\.[0-9]+)?)$`, func(ctx context.Context, f, lit string) error { return setJSON(ctx, prefix+f, lit) })
	sc.Step(q+`the JSON (.+)$`, func(ctx context.Context, f, lit string) error { return setJSON(ctx, prefix+f, lit) })
	sc.Step(q+`removed$`, func(ctx context.Context, f string) error {
		return alterBody(ctx, func(d jsonDoc) error { return d.remove(prefix + f) })
	})
}

func alterBody(ctx context.Context, fn func(jsonDoc) error) error {
	w := worldOf(ctx)
	if w.body == nil {
		return errors.New("no request body yet: a Given step must build one from the documented example first")
	}
	w.bodyAltered = true
	return fn(w.body)
}

func setField(ctx context.Context, path string, v any) error {
	return alterBody(ctx, func(d jsonDoc) error { return d.set(path, v) })
}

func setJSON(ctx context.Context, path, lit string) error {
	var v any
	if err := json.Unmarshal([]byte(lit), &v); err != nil {
		return fmt.Errorf("%q is not JSON: %w", lit, err)
	}
	return setField(ctx, path, v)
}

// textOf returns n characters of readable text.
func textOf(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz"
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(alphabet[i%len(alphabet)])
	}
	return sb.String()
}
