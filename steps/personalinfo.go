package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	"github.com/latam-conformance/conformance/clients/personalinfo"
	"github.com/latam-conformance/conformance/internal/fixtures"
)

// piWorld is the natural-person part of a scenario's state.
type piWorld struct {
	base    string
	control bool
	token   string
	req     *personalinfo.Request
	// overrides replace text fields of req as they are sent; a nil value leaves the field out. The
	// typed request cannot hold politically_exposed "maybe" or a missing field, and the client should
	// not be able to send them either.
	overrides map[string]*string
}

func (w *World) piState() *piWorld {
	if w.pi == nil {
		t := w.deps.Targets["personalinfo"]
		// The mock's fixture token; a sandbox's comes with issue 5's configuration.
		w.pi = &piWorld{base: strings.TrimSuffix(t.BaseURL, "/"), control: t.Control, token: w.secret("personalinfo", "token"),
			overrides: map[string]*string{}}
	}
	return w.pi
}

func (p *piWorld) client(w *World, token string) (*personalinfo.Client, error) {
	opts := []personalinfo.Option{personalinfo.WithHTTPClient(w.httpClient("personalinfo"))}
	if token != "" {
		opts = append(opts, personalinfo.WithToken(token))
	}
	return personalinfo.NewClient(p.base, opts...)
}

const piTextFields = `birthday|first_name|last_name|gender|marital_status|nationality|politically_exposed|document_type|document_number`
const piPhotos = `front_document|back_document|dni_selfie`

