package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/fixtures"
	mockpomelo "github.com/latam-conformance/conformance/internal/mock/pomelo"
	"github.com/latam-conformance/conformance/internal/randid"
	"github.com/latam-conformance/conformance/internal/transport"
)

// pomeloWorld is the Pomelo part of a scenario's state.
type pomeloWorld struct {
	client   *pomelo.Client // authenticated (KYC-16)
	anon     *pomelo.Client // no credentials
	base     string
	control  bool
	flowID   string
	session  *pomelo.Session  // the scenario's current session
	created  []string         // ids of every session created in the scenario
	searched *pomelo.Page     // the last search answer
	ownUser  string           // the user of the sessions the scenario made itself (search_own_sessions)
	own      []string         // their ids, in the order they were made
	receiver *webhookReceiver // started by the scenario
	hub      *hookHub         // the run's receiver, against a target without the control API
	notified string           // the status of the last notification the scenario waited for
	// named maps the users and document numbers a feature names ("usr-cleanme1", "20444555666") to
	// ones the scenario made for itself, so that runs against one target, at once or after an
	// interrupted one, never share a user or a document (KYC-13 cleans by either).
	named map[string]string
}

// userNamed is the scenario's own user for the name a feature gives: the name and a random suffix, in
// the documented shape (usr-[A-Za-z0-9]+).
func (p *pomeloWorld) userNamed(name string) string {
	return p.namedValue(name, func() string { return name + randid.Hex(12) })
}

// documentNamed is the scenario's own document number for the one a feature gives: as many random
// digits; "" stays "".
func (p *pomeloWorld) documentNamed(number string) string {
	if number == "" {
		return ""
	}
	return p.namedValue("doc:"+number, func() string { return randid.Digits(len(number)) })
}

func (p *pomeloWorld) namedValue(key string, make func() string) string {
	if p.named == nil {
		p.named = map[string]string{}
	}
	if v, ok := p.named[key]; ok {
		return v
	}
	v := make()
	p.named[key] = v
	return v
}

func (w *World) pomeloState() (*pomeloWorld, error) {
	if w.pomelo != nil {
		return w.pomelo, nil
	}
	t := w.deps.Targets["pomelo"]
	c, err := pomelo.NewClient(t.BaseURL, pomelo.WithHTTPClient(w.httpClient("pomelo")),
		pomelo.WithCredentials(w.pomeloCredentials()))
	if err != nil {
		return nil, err
	}
	anon, err := pomelo.NewClient(t.BaseURL, pomelo.WithHTTPClient(w.httpClient("pomelo")))
	if err != nil {
		return nil, err
	}
	w.pomelo = &pomeloWorld{client: c, anon: anon, base: strings.TrimSuffix(t.BaseURL, "/"), control: t.Control}
	return w.pomelo, nil
}

// pomeloCredentials are the OAuth2 client credentials of the run (KYC-16).
func (w *World) pomeloCredentials() pomelo.Credentials {
	return pomelo.Credentials{ClientID: w.secret("pomelo", "client_id"), ClientSecret: w.secret("pomelo", "client_secret"),
		Audience: w.setting("pomelo", "audience")}
}

func pomeloOf(ctx context.Context) (*World, *pomeloWorld, error) {
	w := worldOf(ctx)
	p, err := w.pomeloState()
	return w, p, err
}

func (p *pomeloWorld) ctl(ctx context.Context, w *World, method, path string, in, out any) error {
	if !p.control {
		return errors.New("this step needs the mock control API (tag the scenario @control)")
	}
	return mockCtl(ctx, w, p.base, method, path, in, out)
}

