package steps

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/fixtures"
	"github.com/latam-conformance/conformance/internal/randid"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/internal/transport"
)

// BAAS-17 and DOC-17: QI's string_to_sign scheme, and which schemes a target accepts.

// baasSchemes are the signing schemes the run tries on the BaaS target, in order (option signing):
// claims,qit by default against a mock with the control API, claims otherwise.
func (w *World) baasSchemes() []string {
	v := w.setting("baas", "signing")
	if v == "" {
		v = baas.SchemeClaims
		if w.deps.Targets["baas"].Control {
			v = baas.SchemeClaims + "," + baas.SchemeQIT
		}
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(strings.ToLower(s)); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// qitSigner signs as the configured API client the string_to_sign way, and checks answers against the
// configured QI public key (the mock's provider key by default).
func (w *World) qitSigner() (*baas.QITSigner, error) {
	key, err := baas.ParsePrivateKey([]byte(w.secret("baas", "private_key")))
	if err != nil {
		return nil, fmt.Errorf("BAAS-17 credentials: %w", err)
	}
	pub, err := baas.ParsePublicKey([]byte(w.secret("baas", "qi_public_key")))
	if err != nil {
		return nil, fmt.Errorf("BAAS-17 credentials: qi_public_key: %w", err)
	}
	return &baas.QITSigner{APIClientKey: w.secret("baas", "api_client_key"), Key: key, ProviderKey: pub}, nil
}

// qitClient is a BaaS client that signs through s: recorded as the harness sent the body, before the
// encoding, and its answers as they were once decoded and checked.
func (w *World) qitClient(s *baas.QITSigner) (*baas.Client, error) {
	red := w.deps.Redactor
	hc := w.httpClientVia("baas", func(next http.RoundTripper) http.RoundTripper {
		// The QIT Authorization is made below the recorder: register it as a secret on its way out.
		qt := s.Transport(transport.Func(func(req *http.Request) (*http.Response, error) {
			// What the scheme signs is a secret wherever a report may quote it: the Authorization, the
			// encoded_body JWT sent, and the provider's signature and encoded answer.
			red.Add(req.Header.Get("Authorization"))
			if req.GetBody != nil {
				if b, err := req.GetBody(); err == nil {
					red.Add(encodedBodyOf(b))
				}
			}
			resp, err := next.RoundTrip(req)
			if resp != nil {
				red.Add(resp.Header.Get("Authorization"))
				// As much as the QIT transport above reads, so that it sees an answer past its limit.
				raw, rerr := io.ReadAll(io.LimitReader(resp.Body, baas.MaxSignedAnswer+1))
				_ = resp.Body.Close()
				if rerr != nil {
					return nil, rerr // cut short: no answer, never judged on a part
				}
				red.Add(encodedBodyOf(io.NopCloser(bytes.NewReader(raw))))
				resp.Body = io.NopCloser(bytes.NewReader(raw))
			}
			return resp, err
		}))
		return transport.Func(func(req *http.Request) (*http.Response, error) {
			resp, err := qt.RoundTrip(req)
			if err != nil && !isTransport(err) {
				// An answer that is not a signed one, or does not verify: judged, never "no answer".
				err = verdictf("%v", err)
			}
			return resp, err
		})
	})
	return baas.NewClient(w.deps.Targets["baas"].BaseURL, baas.WithHTTPClient(hc))
}

// schemeProbe remembers, for the run, which signing schemes the BaaS target accepted.
type schemeProbe struct {
	once    sync.Once
	answers map[string]string // scheme -> "accepted" or why it was refused
	err     error
}

// probeSchemes asks the target, once per run, whether it accepts each of the schemes the run tries: a
// token request for a fresh person, signed each way. Refused means GDF000014; any other answer means
// the signature was taken.
func (w *World) probeSchemes(ctx context.Context) (map[string]string, error) {
	p := &w.deps.schemes
	p.once.Do(func() {
		p.answers = map[string]string{}
		for _, scheme := range w.baasSchemes() {
			var c *baas.Client
			var err error
			switch scheme {
			case baas.SchemeClaims:
				var b *baasWorld
				if b, err = w.baasState(); err == nil {
					c, err = baas.NewClient(w.deps.Targets["baas"].BaseURL, baas.WithHTTPClient(w.quietClient("baas", nil)), baas.WithSigner(b.signer))
				}
			case baas.SchemeQIT:
				var s *baas.QITSigner
				if s, err = w.qitSigner(); err == nil {
					c, err = baas.NewClient(w.deps.Targets["baas"].BaseURL, baas.WithHTTPClient(w.quietClient("baas", s.Transport)))
				}
			default:
				err = fmt.Errorf("providers.baas.options.signing: unknown scheme %q (want claims, qit)", scheme)
			}
			if err != nil {
				p.err = err
				return
			}
			_, _, err = c.TokenRequest(ctx, fixtures.BaaSTokenRequest(fixtures.BaaSPerson(fixtures.RandomCPF())))
			p.answers[scheme] = schemeAnswer(err)
		}
	})
	return p.answers, p.err
}

// schemeAnswer reads a probe's outcome: accepted when the call succeeded or was refused for what it
// asked (a documented 4xx code that is not an authentication one); refused on GDF000014; anything else
// (a redirect, a 5xx, no answer) says nothing about the scheme.
func schemeAnswer(err error) string {
	var apiErr *baas.APIError
	switch {
	case err == nil:
		return "accepted"
	case errors.As(err, &apiErr) && apiErr.Code == baas.CodeInvalidSignature:
		reason, _ := apiErr.AdditionalData["reason"].(string)
		if reason != "" {
			return fmt.Sprintf("refused: %s (%s)", apiErr.Error(), reason)
		}
		return "refused: " + apiErr.Error()
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && apiErr.Code != "" && !strings.HasPrefix(apiErr.Code, "GDF"):
		return "accepted"
	default:
		return "no judgeable answer: " + err.Error()
	}
}

var schemeNames = map[string]string{baas.SchemeClaims: "claims (BAAS-16)", baas.SchemeQIT: "string_to_sign, QIT (BAAS-17)"}

// askWhichSchemes runs the probe and notes its answer for DOC-17's report.
func askWhichSchemes(ctx context.Context) error {
	w := worldOf(ctx)
	answers, err := w.probeSchemes(ctx)
	if err != nil {
		return err
	}
	for _, s := range w.baasSchemes() {
		w.notes = append(w.notes, fmt.Sprintf("%s: %s", schemeNames[s], answers[s]))
	}
	if !slices.Contains(w.baasSchemes(), baas.SchemeQIT) {
		w.notes = append(w.notes, "string_to_sign, QIT (BAAS-17): not tried (add qit to providers.baas.options.signing)")
	}
	return nil
}

func theTargetAcceptsClaims(ctx context.Context) error {
	w := worldOf(ctx)
	answers, err := w.probeSchemes(ctx)
	if err != nil {
		return err
	}
	if a, ok := answers[baas.SchemeClaims]; ok && a != "accepted" {
		return fmt.Errorf("POST /baas/token_request signed the claims way (BAAS-16, QI's current authentication test): %s", a)
	}
	return nil
}

// signTheQITWay makes the scenario's BaaS client sign the string_to_sign way, or skips the scenario,
// saying why, when the run does not try that scheme or the target refused it.
func signTheQITWay(ctx context.Context) error {
	w := worldOf(ctx)
	if !slices.Contains(w.baasSchemes(), baas.SchemeQIT) {
		return w.skip("BAAS-17: the string_to_sign scheme is not tried on this target (providers.baas.options.signing lacks qit; whether QI still accepts it is not stated, DOC-17)")
	}
	answers, err := w.probeSchemes(ctx)
	if err != nil {
		return err
	}
	// Only a refusal (GDF000014) says the scheme is not taken; any other answer the probe could not judge
	// says nothing about it, so the scenario runs and meets that answer itself.
	if a := answers[baas.SchemeQIT]; strings.HasPrefix(a, "refused") {
		return w.skip("BAAS-17: the target does not accept the string_to_sign scheme (DOC-17): " + a)
	}
	b, err := w.baasState()
	if err != nil {
		return err
	}
	s, err := w.qitSigner()
	if err != nil {
		return err
	}
	if b.client, err = w.qitClient(s); err != nil {
		return err
	}
	b.qit = s
	return nil
}

// badQIT are the ways BAAS-17 can be broken, each applied to a string_to_sign the client computed right.
var badQIT = map[string]func(*baas.QITSigner) error{
	"for another body": func(s *baas.QITSigner) error {
		s.Tamper = func(sig *baas.QITSignature) { sig.MD5 = baas.MD5Hex("another body") }
		return nil
	},
	"for another URI": func(s *baas.QITSigner) error {
		s.Tamper = func(sig *baas.QITSignature) { sig.URI = baas.PathMovementValidation }
		return nil
	},
	"ten minutes ago": func(s *baas.QITSigner) error {
		s.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
		return nil
	},
	"for another client": func(s *baas.QITSigner) error {
		s.Tamper = func(sig *baas.QITSignature) { sig.Sub = "conformance-another-client" }
		return nil
	},
	"with another key": func(s *baas.QITSigner) error {
		k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		s.Key = k
		return err
	},
}

// requestTokenQITBadly sends the token request signed the string_to_sign way and broken as named; the
// refusal is a plain error body (QI does not sign what it cannot authenticate).
func requestTokenQITBadly(ctx context.Context, how string) error {
	w, b, err := baasOf(ctx)
	if err != nil {
		return err
	}
	if b.qit == nil {
		return errors.New(`sign the string_to_sign way first: "Given requests are signed the string_to_sign way"`)
	}
	s := *b.qit
	if err := badQIT[how](&s); err != nil {
		return err
	}
	c, err := w.qitClient(&s)
	if err != nil {
		return err
	}
	w.alter()
	_, err = c.Post(ctx, baas.PathTokenRequest, w.body.raw(), nil)
	return transportOnly(err)
}

// aClientThatMaySignOnlyTheClaimsWay registers, through the control API, an API client the mock lets
// sign only the BAAS-16 way, and signs as it the string_to_sign way.
func aClientThatMaySignOnlyTheClaimsWay(ctx context.Context) error {
	w, b, err := baasOf(ctx)
	if err != nil {
		return err
	}
	if b.control == nil {
		return errors.New("needs the mock control API")
	}
	k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return err
	}
	key := "conformance-claims-only-" + randid.Hex(6)
	if err := b.control.AddClient(ctx, key, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), []string{baas.SchemeClaims}); err != nil {
		return err
	}
	s, err := w.qitSigner()
	if err != nil {
		return err
	}
	s.APIClientKey, s.Key = key, k
	b.qit = s
	b.client, err = w.qitClient(s)
	return err
}