func registerPersonalInfo(sc stepRegistry) {
	sc.Step(`^a natural person from the seed's example$`, func(ctx context.Context) error {
		worldOf(ctx).piState().req = fixtures.PIRequest()
		return nil
	})
	sc.Step(`^the person's (`+piTextFields+`) is "([^"]*)"$`, func(ctx context.Context, field, value string) error {
		p, err := piRequest(ctx)
		if err != nil {
			return err
		}
		p.overrides[field] = &value
		return nil
	})
	sc.Step(`^the person has no (`+piTextFields+`|`+piPhotos+`)$`, func(ctx context.Context, field string) error {
		p, err := piRequest(ctx)
		if err != nil {
			return err
		}
		if ph := piPhoto(p.req, field); ph != nil {
			*ph = nil
			return nil
		}
		p.overrides[field] = nil
		return nil
	})
	sc.Step(`^the person's (`+piPhotos+`) is declared "([^"]+)"$`, func(ctx context.Context, field, contentType string) error {
		p, err := piRequest(ctx)
		if err != nil {
			return err
		}
		ph := piPhoto(p.req, field)
		photo := *fixtures.PIPhoto(field + ".bin")
		photo.ContentType = contentType
		*ph = &photo
		return nil
	})
	sc.Step(`^the person's (`+piPhotos+`) holds (\d+) bytes of an image$`, func(ctx context.Context, field string, n int) error {
		p, err := piRequest(ctx)
		if err != nil {
			return err
		}
		photo := fixtures.PIPhoto(field + ".gif")
		photo.Content = imageOfSize(n)
		*piPhoto(p.req, field) = photo
		return nil
	})
	sc.Step(`^the person's (`+piPhotos+`) holds text declared "([^"]+)"$`, func(ctx context.Context, field, contentType string) error {
		p, err := piRequest(ctx)
		if err != nil {
			return err
		}
		*piPhoto(p.req, field) = &personalinfo.Photo{Filename: field + ".jpg", ContentType: contentType, Content: []byte("this is text, not a photo")}
		return nil
	})
	sc.Step(`^I create the personal information record$`, func(ctx context.Context) error { return piCreate(ctx, "token") })
	sc.Step(`^I create the personal information record without an integration token$`, func(ctx context.Context) error {
		return piCreate(ctx, "none")
	})
	sc.Step(`^I create the personal information record with the token as "Bearer <token>"$`, func(ctx context.Context) error {
		return piCreate(ctx, "bearer")
	})
	sc.Step(`^I send the seed's documented JSON body$`, func(ctx context.Context) error {
		w := worldOf(ctx)
		p := w.piState()
		c, err := p.client(w, p.token)
		if err != nil {
			return err
		}
		_, _, err = c.CreateRaw(ctx, []byte(fixtures.PIDocumentedJSON), "application/json")
		return transportOnly(err)
	})
	sc.Step(`^I send the person as a multipart body cut in half$`, func(ctx context.Context) error {
		w := worldOf(ctx)
		p, err := piRequest(ctx)
		if err != nil {
			return err
		}
		body, ct, err := personalinfo.Multipart(p.req, "")
		if err != nil {
			return err
		}
		c, err := p.client(w, p.token)
		if err != nil {
			return err
		}
		w.alter()
		_, _, err = c.CreateRaw(ctx, body.Bytes()[:body.Len()/2], ct)
		return transportOnly(err)
	})

	sc.Step(`^the record is in state "([a-z_]+)" and holds the person as sent$`, theRecordHoldsThePerson)
	sc.Step(`^the record's birthday is "([^"]+)"$`, func(ctx context.Context, want string) error {
		ex, rec, err := piRecordOf(ctx)
		if err != nil {
			return err
		}
		// DOC-09: the table writes YYYY/MM/DD, the example YYYY-MM-DD; either is the same date.
		if strings.ReplaceAll(rec.Birthday, "/", "-") != strings.ReplaceAll(want, "/", "-") {
			return fmt.Errorf("%s: data.birthday = %q, want %q", ex.Name(), rec.Birthday, want)
		}
		if rec.Birthday != want {
			w := worldOf(ctx)
			w.mu.Lock()
			w.notes = append(w.notes, fmt.Sprintf("the record's birthday is written %s, the table's reading (DOC-09)", rec.Birthday))
			w.mu.Unlock()
		}
		return nil
	})
	sc.Step(`^the provider answers (\d{3}) with errors on ((?:[a-z_]+, )*[a-z_]+(?: and [a-z_]+)?)$`, theProviderAnswersWithErrorsOn)
	sc.Step(`^the error on ([a-z_]+) says "([^"]+)"$`, func(ctx context.Context, field, want string) error {
		ex, errs, err := piErrors(ctx)
		if err != nil {
			return err
		}
		for _, m := range errs[field] {
			if strings.Contains(m, want) {
				return nil
			}
		}
		return fmt.Errorf("%s: errors.%s = %q, want a message containing %q", ex.Name(), field, errs[field], want)
	})
	sc.Step(`^every response in this scenario carried these headers:$`, everyResponseCarried)
	sc.Step(`^every response in this scenario carried its own X-Request-Id$`, everyResponseHasItsOwnRequestID)
	sc.Step(`^the provider kept the three photos as images$`, func(ctx context.Context) error {
		w := worldOf(ctx)
		p := w.piState()
		if !p.control {
			return errors.New("reading what the provider kept needs the mock control API (tag the scenario @control)")
		}
		_, rec, err := piRecordOf(ctx)
		if err != nil {
			return err
		}
		var kept struct {
			Photos map[string]struct {
				Filename     string `json:"filename"`
				DetectedType string `json:"detected_type"`
				Size         int64  `json:"size"`
			} `json:"photos"`
		}
		if err := mockCtl(ctx, w, p.base, http.MethodGet, "/records/"+strconv.FormatInt(rec.ID, 10), nil, &kept); err != nil {
			return err
		}
		for _, f := range []string{personalinfo.PhotoFront, personalinfo.PhotoBack, personalinfo.PhotoSelfie} {
			ph, ok := kept.Photos[f]
			if !ok || !strings.HasPrefix(ph.DetectedType, "image/") || ph.Size != int64(len(fixtures.PIPhotoBytes)) {
				return fmt.Errorf("record %d: %s kept as %+v, want the %d-byte image sent", rec.ID, f, ph, len(fixtures.PIPhotoBytes))
			}
		}
		return nil
	})
}

