package pomelo

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	client "github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/mock"
)

// Fields a search can filter on (filter[field]=value, KYC-08) and sort by (KYC-11).
var (
	filterFields = client.FilterFields
	sortFields   = client.SortFields
	filterValues = client.FilterValues
)

var (
	filterKey = regexp.MustCompile(`^filter\[([a-z_]+)\]$`)
	rangeKey  = regexp.MustCompile(`^filter\[created_at\]\[(from|to)\]$`)
	pageKey   = regexp.MustCompile(`^page\[(size|number)\]$`)
	dateRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

type searchQuery struct {
	filters  map[string]string
	from, to time.Time // zero: open
	sort     []client.SortKey
	size     int
	number   int
}

// parseSearch reads the query string strictly: an unknown or misspelt parameter, filter or sort field,
// a malformed bracket, a bad date or a non-numeric page is an error naming it (KYC-12).
func parseSearch(raw string) (*searchQuery, []map[string]any) {
	q := &searchQuery{filters: map[string]string{}, size: DefaultPageSize, number: 1}
	var errs []map[string]any
	bad := func(param, msg string, a ...any) {
		errs = append(errs, map[string]any{"parameter": param, "message": fmt.Sprintf(msg, a...)})
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		bad("", "query string does not parse: %v", err)
		return nil, errs
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := vals[k]
		if len(v) > 1 {
			bad(k, "given %d times", len(v))
			continue
		}
		val := v[0]
		switch {
		case k == "sort":
			q.sort = nil
			seen := map[string]bool{}
			for _, f := range strings.Split(val, ",") {
				name := strings.TrimPrefix(f, "-")
				switch {
				case name == "":
					bad(k, "empty sort field in %q", val)
				case !contains(sortFields, name):
					bad(k, "cannot sort by %q (sortable: %s)", name, strings.Join(sortFields, ", "))
				case seen[name]:
					bad(k, "%q appears twice", name)
				default:
					seen[name] = true
					q.sort = append(q.sort, client.SortKey{Field: name, Desc: strings.HasPrefix(f, "-")})
				}
			}
		case rangeKey.MatchString(k):
			t, err := time.Parse("2006-01-02", val)
			if !dateRE.MatchString(val) || err != nil {
				bad(k, "%q is not a date YYYY-MM-DD", val)
				continue
			}
			if rangeKey.FindStringSubmatch(k)[1] == "from" {
				q.from = t
			} else {
				q.to = t
			}
		case filterKey.MatchString(k):
			f := filterKey.FindStringSubmatch(k)[1]
			if !contains(filterFields, f) {
				bad(k, "cannot filter by %q (filterable: %s, and created_at by [from]/[to])", f, strings.Join(filterFields, ", "))
				continue
			}
			if val == "" {
				bad(k, "empty filter value")
				continue
			}
			if values, enumerated := filterValues[f]; enumerated && !contains(values, val) {
				bad(k, "%q is not a %s the documents know (one of: %s)", val, f, strings.Join(values, ", "))
				continue
			}
			q.filters[f] = val
		case pageKey.MatchString(k):
			n, err := strconv.Atoi(val)
			which := pageKey.FindStringSubmatch(k)[1]
			switch {
			case err != nil:
				bad(k, "%q is not a whole number", val)
			case which == "size" && (n < 1 || n > MaxPageSize):
				bad(k, "page size %d is outside 1..%d", n, MaxPageSize)
			case which == "number" && n < 1:
				bad(k, "page number %d is below 1", n)
			case which == "size":
				q.size = n
			default:
				q.number = n
			}
		case strings.ContainsAny(k, "[]"):
			bad(k, "malformed parameter: write filter[field]=value, filter[created_at][from]=YYYY-MM-DD, page[size]=N or page[number]=N")
		default:
			bad(k, "unknown parameter (known: filter[...], sort, page[size], page[number])")
		}
	}
	if !q.from.IsZero() && !q.to.IsZero() && q.to.Before(q.from) {
		bad("filter[created_at][to]", "the range ends before it starts")
	}
	return q, errs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func field(s *client.Session, name string) string {
	switch name {
	case "id":
		return s.ID
	case "status":
		return s.Status
	case "kind":
		return s.Kind
	case "user_id":
		return s.UserID
	case "flow_id":
		return s.FlowID
	case "flow_type":
		return s.FlowType
	case "country":
		return s.Country
	case "integration_method":
		return s.IntegrationMethod
	case "external_id":
		return s.ExternalID
	case "created_at":
		return s.CreatedAt
	case "updated_at":
		return s.UpdatedAt
	}
	return ""
}

// search: KYC-08..12.
func (m *Mock) search(w http.ResponseWriter, r *http.Request) {
	q, errs := parseSearch(r.URL.RawQuery)
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		details := make([]any, len(errs))
		for i, e := range errs {
			msgs[i] = fmt.Sprintf("%s: %s", e["parameter"], e["message"])
			details[i] = e
		}
		writeProblem(w, (&mock.Problem{Status: http.StatusBadRequest, Code: CodeInvalidParameter,
			Message: "incorrect search parameters: " + strings.Join(msgs, "; "), Data: map[string]any{"details": details}}).
			Broke(strings.Join(msgs, "; "), "KYC-12"))
		return
	}
	tenant := m.tenant(r)
	if page, total, ok := m.searchInOrder(tenant, q); ok {
		writePage(w, q, page, total)
		return
	}
	m.mu.Lock()
	var hits []*session
	candidates := func(yield func(*session) bool) { // the user's sessions when the query names one (an index)
		if uid, ok := q.filters["user_id"]; ok {
			for _, s := range m.byUser[userKey(tenant, uid)] {
				if !yield(s) {
					return
				}
			}
			return
		}
		for _, s := range m.byCreated[tenant] { // the calling tenant's only
			if !yield(s) {
				return
			}
		}
	}
	for s := range candidates {
		if matches(&s.Session, q) {
			hits = append(hits, s)
		}
	}
	rows := sortRows(hits, append(append([]client.SortKey(nil), q.sort...), client.SortKey{Field: "created_at"}, client.SortKey{Field: "id"}))
	m.mu.Unlock()
	rows.sort() // outside the lock: other calls go on meanwhile
	total := len(rows.rows)
	start := (q.number - 1) * q.size
	page := []client.Session{}
	m.mu.Lock()
	for _, r := range rows.rows[min(start, total):min(start+q.size, total)] {
		page = append(page, r.s.Session) // only the page is copied
	}
	m.mu.Unlock()
	writePage(w, q, page, total)
}

func writePage(w http.ResponseWriter, q *searchQuery, page []client.Session, total int) {
	mock.WriteJSON(w, http.StatusOK, map[string]any{"data": page, "meta": map[string]any{"pagination": client.Pagination{
		CurrentPage: q.number, PageSize: q.size, TotalPages: (total + q.size - 1) / q.size, TotalItems: total}}})
}

// searchInOrder answers a search without filters or dates, sorted by created_at either way (or not
// at all), from byCreated: a page costs its own size (and its offset), not the number of sessions.
// ok is false for any other search.
func (m *Mock) searchInOrder(tenant string, q *searchQuery) (page []client.Session, total int, ok bool) {
	if len(q.filters) > 0 || !q.from.IsZero() || !q.to.IsZero() || len(q.sort) > 1 ||
		(len(q.sort) == 1 && q.sort[0].Field != "created_at") {
		return nil, 0, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	created := m.byCreated[tenant]
	total = len(created)
	skip := (q.number - 1) * q.size
	hits := created[min(skip, total):min(skip+q.size, total)]
	if len(q.sort) == 1 && q.sort[0].Desc {
		// Newest first; sessions created at the same instant stay in id order (the search's last key).
		hits = mock.NewestFirst(created, func(s *session) string { return s.createdKey },
			func(s *session) string { return s.ID }, skip, q.size)
	}
	page = []client.Session{}
	for _, s := range hits {
		page = append(page, s.Session)
	}
	return page, total, true
}

// sorting is a search's hits with their sort values, computed once each (a timestamp parsed once,
// not at every comparison; created_at once per session, when it is stored). The sort moves pointers,
// not sessions.
type sorting struct {
	keys []client.SortKey
	rows []sortRow
}

type sortRow struct {
	s    *session
	vals []string
}

// sortRows reads the sort values of hits. m.mu must be held.
func sortRows(hits []*session, keys []client.SortKey) *sorting {
	out := &sorting{keys: keys, rows: make([]sortRow, len(hits))}
	for i, s := range hits {
		v := make([]string, len(keys))
		for j, k := range keys {
			switch k.Field {
			case "created_at":
				v[j] = s.createdKey
			case "updated_at":
				v[j] = normTime(s.UpdatedAt)
			default:
				v[j] = field(&s.Session, k.Field)
			}
		}
		out.rows[i] = sortRow{s, v}
	}
	return out
}

func (o *sorting) sort() {
	sort.SliceStable(o.rows, func(a, b int) bool {
		va, vb := o.rows[a].vals, o.rows[b].vals
		for j, k := range o.keys {
			if va[j] != vb[j] {
				return (va[j] < vb[j]) != k.Desc
			}
		}
		return false
	})
}

// normTime makes RFC 3339 stamps compare as text in time order.
func normTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000")
}

func matches(s *client.Session, q *searchQuery) bool {
	for f, v := range q.filters {
		if field(s, f) != v {
			return false
		}
	}
	if q.from.IsZero() && q.to.IsZero() {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, s.CreatedAt)
	if err != nil {
		return false
	}
	day := time.Date(t.UTC().Year(), t.UTC().Month(), t.UTC().Day(), 0, 0, 0, 0, time.UTC)
	return (q.from.IsZero() || !day.Before(q.from)) && (q.to.IsZero() || !day.After(q.to))
}
