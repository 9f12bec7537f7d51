package boundary

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
)

const letters = "abcdefghijklmnopqrstuvwxyz"

// text is n letters chosen by the seed.
func (g *gen) text(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.rnd.IntN(len(letters))]
	}
	return string(b)
}

// objectOfBytes is an object whose compact JSON text is n bytes: {"k":"…"} (n ≥ 8).
func (g *gen) objectOfBytes(n int) map[string]any {
	return map[string]any{"k": g.text(max(n-8, 0))}
}

// matching is a text the pattern matches, built from its syntax with the seed's choices.
func (g *gen) matching(re *regexp.Regexp) (string, bool) {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return "", false
	}
	parsed = parsed.Simplify()
	for range 20 {
		var sb strings.Builder
		g.sample(parsed, &sb)
		if re.MatchString(sb.String()) {
			return sb.String(), true
		}
	}
	return "", false
}

func (g *gen) sample(re *syntax.Regexp, sb *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		sb.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		sb.WriteRune(g.pick(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		sb.WriteByte(letters[g.rnd.IntN(len(letters))])
	case syntax.OpCapture:
		g.sample(re.Sub[0], sb)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			g.sample(s, sb)
		}
	case syntax.OpAlternate:
		g.sample(re.Sub[g.rnd.IntN(len(re.Sub))], sb)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 2
		switch re.Op {
		case syntax.OpPlus:
			lo, hi = 1, 3
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + 2
			}
		}
		for range lo + g.rnd.IntN(hi-lo+1) {
			g.sample(re.Sub[0], sb)
		}
	}
}

// pick is a printable ASCII rune of a character class (its ranges as pairs), else its first.
func (g *gen) pick(ranges []rune) rune {
	var ascii []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r < 0x7f; r++ {
			if unicode.IsPrint(r) && r != ' ' {
				ascii = append(ascii, r)
			}
		}
	}
	if len(ascii) == 0 {
		return ranges[0]
	}
	return ascii[g.rnd.IntN(len(ascii))]
}

// mismatch is a text near sample that the pattern does not match: one character short, one added, or
// a character no class holds.
func mismatch(re *regexp.Regexp, sample string) (string, bool) {
	tries := []string{}
	if len(sample) > 0 {
		tries = append(tries, sample[:len(sample)-1])
	}
	tries = append(tries, sample+"!", "!"+sample, "")
	for _, t := range tries {
		if !re.MatchString(t) {
			return t, true
		}
	}
	return "", false
}

// valid is a value the schema takes.
func (g *gen) valid(n *node) any {
	if n == nil {
		return "x"
	}
	s := n.s
	if e := list(s["enum"]); len(e) > 0 {
		return e[0]
	}
	if c, ok := s["const"]; ok {
		return c
	}
	if p, ok := s["pattern"].(string); ok {
		if re, err := regexp.Compile(p); err == nil {
			if v, ok := g.matching(re); ok {
				return v
			}
		}
	}
	if f, ok := s["format"].(string); ok {
		if _, good, known := formatValues(f); known && good != "" {
			return good
		}
	}
	types := typesOf(s)
	switch {
	case slices.Contains(types, "string"):
		m, _ := num(s["minLength"])
		return g.text(max(int(m), 1))
	case slices.Contains(types, "integer"), slices.Contains(types, "number"):
		if m, ok := num(s["minimum"]); ok {
			return m
		}
		return float64(1)
	case slices.Contains(types, "boolean"):
		return true
	case slices.Contains(types, "array"):
		m, _ := num(s["minItems"])
		out := []any{}
		for range int(m) {
			out = append(out, g.valid(n.items))
		}
		return out
	}
	obj := map[string]any{}
	for _, r := range n.required {
		obj[r] = g.valid(n.props[r])
	}
	return obj
}