func piRequest(ctx context.Context) (*piWorld, error) {
	p := worldOf(ctx).piState()
	if p.req == nil {
		return nil, errors.New(`no person yet: start with "a natural person from the seed's example"`)
	}
	return p, nil
}

// piPhoto points at the photo field of r named field, or is nil for a text field.
func piPhoto(r *personalinfo.Request, field string) **personalinfo.Photo {
	switch field {
	case personalinfo.PhotoFront:
		return &r.FrontDocument
	case personalinfo.PhotoBack:
		return &r.BackDocument
	case personalinfo.PhotoSelfie:
		return &r.DNISelfie
	}
	return nil
}

// piCreate sends the scenario's person: through the typed client when nothing was changed, as the
// changed form otherwise. auth is "token", "none" or "bearer".
func piCreate(ctx context.Context, auth string) error {
	w := worldOf(ctx)
	p, err := piRequest(ctx)
	if err != nil {
		return err
	}
	token := map[string]string{"token": p.token, "none": "", "bearer": "Bearer " + p.token}[auth]
	c, err := p.client(w, token)
	if err != nil {
		return err
	}
	if auth != "token" {
		w.alter()
	}
	changed := len(p.overrides) > 0
	fixture := fixtures.PIRequest()
	for _, f := range []string{personalinfo.PhotoFront, personalinfo.PhotoBack, personalinfo.PhotoSelfie} {
		a, b := *piPhoto(p.req, f), *piPhoto(fixture, f)
		if a == nil || a.ContentType != b.ContentType || !bytes.Equal(a.Content, b.Content) {
			changed = true
		}
	}
	if changed {
		w.alter()
		var fields [][2]string
		for _, f := range p.req.Fields() {
			v, overridden := p.overrides[f[0]]
			switch {
			case !overridden:
				fields = append(fields, f)
			case v != nil:
				fields = append(fields, [2]string{f[0], *v})
			}
		}
		body, ct, ferr := personalinfo.MultipartForm(fields, p.req.Photos(), "")
		if ferr != nil {
			return ferr
		}
		_, _, err = c.CreateRaw(ctx, body.Bytes(), ct)
	} else {
		_, _, err = c.Create(ctx, p.req)
	}
	return transportOnly(err)
}

// sent is the value of a text field as the scenario sent it, and whether it was sent at all.
func (p *piWorld) sent(field string) (string, bool) {
	if v, ok := p.overrides[field]; ok {
		if v == nil {
			return "", false
		}
		return *v, true
	}
	for _, f := range p.req.Fields() {
		if f[0] == field {
			return f[1], true
		}
	}
	return "", false
}

func piRecordOf(ctx context.Context) (*Exchange, *personalinfo.Record, error) {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return nil, nil, err
	}
	raw, _ := json.Marshal(obj["data"])
	var rec personalinfo.Record
	if err := json.Unmarshal(raw, &rec); err != nil || obj["data"] == nil {
		return ex, nil, fmt.Errorf("%s: no record under data: %s", ex.Name(), ex.snippet())
	}
	return ex, &rec, nil
}

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// theRecordHoldsThePerson: PI-04. Every field comes back as sent; the birthday only when it was sent in
// the example's YYYY-MM-DD form (DOC-09: the other form's answer is a step of its own).
func theRecordHoldsThePerson(ctx context.Context, state string) error {
	ex, rec, err := piRecordOf(ctx)
	if err != nil {
		return err
	}
	p := worldOf(ctx).piState()
	var bad []string
	if rec.State != state {
		bad = append(bad, fmt.Sprintf("state = %q, want %q", rec.State, state))
	}
	if rec.ID <= 0 {
		bad = append(bad, fmt.Sprintf("id = %d, want a positive integer", rec.ID))
	}
	got := map[string]string{"first_name": rec.FirstName, "last_name": rec.LastName, "gender": rec.Gender,
		"marital_status": rec.MaritalStatus, "nationality": rec.Nationality,
		"politically_exposed": strconv.FormatBool(rec.PoliticallyExposed), "document_type": rec.DocumentType,
		"document_number": rec.DocumentNumber, "birthday": rec.Birthday}
	for _, f := range p.req.Fields() {
		want, _ := p.sent(f[0])
		if f[0] == "birthday" && !isoDate.MatchString(want) {
			continue
		}
		if f[0] == "birthday" && strings.ReplaceAll(got[f[0]], "/", "-") == want {
			continue // DOC-09: the same date in the table's YYYY/MM/DD (the birthday step notes it)
		}
		if got[f[0]] != want {
			bad = append(bad, fmt.Sprintf("%s = %q, want %q as sent", f[0], got[f[0]], want))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: data: %s", ex.Name(), strings.Join(bad, "; "))
	}
	return nil
}

func piErrors(ctx context.Context) (*Exchange, map[string][]string, error) {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return nil, nil, err
	}
	raw, _ := json.Marshal(obj["errors"])
	var errs map[string][]string
	if err := json.Unmarshal(raw, &errs); err != nil || len(errs) == 0 {
		return ex, nil, fmt.Errorf("%s: no Rails errors object {\"errors\": {field: [messages]}}: %s", ex.Name(), ex.snippet())
	}
	return ex, errs, nil
}