func registerPomelo(sc stepRegistry) {
	sc.Step(`^a validation flow for (ARG|BRA|MEX|COL|PER|CHL)$`, aValidationFlow)
	sc.Step(`^a validation flow with these sessions:$`, aFlowWithSessions)
	sc.Step(`^a webhook receiver that knows the provider's signing secret$`, aWebhookReceiver)
	sc.Step(`^the receiver refuses the first (\d+) notifications?$`, theReceiverRefuses)
	sc.Step(`^the provider revokes every access token$`, theProviderRevokesTokens)
	sc.Step(`^a user "(usr-[A-Za-z0-9]+)" with document number "([0-9]+)" and a validated session$`, aValidatedUser)
	sc.Step(`^a user "(usr-[A-Za-z0-9]+)" with a session validated through the public API$`, aUserValidatedThroughTheAPI)
	sc.Step(`^a KYB session body built from the seed's example$`, aKYBBody)

	sc.Step(`^I ask for an access token(?: with the client secret "([^"]*)")?$`, iAskForAToken)
	sc.Step(`^I create a KYC session for a new user$`, func(ctx context.Context) error { return createKYC(ctx, fixtures.PomeloID("usr")) })
	sc.Step(`^I create a KYC session for "(usr-[A-Za-z0-9]+)"$`, createNamedKYC)
	sc.Step(`^a KYC session for a new user$`, aKYCSession)
	sc.Step(`^I create the KYB session$`, createKYB)
	sc.Step(`^I get the session$`, func(ctx context.Context) error { return onSession(ctx, "get") })
	sc.Step(`^I get the session by the singular path$`, func(ctx context.Context) error { return onSession(ctx, "get-singular") })
	sc.Step(`^I cancel the session$`, func(ctx context.Context) error { return onSession(ctx, "cancel") })
	sc.Step(`^I ask for the session's report$`, func(ctx context.Context) error { return onSession(ctx, "report") })
	sc.Step(`^I upload an? "([a-z-]+)" for the session's (?:user|first partner)$`, func(ctx context.Context, doc string) error {
		return uploadFor(ctx, doc, "user", "image/jpeg")
	})
	sc.Step(`^I upload an? "([a-z-]+)" for the company$`, func(ctx context.Context, doc string) error {
		return uploadFor(ctx, doc, "company", "application/pdf")
	})
	sc.Step(`^I upload an? "([a-z-]+)" as "([a-z]+/[a-z.+-]+)" for the session's user$`, func(ctx context.Context, doc, mt string) error {
		return uploadFor(ctx, doc, "user", mt)
	})
	sc.Step(`^I upload a selfie and both sides of the identity card$`, func(ctx context.Context) error {
		for _, d := range []string{pomelo.DocSelfie, pomelo.DocIdentityCardFront, pomelo.DocIdentityCardBack} {
			if err := uploadFor(ctx, d, "user", "image/jpeg"); err != nil {
				return err
			}
			if err := theProviderAnswers(ctx, 201); err != nil {
				return err
			}
		}
		return nil
	})
	sc.Step(`^I (get|cancel|ask for the report of|upload a selfie to) a session that does not exist$`, onMissingSession)
	sc.Step(`^I call (GET|POST|DELETE) "([^"]+)" without a bearer token$`, callWithoutBearer)
	sc.Step(`^I search sessions with "([^"]*)"$`, searchWith)
	sc.Step(`^I clean validations with user id "([^"]*)" and document number "([^"]*)"$`, cleanWith)

	sc.Step(`^the session has a new unique id$`, theSessionHasANewID)
	sc.Step(`^the session is "([A-Z_]+)"$`, theSessionIs)
	sc.Step(`^the session's country is "([A-Z]{3})"$`, theSessionCountryIs)
	sc.Step(`^the report shows the status "([A-Z_]+)" and the documents "([^"]*)"$`, theReportShows)
	sc.Step(`^the search returns, in this order, the users "([^"]*)"$`, theSearchReturns)
	sc.Step(`^the search returns no session$`, func(ctx context.Context) error { return theSearchReturns(ctx, "") })
	sc.Step(`^the search has (\d+) pages? and (\d+) sessions? in all$`, theSearchHasPages)
	sc.StepThatWaits(`^(\d+) sessions made through the public API for a new user$`, sessionsForANewUser)
	sc.Step(`^I search the user's sessions with "([^"]*)"$`, searchOwnSessions)
	sc.Step(`^I cancel the user's session (\d+)$`, cancelOwnSession)
	sc.Step(`^the search returns the user's sessions "([^"]*)"$`, theSearchReturnsOwn)
	sc.Step(`^the search is refused naming "([^"]+)"$`, theSearchIsRefused)
	sc.Step(`^the provider issues a Bearer token that expires$`, theProviderIssuesAToken)
	sc.Step(`^the client fetched a new token once and the call succeeded$`, theClientRefreshedOnce)
	sc.Step(`^a new KYC session (can|cannot) be created for "(usr-[A-Za-z0-9]+)"$`, aNewSessionCanBeCreated)
	sc.Step(`^the receiver accepts a notification that the session is "([A-Z_]+)"$`, theReceiverAccepts)
	sc.Step(`^the provider tried (\d+) times to deliver it$`, theProviderTried)
	sc.Step(`^a notification signed with the provider's secret is accepted by the receiver$`, func(ctx context.Context) error {
		return sendToReceiver(ctx, nil, http.StatusNoContent)
	})
	sc.Step(`^a notification (with a wrong signature|replayed with a timestamp from 10 minutes ago|whose body was changed after signing) is refused by the receiver$`, func(ctx context.Context, how string) error {
		return sendToReceiver(ctx, tamper[how], http.StatusUnauthorized)
	})
}

