package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/latam-conformance/conformance/clients/gu1"
	"github.com/latam-conformance/conformance/internal/mock"
)

// gu1World is the gu1 part of a scenario's state.
type gu1World struct {
	base        string
	control     bool
	key         string
	entity      *gu1.Entity
	validations []*gu1.Validation // created in this scenario, in order
	receiver    *gu1Receiver
}

func (w *World) gu1State() *gu1World {
	if w.gu1 == nil {
		t := w.deps.Targets["gu1"]
		// The mock's fixture key; a sandbox's comes with issue 5's configuration.
		w.gu1 = &gu1World{base: strings.TrimSuffix(t.BaseURL, "/"), control: t.Control, key: w.secret("gu1", "api_key")}
	}
	return w.gu1
}

func (g *gu1World) client(w *World, key string) (*gu1.Client, error) {
	opts := []gu1.Option{gu1.WithHTTPClient(w.httpClient("gu1"))}
	if key != "" {
		opts = append(opts, gu1.WithAPIKey(key))
	}
	return gu1.NewClient(g.base, opts...)
}

func gu1Of(ctx context.Context) (*World, *gu1World, *gu1.Client, error) {
	w := worldOf(ctx)
	g := w.gu1State()
	c, err := g.client(w, g.key)
	return w, g, c, err
}

func registerGu1(sc stepRegistry) {
	sc.Step(`^an organisation (with|without) the KYC integration$`, func(ctx context.Context, with string) error {
		w := worldOf(ctx)
		g := w.gu1State()
		if with == "with" {
			g.key = w.secret("gu1", "api_key")
			return nil
		}
		if w.deps.Targets["gu1"].Sandbox && !w.configured("gu1", "api_key_no_kyc") {
			return w.skip("needs the API key of an organisation without the KYC integration: providers.gu1.credentials.api_key_no_kyc in the config file")
		}
		g.key = w.secret("gu1", "api_key_no_kyc")
		return nil
	})
	sc.Step(`^an? (person|company) entity created through the Entities API$`, aGu1Entity)
	sc.Step(`^I read the entity back$`, func(ctx context.Context) error {
		_, g, c, err := gu1Of(ctx)
		if err != nil {
			return err
		}
		if g.entity == nil {
			return errors.New(`no entity yet: start with "a person entity created through the Entities API"`)
		}
		e, _, err := c.GetEntity(ctx, g.entity.ID)
		if err == nil && (e.ID != g.entity.ID || e.Type != g.entity.Type || e.Name != g.entity.Name) {
			return fmt.Errorf("GET entity %s answered %+v, want the entity created: %+v", g.entity.ID, *e, *g.entity)
		}
		return transportOnly(err)
	})
	sc.Step(`^I read an entity that does not exist$`, func(ctx context.Context) error {
		_, _, c, err := gu1Of(ctx)
		if err != nil {
			return err
		}
		_, _, err = c.GetEntity(ctx, "123e4567-e89b-12d3-a456-426614174000")
		return transportOnly(err)
	})
	sc.Step(`^a gu1 webhook receiver$`, aGu1Receiver)
	sc.Step(`^a validation request for the entity$`, aValidationRequest)
	sc.Step(`^a validation request for an entity that does not exist$`, func(ctx context.Context) error {
		worldOf(ctx).setBody(jsonDoc{"entityId": "123e4567-e89b-12d3-a456-426614174000"})
		return nil
	})
	sc.Step(`^the request's metadata is (\d+) bytes of compact JSON$`, func(ctx context.Context, n int) error {
		if n < 8 {
			return errors.New("metadata of fewer than 8 bytes cannot be built")
		}
		return setJSON(ctx, "metadata", `{"k":"`+strings.Repeat("x", n-8)+`"}`)
	})
	sc.Step(`^the request's webhookUrl is the receiver$`, func(ctx context.Context) error {
		g := worldOf(ctx).gu1State()
		if g.receiver == nil {
			return errors.New(`no receiver: start with "a gu1 webhook receiver"`)
		}
		return setField(ctx, "webhookUrl", g.receiver.srv.URL+"/hooks/gu1")
	})
	sc.Step(`^I create the KYC validation$`, createValidation)
	sc.Step(`^I call gu1 (GET|POST) "([^"]+)" without an API key$`, func(ctx context.Context, method, path string) error {
		w, g, _, err := gu1Of(ctx)
		if err != nil {
			return err
		}
		anon, err := g.client(w, "")
		if err != nil {
			return err
		}
		w.alter()
		var body any
		if method == http.MethodPost {
			body = json.RawMessage(`{}`)
		}
		_, err = anon.Do(ctx, method, path, nil, body, nil)
		return transportOnly(err)
	})
	sc.Step(`^I get the (first|latest) validation$`, func(ctx context.Context, which string) error {
		_, g, c, err := gu1Of(ctx)
		if err != nil {
			return err
		}
		v, err := g.pick(which)
		if err != nil {
			return err
		}
		_, _, err = c.GetValidation(ctx, v.ID)
		return transportOnly(err)
	})
	sc.Step(`^the validation moves to "([a-z_]+)"$`, func(ctx context.Context, status string) error {
		w, g, _, err := gu1Of(ctx)
		if err != nil {
			return err
		}
		if !g.control {
			return errors.New("moving a validation needs the mock control API (tag the scenario @control)")
		}
		v, err := g.pick("latest")
		if err != nil {
			return err
		}
		return mock.ControlCallFor(ctx, w.controlClient(), g.key, http.MethodPost, g.base+mock.ControlPrefix+"/validations/"+url.PathEscape(v.ID)+"/status",
			map[string]string{"status": status}, nil)
	})
	sc.Step(`^the validation is pending and current, with a session URL to share$`, theValidationIsPending)
	sc.Step(`^the validation's metadata is the one sent$`, theMetadataIsEchoed)
	sc.Step(`^the validation is "([a-z_]+)"(?: and (not )?(current))?$`, theValidationIs)
	sc.Step(`^the validation's status is one of ((?:[a-z_]+, )*[a-z_]+)$`, theValidationStatusIsOneOf)
	sc.Step(`^the receiver gets a signed "(kyc\.validation_[a-z_]+)" event for the (?:latest )?validation$`, theReceiverGetsEvent)
}