// theProviderAnswersWithErrorsOn checks the status and that the errors name exactly the listed fields.
func theProviderAnswersWithErrorsOn(ctx context.Context, status int, list string) error {
	if err := theProviderAnswers(ctx, status); err != nil {
		return err
	}
	ex, errs, err := piErrors(ctx)
	if err != nil {
		return err
	}
	want := strings.FieldsFunc(strings.ReplaceAll(list, " and ", ", "), func(r rune) bool { return r == ',' || r == ' ' })
	var got []string
	for f := range errs {
		got = append(got, f)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s: errors name %s, want exactly %s (body: %s)", ex.Name(), strings.Join(got, ", "), strings.Join(want, ", "), ex.snippet())
	}
	return nil
}

// scenarioExchanges is every exchange the scenario made with its own provider so far.
func scenarioExchanges(ctx context.Context) ([]*Exchange, error) {
	w := worldOf(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*Exchange
	for _, ex := range w.exchanges {
		if ex.Err == nil && ex.Provider == w.provider {
			out = append(out, ex)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no response yet in this scenario")
	}
	return out, nil
}

// everyResponseCarried: PI-05, for every response of the scenario, whatever its status. The table
// holds header names and their documented values.
func everyResponseCarried(ctx context.Context, table *godog.Table) error {
	exs, err := scenarioExchanges(ctx)
	if err != nil {
		return err
	}
	var bad []string
	for _, row := range table.Rows {
		if len(row.Cells) != 2 {
			return errors.New("each row of the table needs two cells: a header name and its value")
		}
		name, want := row.Cells[0].Value, row.Cells[1].Value
		for _, ex := range exs {
			if got := ex.Header.Values(name); len(got) != 1 || got[0] != want {
				bad = append(bad, fmt.Sprintf("%s answered %d with %s: %q, want %q", ex.Name(), ex.Status, name, strings.Join(got, ", "), want))
			}
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

func everyResponseHasItsOwnRequestID(ctx context.Context) error {
	exs, err := scenarioExchanges(ctx)
	if err != nil {
		return err
	}
	seen := map[string]string{}
	for i, ex := range exs {
		id := ex.Header.Get("X-Request-Id")
		if id == "" {
			return fmt.Errorf("%s answered %d without an X-Request-Id", ex.Name(), ex.Status)
		}
		key := fmt.Sprintf("response %d (%s, %d)", i+1, ex.Name(), ex.Status)
		if prev, dup := seen[id]; dup {
			return fmt.Errorf("%s carried the X-Request-Id %q of %s", key, id, prev)
		}
		seen[id] = key
	}
	return nil
}

// imageOfSize is n bytes of an image: the GIF signature first (when it fits), zeros after.
func imageOfSize(n int) []byte {
	content := make([]byte, n)
	copy(content, fixtures.PIPhotoBytes)
	return content
}