// ---- Given ----

func aValidationFlow(ctx context.Context, country string) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if !p.control {
		// Flows are configured in the provider: use the one configured for the country.
		for _, pair := range strings.Split(w.setting("pomelo", "flows"), ",") {
			if c, id, ok := strings.Cut(strings.TrimSpace(pair), ":"); ok && strings.EqualFold(c, country) && id != "" {
				p.flowID = id
				return nil
			}
		}
		return w.skip(fmt.Sprintf("needs a validation flow for %s: set providers.pomelo.options.flows (COUNTRY:flow-id,…) to the flows configured in the provider", country))
	}
	in := map[string]any{"country": country}
	if p.receiver != nil {
		in["webhook_url"] = p.receiver.url()
	}
	var out struct {
		FlowID string `json:"flow_id"`
	}
	if err := p.ctl(ctx, w, http.MethodPost, "/flows", in, &out); err != nil {
		return err
	}
	p.flowID = out.FlowID
	return nil
}

func aFlowWithSessions(ctx context.Context, table *godog.Table) error {
	if err := aValidationFlow(ctx, "ARG"); err != nil {
		return err
	}
	w, p, _ := pomeloOf(ctx)
	if len(table.Rows) < 2 {
		return errors.New("the table needs a header row and at least one session")
	}
	head := map[string]int{}
	for i, c := range table.Rows[0].Cells {
		head[c.Value] = i
	}
	for _, col := range []string{"user_id", "status", "created_at"} {
		if _, ok := head[col]; !ok {
			return fmt.Errorf("the table needs a %q column", col)
		}
	}
	for _, row := range table.Rows[1:] {
		cell := func(col string) string {
			if i, ok := head[col]; ok {
				return row.Cells[i].Value
			}
			return ""
		}
		in := map[string]any{"user_id": cell("user_id"), "flow_id": p.flowID, "status": cell("status"),
			"created_at": cell("created_at"), "updated_at": cell("updated_at")}
		if err := p.ctl(ctx, w, http.MethodPost, "/sessions", in, nil); err != nil {
			return err
		}
	}
	return nil
}

func aKYCSession(ctx context.Context) error {
	if err := createKYC(ctx, fixtures.PomeloID("usr")); err != nil {
		return err
	}
	return theProviderAnswers(ctx, 201)
}

func aKYBBody(ctx context.Context) error {
	w, _, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	doc, err := toDoc(fixtures.PomeloKYB())
	if err != nil {
		return err
	}
	w.setBody(doc)
	return nil
}

func theProviderRevokesTokens(ctx context.Context) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	// The scenario's own token, as its last call sent it: another run's tokens on the same mock live on.
	var token string
	w.mu.Lock()
	for _, ex := range w.exchanges {
		if t, ok := strings.CutPrefix(ex.ReqHdr.Get("Authorization"), "Bearer "); ok && ex.Provider == "pomelo" {
			token = t
		}
	}
	w.mu.Unlock()
	if token == "" {
		return errors.New("no call of the scenario carried a bearer token to revoke")
	}
	return p.ctl(ctx, w, http.MethodPost, "/tokens/revoke", map[string]string{"token": token}, nil)
}

func aValidatedUser(ctx context.Context, user, doc string) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.flowID == "" {
		return errors.New(`no flow yet: start with "a validation flow for ARG"`)
	}
	user, doc = p.userNamed(user), p.documentNamed(doc)
	if err := p.ctl(ctx, w, http.MethodPost, "/users", map[string]string{"user_id": user, "document_number": doc}, nil); err != nil {
		return err
	}
	return p.ctl(ctx, w, http.MethodPost, "/sessions", map[string]any{"user_id": user, "flow_id": p.flowID,
		"status": pomelo.StatusValidated, "created_at": time.Now().UTC().Format(time.RFC3339)}, nil)
}

// aUserValidatedThroughTheAPI creates a session for user from the scenario's flow and uploads every
// document its country requires, as a person would: no control API, so any target can run it.
func aUserValidatedThroughTheAPI(ctx context.Context, user string) error {
	if err := createNamedKYC(ctx, user); err != nil {
		return err
	}
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.session == nil {
		return fmt.Errorf("no session was created for %s", user)
	}
	for _, d := range []string{pomelo.DocSelfie, pomelo.DocIdentityCardFront, pomelo.DocIdentityCardBack} {
		if err := uploadFor(ctx, d, "user", "image/jpeg"); err != nil {
			return err
		}
	}
	return nil
}