func (g *gu1World) pick(which string) (*gu1.Validation, error) {
	if len(g.validations) == 0 {
		return nil, errors.New("no validation was created in this scenario")
	}
	if which == "first" {
		return g.validations[0], nil
	}
	return g.validations[len(g.validations)-1], nil
}

func aGu1Entity(ctx context.Context, typ string) error {
	_, g, c, err := gu1Of(ctx)
	if err != nil {
		return err
	}
	e, _, err := c.CreateEntity(ctx, &gu1.Entity{Type: typ, Name: "Ana Conformance", ExternalID: "ext-" + typ})
	if err != nil {
		return fmt.Errorf("create the %s entity: %w", typ, err)
	}
	g.entity = e
	return nil
}

func aValidationRequest(ctx context.Context) error {
	w := worldOf(ctx)
	g := w.gu1State()
	if g.entity == nil {
		return errors.New(`no entity yet: start with "a person entity created through the Entities API"`)
	}
	w.setBody(jsonDoc{"entityId": g.entity.ID})
	return nil
}

func createValidation(ctx context.Context) error {
	w, g, c, err := gu1Of(ctx)
	if err != nil {
		return err
	}
	if w.body == nil {
		return errors.New(`no request yet: start with "a validation request for the entity"`)
	}
	var v gu1.Validation
	if w.bodyAltered {
		w.alter()
		_, err = c.Do(ctx, http.MethodPost, gu1.PathValidations, nil, w.body.raw(), &v)
	} else {
		var typed gu1.ValidationRequest
		if err := json.Unmarshal(w.body.raw(), &typed); err != nil {
			return err
		}
		var out *gu1.Validation
		out, _, err = c.CreateValidation(ctx, &typed)
		if out != nil {
			v = *out
		}
	}
	if err == nil {
		g.validations = append(g.validations, &v)
	}
	return transportOnly(err)
}

