package editdist

import "testing"

func TestLevenshtein(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"tag", "tags", 1}, {"tags", "tag", 1}, {"kitten", "sitting", 3}, {"/baas/token_requests", "/baas/token_request", 1}, {"abc", "", 3}} {
		if got := Levenshtein(c.a, c.b); got != c.want {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