// sessionsForANewUser makes n sessions for a user of the scenario's own through the public API, a second
// apart on a target without the control API (a clock that keeps seconds would tie them otherwise).
func sessionsForANewUser(ctx context.Context, n int) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	p.ownUser = fixtures.PomeloID("usr")
	for i := 0; i < n; i++ {
		if i > 0 && !p.control {
			if err := transport.Sleep(ctx, 1100*time.Millisecond); err != nil {
				return err
			}
		}
		before := len(p.created)
		if err := createKYC(ctx, p.ownUser); err != nil {
			return err
		}
		if len(p.created) == before {
			_, ex, _ := lastOf(ctx)
			return fmt.Errorf("session %d for %s was not created (status %d: %s)", i+1, p.ownUser, ex.Status, ex.snippet())
		}
		p.own = append(p.own, p.session.ID)
	}
	return nil
}

// searchOwnSessions searches with query ({today} and {yesterday} replaced by UTC dates) narrowed to the
// scenario's own user.
func searchOwnSessions(ctx context.Context, query string) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.ownUser == "" {
		return errors.New(`no sessions of the scenario's own yet: start with "3 sessions made through the public API for a new user"`)
	}
	now := time.Now().UTC()
	query = strings.NewReplacer("{today}", now.Format("2006-01-02"), "{yesterday}", now.AddDate(0, 0, -1).Format("2006-01-02")).Replace(query)
	if query != "" {
		query += "&"
	}
	return searchWith(ctx, query+"filter[user_id]="+url.QueryEscape(p.ownUser))
}

func cancelOwnSession(ctx context.Context, n int) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if n < 1 || n > len(p.own) {
		return fmt.Errorf("the scenario made %d sessions, not a session %d", len(p.own), n)
	}
	return sessionCall(ctx, p, p.own[n-1], "cancel")
}

// theSearchReturnsOwn checks the last search's sessions against the scenario's own, by the order they
// were made ("1, 3"; "" for none).
func theSearchReturnsOwn(ctx context.Context, want string) error {
	ex, p, err := searchAnswer(ctx)
	if err != nil {
		return err
	}
	index := map[string]string{}
	for i, id := range p.own {
		index[id] = strconv.Itoa(i + 1)
	}
	var got []string
	for _, s := range p.searched.Data {
		n, ok := index[s.ID]
		if !ok {
			n = "another user's " + s.ID
		}
		got = append(got, n)
	}
	if strings.Join(got, ", ") != want {
		return fmt.Errorf("%s?%s: the user's sessions = [%s], want [%s]", ex.Name(), ex.Query, strings.Join(got, ", "), want)
	}
	return nil
}

// ---- When ----

func iAskForAToken(ctx context.Context, secret string) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if secret == "" {
		secret = w.secret("pomelo", "client_secret")
	} else {
		w.alter()
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {w.secret("pomelo", "client_id")},
		"client_secret": {secret}, "audience": {w.setting("pomelo", "audience")}}
	_, err = p.anon.Raw(ctx, http.MethodPost, pomelo.PathToken, nil, []byte(form.Encode()), "application/x-www-form-urlencoded", nil)
	return transportOnly(err)
}

// createNamedKYC creates a session for the scenario's own user of the name a feature gives.
func createNamedKYC(ctx context.Context, name string) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	return createKYC(ctx, p.userNamed(name))
}

func createKYC(ctx context.Context, user string) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.flowID == "" {
		return errors.New(`no flow yet: start with "a validation flow for ARG"`)
	}
	s, _, err := p.client.CreateKYCSession(ctx, &pomelo.KYCSession{UserID: user, FlowID: p.flowID})
	p.remember(s)
	return transportOnly(err)
}

func (p *pomeloWorld) remember(s *pomelo.Session) {
	if s != nil {
		p.session = s
		p.created = append(p.created, s.ID)
		if p.hub != nil {
			p.hub.created(p, s.ID)
		}
	}
}

func createKYB(ctx context.Context) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if w.body == nil {
		return errors.New(`no body yet: start with "a KYB session body built from the seed's example"`)
	}
	if w.bodyAltered {
		w.alter()
		var out struct {
			Data pomelo.Session `json:"data"`
		}
		_, err = p.client.Raw(ctx, http.MethodPost, pomelo.PathCreateSession, nil, w.body.raw(), "application/json", &out)
		if err == nil {
			p.remember(&out.Data)
		}
		return transportOnly(err)
	}
	var typed pomelo.KYBSession
	if err := json.Unmarshal(w.body.raw(), &typed); err != nil {
		return err
	}
	s, _, err := p.client.CreateKYBSession(ctx, &typed)
	p.remember(s)
	return transportOnly(err)
}

