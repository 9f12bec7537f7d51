package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/clients/gu1"
	"github.com/latam-conformance/conformance/clients/personalinfo"
	"github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/boundary"
	"github.com/latam-conformance/conformance/internal/fixtures"
)

// The steps of a boundary run (conformance run --boundary): each scenario sends one case the contract
// gives and judges it by the verdict the contract gives it.
func registerBoundary(sc stepRegistry) {
	sc.Step(`^the boundary case "([^"]+)" is sent$`, sendBoundaryCase)
	sc.Step(`^`+boundary.AcceptStep+`$`, boundaryAccepted)
	sc.Step(`^`+boundary.RefuseStep+`$`, boundaryRefused)
}

// boundarySenders build each operation's smallest valid request from the documented example, change
// it as the case says, and send it. Every such request is marked altered: one the provider accepts is
// still checked against the request schema (checkExchanges), which proves the case valid.
var boundarySenders = map[string]func(ctx context.Context, w *World, c *boundary.Case) error{
	"baas/token_request":                       sendBaaSTokenRequest,
	"baas/movement_validation":                 sendBaaSMovement,
	"gu1/create_entity":                        sendGu1Entity,
	"gu1/create_validation":                    sendGu1Validation,
	"personalinfo/create_personal_information": sendPICase,
	"pomelo/token":                             sendPomeloToken,
	"pomelo/create_session":                    sendPomeloSession,
	"pomelo/search_sessions":                   sendPomeloSearch,
	"pomelo/upload_file":                       sendPomeloUpload,
	"pomelo/clean_validations":                 sendPomeloClean,
}

func sendBoundaryCase(ctx context.Context, key string) error {
	w := worldOf(ctx)
	if w.deps.Boundary == nil {
		return errors.New("no boundary cases in this run: run them with 'conformance run --boundary'")
	}
	c, ok := w.deps.Boundary.Lookup(key)
	if !ok {
		return fmt.Errorf("no boundary case %q for seed %d", key, w.deps.Boundary.Seed)
	}
	send := boundarySenders[c.Provider+"/"+c.Operation]
	if send == nil {
		return fmt.Errorf("the harness cannot send %s %s's boundary cases yet", c.Provider, c.Operation)
	}
	w.boundary = c
	return send(ctx, w, c)
}

// applyCase changes the documented example d as c says.
func applyCase(c *boundary.Case, d jsonDoc) (jsonDoc, error) {
	out, err := c.Apply(map[string]any(d))
	if err != nil {
		return nil, fmt.Errorf("boundary case %s: %w", c.Key, err)
	}
	return jsonDoc(out), nil
}

func sendBaaSTokenRequest(ctx context.Context, w *World, c *boundary.Case) error {
	if err := aPersonToRegister(ctx); err != nil {
		return err
	}
	body, err := applyCase(c, w.body)
	if err != nil {
		return err
	}
	w.body, w.bodyAltered = body, true
	return requestToken(ctx, "")
}

func sendBaaSMovement(ctx context.Context, w *World, c *boundary.Case) error {
	if err := aPersonToRegister(ctx); err != nil {
		return err
	}
	if err := requestToken(ctx, ""); err != nil {
		return err
	}
	if err := theProviderAnswers(ctx, 200); err != nil {
		return fmt.Errorf("the SMS token this case needs was not given: %w", err)
	}
	_, b, err := baasOf(ctx)
	if err != nil {
		return err
	}
	sms, err := w.smsToken(ctx, b, b.requested)
	if err != nil {
		return err
	}
	pc, _ := w.body.get("person_creation")
	body, err := applyCase(c, jsonDoc{"token": sms, "person_creation": pc})
	if err != nil {
		return err
	}
	w.alter()
	_, err = b.client.Post(ctx, baas.PathMovementValidation, body.raw(), nil)
	return transportOnly(err)
}

