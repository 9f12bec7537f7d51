package pomelo

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Query is a typed session search (KYC-08..11). It encodes exactly the documented syntax:
// filter[field]=value, filter[created_at][from]/[to]=YYYY-MM-DD, sort=a,-b, and the page as
// page[size] and page[number] (the seed says the caller chooses both, not how they are spelt: this
// harness uses the same bracket style as the filters).
type Query struct {
	Filters     map[string]string // field -> value
	CreatedFrom string            // YYYY-MM-DD
	CreatedTo   string            // YYYY-MM-DD
	Sort        []SortKey
	PageSize    int // 0: the provider's default
	PageNumber  int // 1-based; 0: the first page
}

// The search's vocabulary (KYC-08..11), as the harness reads the seed: the fields a filter and a sort
// take, the documented values of the enumerated filters (DOC-18: another value is an incorrect
// parameter), and the page sizes.
var (
	FilterFields = []string{"id", "status", "kind", "user_id", "flow_id", "flow_type", "country", "integration_method", "external_id"}
	SortFields   = []string{"id", "status", "created_at", "updated_at", "user_id", "country"}
	FilterValues = map[string][]string{
		"status":  {StatusInProgress, StatusValidated, StatusRejected, StatusCancelled},
		"kind":    {"kyc", "kyb"},
		"country": Countries,
	}
)

// Page sizes: the provider's default and the largest it takes.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// SortKey is one sort field; Desc sends it with the "-" prefix (KYC-11).
type SortKey struct {
	Field string
	Desc  bool
}

// ParseSort reads "created_at,-updated_at".
func ParseSort(s string) []SortKey {
	var out []SortKey
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		out = append(out, SortKey{Field: strings.TrimPrefix(f, "-"), Desc: strings.HasPrefix(f, "-")})
	}
	return out
}

// Values encodes the query.
func (q Query) Values() url.Values {
	v := url.Values{}
	for k, val := range q.Filters {
		v.Set("filter["+k+"]", val)
	}
	if q.CreatedFrom != "" {
		v.Set("filter[created_at][from]", q.CreatedFrom)
	}
	if q.CreatedTo != "" {
		v.Set("filter[created_at][to]", q.CreatedTo)
	}
	if len(q.Sort) > 0 {
		keys := make([]string, len(q.Sort))
		for i, k := range q.Sort {
			keys[i] = k.Field
			if k.Desc {
				keys[i] = "-" + k.Field
			}
		}
		v.Set("sort", strings.Join(keys, ","))
	}
	if q.PageSize > 0 {
		v.Set("page[size]", strconv.Itoa(q.PageSize))
	}
	if q.PageNumber > 0 {
		v.Set("page[number]", strconv.Itoa(q.PageNumber))
	}
	return v
}

// Page is one page of search results.
type Page struct {
	Data []Session `json:"data"`
	Meta struct {
		Pagination Pagination `json:"pagination"`
	} `json:"meta"`
}

// Pagination describes where a page sits.
type Pagination struct {
	CurrentPage int `json:"current_page"`
	PageSize    int `json:"page_size"`
	TotalPages  int `json:"total_pages"`
	TotalItems  int `json:"total_items"`
}

// SearchSessions returns one page of sessions matching q (KYC-08..12). GET /identity/v1/sessions; the
// seed names the path only as /sessions (DOC-05).
func (c *Client) SearchSessions(ctx context.Context, q Query) (*Page, *http.Response, error) {
	var out Page
	resp, err := c.do(ctx, http.MethodGet, PathSessions, q.Values(), nil, "", &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// SearchAll pages through every session matching q, starting at q.PageNumber (or 1), yielding each
// session, and stops at the first error (yielded with a nil session).
func (c *Client) SearchAll(ctx context.Context, q Query) iter.Seq2[*Session, error] {
	return func(yield func(*Session, error) bool) {
		if q.PageNumber < 1 {
			q.PageNumber = 1
		}
		for {
			page, _, err := c.SearchSessions(ctx, q)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range page.Data {
				if !yield(&page.Data[i], nil) {
					return
				}
			}
			p := page.Meta.Pagination
			if len(page.Data) == 0 || p.CurrentPage >= p.TotalPages {
				return
			}
			if p.CurrentPage < q.PageNumber {
				yield(nil, errors.New("pomelo: search: the provider answered an earlier page than asked; stopping"))
				return
			}
			q.PageNumber = p.CurrentPage + 1
		}
	}
}