func onSession(ctx context.Context, what string) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.session == nil {
		return errors.New("no session in this scenario yet")
	}
	return sessionCall(ctx, p, p.session.ID, what)
}

func sessionCall(ctx context.Context, p *pomeloWorld, id, what string) error {
	var s *pomelo.Session
	switch what {
	case "get":
		s, _, err := p.client.GetSession(ctx, id)
		if s != nil {
			p.session = s
		}
		return transportOnly(err)
	case "get-singular":
		var out struct {
			Data pomelo.Session `json:"data"`
		}
		_, err := p.client.Raw(ctx, http.MethodGet, "/identity/v1/session/"+url.PathEscape(id), nil, nil, "", &out)
		return transportOnly(err)
	case "cancel":
		var err error
		s, _, err = p.client.CancelSession(ctx, id)
		if s != nil {
			p.session = s
		}
		return transportOnly(err)
	case "report", "ask for the report of":
		_, _, err := p.client.SessionReport(ctx, id)
		return transportOnly(err)
	case "upload a selfie to":
		_, _, err := p.client.UploadFile(ctx, id, fixtures.PomeloID("usr"), pomelo.DocSelfie, "selfie.jpg", "image/jpeg", strings.NewReader("jpeg"))
		return transportOnly(err)
	}
	return fmt.Errorf("unknown session call %q", what)
}

func onMissingSession(ctx context.Context, what string) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	return sessionCall(ctx, p, fixtures.PomeloID("ses"), what)
}

// uploadFor uploads a small file of docType for the session's user ("user") or company ("company").
func uploadFor(ctx context.Context, docType, entity, mediaType string) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.session == nil {
		return errors.New("no session in this scenario yet")
	}
	id := p.session.UserID
	if p.session.Kind == "kyb" || id == "" {
		kyb := fixtures.PomeloKYB()
		id = kyb.Data.Partners[0].ID
		if entity == "company" {
			id = kyb.Data.Company.ID
		}
	}
	_, _, err = p.client.UploadFile(ctx, p.session.ID, id, docType, docType+".bin", mediaType, strings.NewReader("content of "+docType))
	return transportOnly(err)
}

func callWithoutBearer(ctx context.Context, method, path string) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	w.alter()
	var body []byte
	ct := ""
	if method == http.MethodPost {
		body, ct = []byte(`{}`), "application/json"
	}
	_, err = p.anon.Raw(ctx, method, path, nil, body, ct, nil)
	return transportOnly(err)
}

// searchWith sends the query as written, scoped to the scenario's flow so that concurrent scenarios do
// not see each other's sessions. A query the typed client can express goes through it.
func searchWith(ctx context.Context, raw string) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return fmt.Errorf("the query %q does not parse: %w", raw, err)
	}
	if p.flowID != "" {
		vals.Set("filter[flow_id]", p.flowID)
	}
	p.searched = nil
	if q, ok := typedQuery(vals); ok {
		page, _, err := p.client.SearchSessions(ctx, q)
		p.searched = page
		return transportOnly(err)
	}
	w.alter()
	var page pomelo.Page
	_, err = p.client.Raw(ctx, http.MethodGet, pomelo.PathSessions, vals, nil, "", &page)
	if err == nil {
		p.searched = &page
	}
	return transportOnly(err)
}

// typedQuery converts vals to a pomelo.Query when every parameter is one the type can express.
func typedQuery(vals url.Values) (pomelo.Query, bool) {
	q := pomelo.Query{Filters: map[string]string{}}
	for k, v := range vals {
		if len(v) != 1 {
			return q, false
		}
		var err error
		switch {
		case k == "sort":
			q.Sort = pomelo.ParseSort(v[0])
		case k == "filter[created_at][from]":
			q.CreatedFrom = v[0]
		case k == "filter[created_at][to]":
			q.CreatedTo = v[0]
		case k == "page[size]":
			q.PageSize, err = strconv.Atoi(v[0])
		case k == "page[number]":
			q.PageNumber, err = strconv.Atoi(v[0])
		case strings.HasPrefix(k, "filter[") && strings.HasSuffix(k, "]") && !strings.Contains(k[7:len(k)-1], "["):
			q.Filters[k[7:len(k)-1]] = v[0]
		default:
			return q, false
		}
		if err != nil {
			return q, false
		}
	}
	if vals.Has("page[size]") && q.PageSize <= 0 || vals.Has("page[number]") && q.PageNumber <= 0 {
		return q, false
	}
	return q, true
}

func cleanWith(ctx context.Context, user, doc string) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if user != "" {
		user = p.userNamed(user)
	}
	_, err = p.client.CleanValidations(ctx, user, p.documentNamed(doc))
	return transportOnly(err)
}