func sendGu1Entity(ctx context.Context, w *World, c *boundary.Case) error {
	_, _, cl, err := gu1Of(ctx)
	if err != nil {
		return err
	}
	body, err := applyCase(c, jsonDoc{"type": "person", "name": "Ana Conformance", "externalId": "ext-boundary"})
	if err != nil {
		return err
	}
	w.alter()
	_, err = cl.Do(ctx, http.MethodPost, gu1.PathEntities, nil, body.raw(), nil)
	return transportOnly(err)
}

func sendGu1Validation(ctx context.Context, w *World, c *boundary.Case) error {
	if err := aGu1Entity(ctx, "person"); err != nil {
		return err
	}
	if err := aValidationRequest(ctx); err != nil {
		return err
	}
	body, err := applyCase(c, w.body)
	if err != nil {
		return err
	}
	w.body, w.bodyAltered = body, true
	return createValidation(ctx)
}

// sendPICase sends the natural person of the seed's example as a multipart form, one part changed.
func sendPICase(ctx context.Context, w *World, c *boundary.Case) error {
	p := w.piState()
	p.req = fixtures.PIRequest()
	field := ""
	if len(c.Member) == 1 {
		field = c.Member[0]
	}
	if ph := piPhoto(p.req, field); ph != nil {
		switch v := c.Value.(type) {
		case boundary.FilePart:
			*ph = boundaryPhoto(field, v)
		default:
			if !c.Remove {
				return fmt.Errorf("boundary case %s: a photo takes a file part", c.Key)
			}
			*ph = nil
		}
	} else if field != "" {
		if c.Remove {
			p.overrides[field] = nil
		} else {
			text := fmt.Sprint(c.Value)
			p.overrides[field] = &text
		}
	}
	w.alter()
	return piCreate(ctx, "token")
}

// boundaryPhoto is a file part of the case's size and declared type: a GIF's signature first, zeros
// after; or text.
func boundaryPhoto(name string, f boundary.FilePart) *personalinfo.Photo {
	content := imageOfSize(f.Size)
	if f.Text {
		content = make([]byte, f.Size)
		copy(content, strings.Repeat("this is text, not a photo. ", f.Size/27+1))
	}
	return &personalinfo.Photo{Filename: name + ".gif", ContentType: f.Type, Content: content}
}

func sendPomeloToken(ctx context.Context, w *World, c *boundary.Case) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	body, err := applyCase(c, jsonDoc{"grant_type": "client_credentials", "client_id": w.secret("pomelo", "client_id"),
		"client_secret": w.secret("pomelo", "client_secret"), "audience": w.setting("pomelo", "audience")})
	if err != nil {
		return err
	}
	w.alter()
	_, err = p.anon.Raw(ctx, http.MethodPost, pomelo.PathToken, nil, body.raw(), "application/json", nil)
	return transportOnly(err)
}

func sendPomeloSession(ctx context.Context, w *World, c *boundary.Case) error {
	if err := aValidationFlow(ctx, "ARG"); err != nil || w.skipReason != "" {
		return err
	}
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	var start jsonDoc
	if c.Variant == "kyb" {
		if start, err = toDoc(fixtures.PomeloKYB()); err != nil {
			return err
		}
	} else {
		start = jsonDoc{"user_id": fixtures.PomeloID("usr"), "flow_id": p.flowID, "external_id": "ext-boundary"}
	}
	body, err := applyCase(c, start)
	if err != nil {
		return err
	}
	w.alter()
	var out struct {
		Data pomelo.Session `json:"data"`
	}
	_, err = p.client.Raw(ctx, http.MethodPost, pomelo.PathCreateSession, nil, body.raw(), "application/json", &out)
	if err == nil && out.Data.ID != "" {
		p.remember(&out.Data)
	}
	return transportOnly(err)
}

func sendPomeloSearch(ctx context.Context, w *World, c *boundary.Case) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	q := url.Values{}
	if c.In == boundary.InQuery && len(c.Member) == 1 {
		q.Set(c.Member[0], fmt.Sprint(c.Value))
	}
	w.alter()
	_, err = p.client.Raw(ctx, http.MethodGet, pomelo.PathSessions, q, nil, "", nil)
	return transportOnly(err)
}