func theRefusalNamesTheSchemeAndTheFlag(ctx context.Context) error {
	_, ex, err := lastOf(ctx)
	if err != nil {
		return err
	}
	var body struct {
		AdditionalData struct {
			Reason string `json:"reason"`
		} `json:"additional_data"`
	}
	_ = json.Unmarshal(ex.RespBody, &body)
	for _, want := range []string{"string_to_sign", "--baas-signing claims,qit"} {
		if !strings.Contains(body.AdditionalData.Reason, want) {
			return fmt.Errorf("%s: additional_data.reason = %q, want it to name %q", ex.Name(), body.AdditionalData.Reason, want)
		}
	}
	return nil
}

func registerBaaSQIT(sc stepRegistry) {
	sc.Step(`^the provider is asked which request-signing schemes it accepts$`, askWhichSchemes)
	sc.Step(`^it accepts the claims scheme of QI's authentication test$`, theTargetAcceptsClaims)
	sc.Step(`^requests are signed the string_to_sign way$`, signTheQITWay)
	sc.Step(`^I request an SMS token signed the string_to_sign way (for another body|for another URI|ten minutes ago|for another client|with another key)$`, requestTokenQITBadly)
	sc.Step(`^an API client that may sign only the claims way signs the string_to_sign way$`, aClientThatMaySignOnlyTheClaimsWay)
	sc.Step(`^the refusal names the string_to_sign scheme and how to enable it$`, theRefusalNamesTheSchemeAndTheFlag)
}

// encodedBodyOf is the encoded_body of a BAAS-17 JSON body, or "".
func encodedBodyOf(r io.ReadCloser) string {
	defer r.Close()
	var doc struct {
		EncodedBody string `json:"encoded_body"`
	}
	_ = json.NewDecoder(io.LimitReader(r, schema.MaxAnswerBody)).Decode(&doc)
	return doc.EncodedBody
}