// ---- Then ----

func lastSession(ctx context.Context) (*Exchange, map[string]any, error) {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return nil, nil, err
	}
	data, ok := obj["data"].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s: no data object in %s", ex.Name(), ex.snippet())
	}
	return ex, data, nil
}

func theSessionHasANewID(ctx context.Context) error {
	ex, data, err := lastSession(ctx)
	if err != nil {
		return err
	}
	id, _ := data["id"].(string)
	if id == "" {
		return fmt.Errorf("%s: data.id is empty: the session has no id (DOC-03)", ex.Name())
	}
	_, p, _ := pomeloOf(ctx)
	for _, prev := range p.created[:max(len(p.created)-1, 0)] {
		if prev == id {
			return fmt.Errorf("%s: data.id = %q was already given to another session", ex.Name(), id)
		}
	}
	return nil
}

func theSessionIs(ctx context.Context, status string) error {
	ex, data, err := lastSession(ctx)
	if err != nil {
		return err
	}
	if got, _ := data["status"].(string); got != status {
		return fmt.Errorf("%s: data.status = %q, want %q", ex.Name(), got, status)
	}
	return nil
}

func theSessionCountryIs(ctx context.Context, country string) error {
	ex, data, err := lastSession(ctx)
	if err != nil {
		return err
	}
	if got, _ := data["country"].(string); got != country {
		return fmt.Errorf("%s: data.country = %q, want %q", ex.Name(), got, country)
	}
	return nil
}

func theReportShows(ctx context.Context, status, docs string) error {
	ex, data, err := lastSession(ctx)
	if err != nil {
		return err
	}
	if got, _ := data["validation_status"].(string); got != status {
		return fmt.Errorf("%s: data.validation_status = %q, want %q", ex.Name(), got, status)
	}
	var got []string
	if d, ok := data["details"].(map[string]any); ok {
		list, _ := d["documents"].([]any)
		for _, it := range list {
			if m, ok := it.(map[string]any); ok {
				got = append(got, fmt.Sprint(m["type"]))
			}
		}
	}
	if strings.Join(got, ", ") != docs {
		return fmt.Errorf("%s: data.details.documents = [%s], want [%s]", ex.Name(), strings.Join(got, ", "), docs)
	}
	return nil
}

// searchAnswer is the last search's exchange and the scenario's Pomelo state, once the search answered
// 200 with a result.
func searchAnswer(ctx context.Context) (*Exchange, *pomeloWorld, error) {
	ex, _, err := lastBody(ctx)
	if err != nil {
		return nil, nil, err
	}
	if ex.Status != http.StatusOK {
		return nil, nil, fmt.Errorf("%s?%s: status = %d, want 200 (body: %s)", ex.Name(), ex.Query, ex.Status, ex.snippet())
	}
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	if p.searched == nil {
		return nil, nil, fmt.Errorf("%s?%s: no search result", ex.Name(), ex.Query)
	}
	return ex, p, nil
}

func theSearchReturns(ctx context.Context, want string) error {
	ex, p, err := searchAnswer(ctx)
	if err != nil {
		return err
	}
	var got []string
	for _, s := range p.searched.Data {
		got = append(got, s.UserID)
	}
	if strings.Join(got, ", ") != want {
		return fmt.Errorf("%s?%s: users = [%s], want [%s]", ex.Name(), ex.Query, strings.Join(got, ", "), want)
	}
	return nil
}

func theSearchHasPages(ctx context.Context, pages, total int) error {
	ex, _, err := lastBody(ctx)
	if err != nil {
		return err
	}
	_, p, _ := pomeloOf(ctx)
	if p.searched == nil {
		return fmt.Errorf("%s: no search result (status %d)", ex.Name(), ex.Status)
	}
	pg := p.searched.Meta.Pagination
	if pg.TotalPages != pages || pg.TotalItems != total {
		return fmt.Errorf("%s?%s: total_pages = %d, total_items = %d, want %d and %d", ex.Name(), ex.Query, pg.TotalPages, pg.TotalItems, pages, total)
	}
	return nil
}

// theSearchIsRefused: KYC-12, an incorrect parameter answers an error, never a silently unfiltered list.
func theSearchIsRefused(ctx context.Context, param string) error {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return err
	}
	if ex.Status != http.StatusBadRequest {
		return fmt.Errorf("%s?%s: status = %d, want 400 for the incorrect %s (body: %s)", ex.Name(), ex.Query, ex.Status, param, ex.snippet())
	}
	if msg := fmt.Sprint(lookup(obj, "error.message"), lookup(obj, "error.details")); !strings.Contains(msg, param) {
		return fmt.Errorf("%s?%s: the error does not name %s: %s", ex.Name(), ex.Query, param, ex.snippet())
	}
	return nil
}