// sendPomeloUpload uploads the case's file for a new KYC session's user.
func sendPomeloUpload(ctx context.Context, w *World, c *boundary.Case) error {
	if err := aValidationFlow(ctx, "ARG"); err != nil || w.skipReason != "" {
		return err
	}
	if err := aKYCSession(ctx); err != nil {
		return err
	}
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	f, ok := c.Value.(boundary.FilePart)
	if len(c.Member) == 0 { // the smallest valid body: a small image
		f, ok = boundary.FilePart{Size: 1024, Type: "image/gif"}, true
	}
	if ok && !c.Remove {
		ph := boundaryPhoto("selfie", f)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+ph.Filename+`"`)
		h.Set("Content-Type", ph.ContentType)
		part, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if _, err := part.Write(ph.Content); err != nil {
			return err
		}
	} else if !c.Remove {
		return fmt.Errorf("boundary case %s: an upload takes a file part", c.Key)
	}
	if err := mw.Close(); err != nil {
		return err
	}
	w.alter()
	path := strings.NewReplacer("{session_id}", url.PathEscape(p.session.ID), "{user_id}", url.PathEscape(p.session.UserID),
		"{type_document}", "selfie").Replace(c.Path)
	_, err = p.client.Raw(ctx, http.MethodPost, path, nil, buf.Bytes(), mw.FormDataContentType(), nil)
	return transportOnly(err)
}

func sendPomeloClean(ctx context.Context, w *World, c *boundary.Case) error {
	_, p, err := pomeloOf(ctx)
	if err != nil {
		return err
	}
	body, err := applyCase(c, jsonDoc{"user_id": p.userNamed("usr-boundary"), "document_number": p.documentNamed("12345678")})
	if err != nil {
		return err
	}
	w.alter()
	_, err = p.client.Raw(ctx, http.MethodPost, pomelo.PathCleanValidations, nil, body.raw(), "application/json", nil)
	return transportOnly(err)
}

// ---- Then ----

// boundaryExchange is the case's own request: the scenario's last.
func boundaryExchange(ctx context.Context) (*World, *Exchange, error) {
	w := worldOf(ctx)
	if w.boundary == nil {
		return nil, nil, errors.New("no boundary case was sent in this scenario")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.exchanges) == 0 {
		return nil, nil, errors.New("the boundary case sent nothing")
	}
	return w, w.exchanges[len(w.exchanges)-1], nil
}

func boundaryAccepted(ctx context.Context) error {
	w, ex, err := boundaryExchange(ctx)
	if err != nil {
		return err
	}
	if ex.Err != nil {
		return w.caseFailed(ex, fmt.Sprintf("no answer: %v", ex.Err))
	}
	if ex.Status < 200 || ex.Status > 299 {
		return w.caseFailed(ex, fmt.Sprintf("the contract takes this request, but the provider answered %d: %s", ex.Status, ex.snippet()))
	}
	return nil
}

func boundaryRefused(ctx context.Context) error {
	w, ex, err := boundaryExchange(ctx)
	if err != nil {
		return err
	}
	c := w.boundary
	switch {
	case ex.Err != nil:
		return w.caseFailed(ex, fmt.Sprintf("no answer: %v", ex.Err))
	case ex.Status >= 200 && ex.Status < 300:
		return w.caseFailed(ex, fmt.Sprintf("the provider accepted (%d) a request the contract refuses (%s)", ex.Status, c.Rule))
	case ex.Status >= 500:
		return w.caseFailed(ex, fmt.Sprintf("the provider failed (%d) on a request it should refuse with a 4xx: %s", ex.Status, ex.snippet()))
	case ex.Status < 400:
		return w.caseFailed(ex, fmt.Sprintf("the provider answered %d, not a refusal", ex.Status))
	}
	op, ok := w.deps.Schemas.Match(ex.Provider, ex.Method, ex.Path)
	if !ok {
		return w.caseFailed(ex, "not a documented operation")
	}
	if _, documented := op.Responses[fmt.Sprint(ex.Status)]; !documented {
		return w.caseFailed(ex, fmt.Sprintf("refused with %d, a status %s does not document (it documents %s)", ex.Status, op.Name(), strings.Join(slices.Sorted(maps.Keys(op.Responses)), ", ")))
	}
	vs, err := w.deps.Schemas.ValidateResponse(op, ex.Status, ex.RespBody)
	if err != nil {
		return w.caseFailed(ex, err.Error())
	}
	if len(vs) > 0 {
		return w.caseFailed(ex, fmt.Sprintf("refused with %d, but not in the documented error shape: %s", ex.Status, joinViolations(vs)))
	}
	return nil
}