func theValidationIsPending(ctx context.Context) error {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return err
	}
	if ex.Status != http.StatusCreated {
		return fmt.Errorf("%s: status = %d, want 201 (body: %s)", ex.Name(), ex.Status, ex.snippet())
	}
	g := worldOf(ctx).gu1State()
	var problems []string
	want := map[string]any{"status": "pending", "isCurrent": true, "entityId": g.entity.ID}
	for k, v := range want {
		if obj[k] != v {
			problems = append(problems, fmt.Sprintf("%s = %s, want %s", k, memberText(obj, k), jsonText(v)))
		}
	}
	for _, k := range []string{"id", "organizationId", "sessionId", "provider", "providerSessionUrl", "createdAt", "updatedAt"} {
		if s, _ := obj[k].(string); s == "" {
			problems = append(problems, k+" is missing (DOC-07: the curl example shows only providerSessionUrl and status)")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", ex.Name(), strings.Join(problems, "; "))
	}
	return nil
}

func theMetadataIsEchoed(ctx context.Context) error {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return err
	}
	w := worldOf(ctx)
	sent, _ := w.body.get("metadata")
	if !jsonEqual(obj["metadata"], sent) {
		return fmt.Errorf("%s: metadata = %s, want the %s sent", ex.Name(), snippet([]byte(memberText(obj, "metadata"))), snippet([]byte(jsonText(sent))))
	}
	return nil
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func theValidationIs(ctx context.Context, status, not, current string) error {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return err
	}
	if ex.Status != http.StatusOK && ex.Status != http.StatusCreated {
		return fmt.Errorf("%s: status = %d, want 200 (body: %s)", ex.Name(), ex.Status, ex.snippet())
	}
	if obj["status"] != status {
		return fmt.Errorf("%s: status = %s, want %q", ex.Name(), memberText(obj, "status"), status)
	}
	if current != "" && obj["isCurrent"] != (not == "") {
		return fmt.Errorf("%s: isCurrent = %s, want %v (GU1-12)", ex.Name(), memberText(obj, "isCurrent"), not == "")
	}
	return nil
}

// theValidationStatusIsOneOf checks the last answer's status against the documented list (GU1-06).
func theValidationStatusIsOneOf(ctx context.Context, list string) error {
	ex, obj, err := lastBody(ctx)
	if err != nil {
		return err
	}
	if ex.Status != http.StatusOK && ex.Status != http.StatusCreated {
		return fmt.Errorf("%s: status = %d, want 200 (body: %s)", ex.Name(), ex.Status, ex.snippet())
	}
	got, _ := obj["status"].(string)
	if !slices.Contains(strings.Split(list, ", "), got) {
		return fmt.Errorf("%s: status = %s, want one of %s (GU1-06)", ex.Name(), memberText(obj, "status"), list)
	}
	return nil
}

// gu1Receiver checks X-Webhook-Signature with the mock's secret and records the events it accepts.
type gu1Receiver struct {
	secret string // the organisation's webhook secret
	srv    *httptest.Server
	mu     sync.Mutex
	events []gu1.Event
}

func aGu1Receiver(ctx context.Context) error {
	w := worldOf(ctx)
	g := w.gu1State()
	r := &gu1Receiver{secret: w.secret("gu1", "webhook_secret")}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if !gu1.Verify(r.secret, body, req.Header.Get(gu1.HeaderSignature)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev gu1.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.events = append(r.events, ev)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	g.receiver = r
	go func() { <-ctx.Done(); r.srv.Close() }()
	return nil
}

func theReceiverGetsEvent(ctx context.Context, event string) error {
	g := worldOf(ctx).gu1State()
	if g.receiver == nil {
		return errors.New(`no receiver: start with "a gu1 webhook receiver"`)
	}
	v, err := g.pick("latest")
	if err != nil {
		return err
	}
	var seen []string
	ok, err := poll(ctx, 5*time.Second, func() (bool, error) {
		g.receiver.mu.Lock()
		defer g.receiver.mu.Unlock()
		seen = seen[:0]
		for _, ev := range g.receiver.events {
			if ev.Event == event && ev.Payload.ValidationID == v.ID {
				if ev.OrganizationID == "" || ev.Timestamp == "" {
					return true, fmt.Errorf("%s event lacks organizationId or timestamp (GU1-13 envelope)", event)
				}
				return true, nil
			}
			seen = append(seen, ev.Event)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no signed %s event for validation %s within 5 s (got %v)", event, v.ID, seen)
	}
	return nil
}