func theProviderIssuesAToken(ctx context.Context) error {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return err
	}
	if ex.Status != http.StatusOK {
		return fmt.Errorf("%s: status = %d, want 200 (body: %s)", ex.Name(), ex.Status, ex.snippet())
	}
	if tt, _ := obj["token_type"].(string); !strings.EqualFold(tt, "bearer") {
		return fmt.Errorf("%s: token_type = %q, want Bearer", ex.Name(), tt)
	}
	if exp, _ := obj["expires_in"].(float64); exp <= 0 {
		return fmt.Errorf("%s: expires_in = %v, want a positive number of seconds", ex.Name(), obj["expires_in"])
	}
	return nil
}

// theClientRefreshedOnce checks the recorded exchanges: the call was refused with 401, one new token
// was fetched, and the call was sent again and succeeded.
func theClientRefreshedOnce(ctx context.Context) error {
	w := worldOf(ctx)
	w.mu.Lock()
	var seq []string
	for _, ex := range w.exchanges {
		seq = append(seq, fmt.Sprintf("%s %d", ex.Name(), ex.Status))
	}
	w.mu.Unlock()
	n := len(seq)
	if n < 3 || !strings.HasSuffix(seq[n-3], " 401") || seq[n-2] != "POST /oauth/token 200" || !strings.HasSuffix(seq[n-1], " 200") {
		return fmt.Errorf("want the call refused (401), one POST /oauth/token, the call again (200); exchanges: %s", strings.Join(seq, ", "))
	}
	return nil
}

func aNewSessionCanBeCreated(ctx context.Context, can, name string) error {
	if err := createNamedKYC(ctx, name); err != nil {
		return err
	}
	_, p, _ := pomeloOf(ctx)
	user := p.userNamed(name)
	_, ex, err := lastOf(ctx)
	if err != nil {
		return err
	}
	if can == "can" && ex.Status != http.StatusCreated {
		return fmt.Errorf("%s for %s: status = %d, want 201 (body: %s)", ex.Name(), user, ex.Status, ex.snippet())
	}
	if can == "cannot" && ex.Status < 400 {
		return fmt.Errorf("%s for %s: status = %d, want a refusal: the user's validation should still be there", ex.Name(), user, ex.Status)
	}
	return nil
}

// ---- webhooks ----

// webhookReceiver is clients/pomelo.Receiver on a loopback server, recording what it accepts.
type webhookReceiver struct {
	srv    *httptest.Server
	rc     *pomelo.Receiver
	mu     sync.Mutex
	events []pomelo.Event
	refuse int
}

const hookPath = "/hooks/pomelo"

func (r *webhookReceiver) url() string { return r.srv.URL + hookPath }

func aWebhookReceiver(ctx context.Context) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	r := &webhookReceiver{}
	r.rc = &pomelo.Receiver{Secrets: map[string]string{w.secret("pomelo", "webhook_api_key"): w.secret("pomelo", "webhook_secret")}, Endpoint: hookPath,
		Handle: func(_ *http.Request, ev pomelo.Event) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.refuse > 0 {
				r.refuse--
				return errors.New("the scenario asked the receiver to refuse this notification")
			}
			r.events = append(r.events, ev)
			return nil
		}}
	mux := http.NewServeMux()
	mux.Handle(hookPath, r.rc)
	r.srv = httptest.NewServer(mux)
	p.receiver = r
	go func() { <-ctx.Done(); r.srv.Close() }()
	if !p.control { // the provider notifies the URL its flows name: the run's receiver, when configured
		h, ok, err := w.hub()
		if err != nil {
			return w.notJudge(err.Error())
		}
		if ok {
			p.hub = h
		}
	}
	return nil
}

func theReceiverRefuses(ctx context.Context, n int) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.receiver == nil {
		return errors.New(`no receiver: start with "a webhook receiver that knows the provider's signing secret"`)
	}
	if !p.control {
		h, err := worldOf(ctx).needHub()
		if err != nil {
			return err
		}
		h.refuseNext(p, n)
		return nil
	}
	p.receiver.mu.Lock()
	p.receiver.refuse = n
	p.receiver.mu.Unlock()
	return nil
}