// caseFailed says what went wrong with the case, and prints its request, the smallest that shows it,
// with a curl line to send it again (credentials masked).
func (w *World) caseFailed(ex *Exchange, what string) error {
	c := w.boundary
	return fmt.Errorf("boundary case %s (%s, seed %d): %s\n%s", c.Key, strings.Join(c.IDs, " "), w.deps.Boundary.Seed, what, w.requestText(ex))
}

// requestText is the request as sent and a curl line, the run's secrets masked. A multipart body is
// given as curl's -F parts, each file by its size and type.
func (w *World) requestText(ex *Exchange) string {
	red := w.deps.Redactor
	u := strings.TrimSuffix(w.deps.Targets[ex.Provider].BaseURL, "/") + ex.Path
	if ex.Query != "" {
		u += "?" + ex.Query
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "the smallest request that shows it:\n  %s %s\n", ex.Method, red.String(u))
	parts, files, isForm := formParts(ex)
	var args []string
	for _, k := range []string{"Content-Type", "Authorization", "Api-Client-Key"} {
		v := ex.ReqHdr.Get(k)
		if v == "" || (k == "Content-Type" && isForm) { // curl -F writes its own boundary
			continue
		}
		args = append(args, "-H "+shellQuote(k+": "+red.String(v)))
		fmt.Fprintf(&sb, "  %s: %s\n", k, red.String(v))
	}
	body := red.Bytes(ex.ReqBody)
	switch {
	case isForm:
		for _, p := range parts {
			args = append(args, "-F "+shellQuote(red.String(p)))
		}
		fmt.Fprintf(&sb, "  multipart/form-data: %s\n", strings.Join(parts, " "))
		for _, f := range files {
			fmt.Fprintf(&sb, "  %s\n", f)
		}
	case len(body) > 0:
		fmt.Fprintf(&sb, "  %s\n", body)
		args = append(args, "--data-binary "+shellQuote(string(body)))
	}
	fmt.Fprintf(&sb, "to send it again (with your credentials where they are masked; a BaaS signature holds only minutes):\n  curl -sS -X %s %s %s",
		ex.Method, shellQuote(red.String(u)), strings.Join(args, " "))
	return sb.String()
}

// formParts reads a multipart request as curl's -F arguments, and says what each file must hold.
func formParts(ex *Exchange) (parts, files []string, ok bool) {
	mt, params, err := mime.ParseMediaType(ex.ReqType)
	if err != nil || mt != "multipart/form-data" {
		return nil, nil, false
	}
	mr := multipart.NewReader(bytes.NewReader(ex.ReqBody), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return parts, files, true
		}
		content, _ := io.ReadAll(p)
		if p.FileName() == "" {
			parts = append(parts, p.FormName()+"="+string(content))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=@%s;type=%s", p.FormName(), p.FileName(), p.Header.Get("Content-Type")))
		files = append(files, fmt.Sprintf("%s: %d bytes (the case's: %s)", p.FileName(), len(content), fileLooks(content)))
	}
}

// fileLooks says what a case's file holds, for someone who rebuilds it.
func fileLooks(b []byte) string {
	switch {
	case len(b) == 0:
		return "empty"
	case bytes.HasPrefix(b, fixtures.PIPhotoBytes[:min(6, len(fixtures.PIPhotoBytes))]):
		return "a GIF image, or its first bytes and zeros after"
	}
	return "text"
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