// theReceiverAccepts waits (up to 5 s) for the receiver to accept a notification for the scenario's
// session with status.
func theReceiverAccepts(ctx context.Context, status string) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.receiver == nil || p.session == nil {
		return errors.New("a receiver and a session are needed")
	}
	p.notified = status
	if !p.control {
		h, err := worldOf(ctx).needHub()
		if err != nil {
			return err
		}
		if got, ok := h.wait(ctx, p.session.ID, status, 30*time.Second); !ok {
			return fmt.Errorf("no notification that session %s is %s reached the run's receiver within 30 s (accepted: %v)", p.session.ID, status, got)
		}
		return nil
	}
	var seen []string
	ok, _ := poll(ctx, 5*time.Second, func() (bool, error) {
		p.receiver.mu.Lock()
		defer p.receiver.mu.Unlock()
		seen = seen[:0]
		for _, ev := range p.receiver.events {
			if ev.SessionID == p.session.ID && ev.Status == status {
				return true, nil
			}
			seen = append(seen, ev.SessionID+" "+ev.Status)
		}
		return false, nil
	})
	if !ok {
		return fmt.Errorf("no notification that session %s is %s reached the receiver within 5 s (accepted: %v)", p.session.ID, status, seen)
	}
	return nil
}

// theProviderTried checks the mock's delivery log. The receiver sees a notification before the mock
// has recorded the attempt (it records the answer), so the log is read until it holds n attempts, for
// up to 5 s; more than n fails at once.
func theProviderTried(ctx context.Context, n int) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if !p.control { // the run's receiver counted every attempt, refused ones included
		h, err := w.needHub()
		if err != nil {
			return err
		}
		if got := h.tries(p.session.ID, p.notified); got != n {
			return fmt.Errorf("the provider tried %d times to deliver that session %s is %s, want %d", got, p.session.ID, p.notified, n)
		}
		return nil
	}
	var deliveries []mockpomelo.Delivery
	if _, err := poll(ctx, 5*time.Second, func() (bool, error) {
		var out struct {
			Deliveries []mockpomelo.Delivery `json:"deliveries"`
		}
		err := p.ctl(ctx, w, http.MethodGet, "/deliveries?session_id="+url.QueryEscape(p.session.ID), nil, &out)
		deliveries = out.Deliveries
		return len(deliveries) >= n, err // more than n fails at once
	}); err != nil {
		return err
	}
	if len(deliveries) != n {
		var answers []string
		for _, d := range deliveries {
			answers = append(answers, strconv.Itoa(d.Answer))
		}
		return fmt.Errorf("the provider tried %d times (answers %v), want %d", len(deliveries), answers, n)
	}
	return nil
}

// tamper changes a correctly signed notification; secret is the signing secret.
var tamper = map[string]func(secret string, h http.Header, body []byte) []byte{
	"with a wrong signature": func(_ string, h http.Header, b []byte) []byte {
		h.Set(pomelo.HeaderSignature, "hmac-sha256 "+strings.Repeat("A", 43)+"=")
		return b
	},
	"replayed with a timestamp from 10 minutes ago": func(secret string, h http.Header, b []byte) []byte {
		old := time.Now().Add(-10 * time.Minute).Unix()
		sig, _ := pomelo.Sign(secret, old, hookPath, b)
		h.Set(pomelo.HeaderTimestamp, strconv.FormatInt(old, 10))
		h.Set(pomelo.HeaderSignature, sig)
		return b
	},
	"whose body was changed after signing": func(_ string, h http.Header, b []byte) []byte {
		return []byte(strings.Replace(string(b), `"VALIDATED"`, `"REJECTED"`, 1))
	},
}

// sendToReceiver POSTs a really signed notification to the scenario's receiver, after tamper (when not
// nil) has changed it, and checks the receiver's answer.
func sendToReceiver(ctx context.Context, tamper func(string, http.Header, []byte) []byte, want int) error {
	w, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	if p.receiver == nil {
		return errors.New(`no receiver: start with "a webhook receiver that knows the provider's signing secret"`)
	}
	body, _ := json.Marshal(pomelo.Event{EventID: fixtures.PomeloID("evt"), EventType: "identity.session.status_changed",
		SessionID: fixtures.PomeloID("ses"), Status: pomelo.StatusValidated, CreatedAt: time.Now().UTC().Format(time.RFC3339)})
	ts := time.Now().Unix()
	secret := w.secret("pomelo", "webhook_secret")
	sig, err := pomelo.Sign(secret, ts, hookPath, body)
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(pomelo.HeaderAPIKey, w.secret("pomelo", "webhook_api_key"))
	h.Set(pomelo.HeaderSignature, sig)
	h.Set(pomelo.HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(pomelo.HeaderEndpoint, hookPath)
	if tamper != nil {
		body = tamper(secret, h, body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.receiver.url(), strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	req.Header = h
	resp, err := w.controlClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: receiver answered %d, want %d", hookPath, resp.StatusCode, want)
	}
	return nil
}
