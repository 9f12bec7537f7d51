package baas

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// QI's string_to_sign scheme (BAAS-17), described on its key-exchange and error pages and used by most
// public clients; whether QI still accepts it is not stated (DOC-17):
//
//	Authorization: QIT <api_client_key>:<ES512 JWT {"sub": api_client_key, "signature": string_to_sign}>
//	string_to_sign = METHOD \n MD5 \n CONTENT-TYPE \n DATE \n URI
//	body           = {"encoded_body": <ES512 JWT whose claims are the JSON body>}
//
// MD5 is the lower-case hex MD5 of the encoded_body value as sent and CONTENT-TYPE is application/json,
// both empty for a call without a body; DATE is RFC 1123 (GMT); URI is the path with its query. Answers
// come back the same way, signed with QI's key: an encoded_body and an Authorization over it.
const (
	// SchemeClaims is BAAS-16: an AUTHORIZATION JWT with payload_md5, timestamp, method and uri.
	SchemeClaims = "claims"
	// SchemeQIT is BAAS-17: string_to_sign, encoded bodies, signed answers.
	SchemeQIT = "qit"
	// EncodedBodyField holds the JWT of the body in both directions.
	EncodedBodyField = "encoded_body"
)

// Schemes lists the signing schemes a client or a mock may use.
var Schemes = []string{SchemeClaims, SchemeQIT}

// StringToSign is the signature claim of the QIT scheme.
func StringToSign(method, bodyMD5, contentType, date, uri string) string {
	return method + "\n" + bodyMD5 + "\n" + contentType + "\n" + date + "\n" + uri
}

// QITClaims are the claims of a QIT Authorization token.
type QITClaims struct {
	Sub       string `json:"sub"`
	Signature string `json:"signature"`
	jwt.RegisteredClaims
}

// QITSignature is a QIT Authorization taken apart.
type QITSignature struct {
	APIClientKey                        string // the key in "QIT key:JWT"
	Sub                                 string
	Method, MD5, ContentType, Date, URI string
}

// ParseQITAuthorization reads "QIT <key>:<JWT>", checks that the JWT is ES512-signed with pub, and splits
// its string_to_sign.
func ParseQITAuthorization(header string, pub *ecdsa.PublicKey) (*QITSignature, error) {
	rest, ok := strings.CutPrefix(header, "QIT ")
	if !ok {
		return nil, errors.New(`not "QIT <api_client_key>:<JWT>"`)
	}
	key, tok, ok := strings.Cut(rest, ":")
	if !ok || key == "" || tok == "" {
		return nil, errors.New(`not "QIT <api_client_key>:<JWT>"`)
	}
	v, err := verifyOnce(pub, tok, func() (any, error) {
		var c QITClaims
		_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return pub, nil },
			jwt.WithValidMethods([]string{"ES512"}), jwt.WithoutClaimsValidation())
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("the token is not an ES512 JWT signed by this key: %w", err)
	}
	c := v.(QITClaims)
	parts := strings.Split(c.Signature, "\n")
	if len(parts) != 5 {
		return nil, fmt.Errorf("the signature claim has %d lines, want 5 (METHOD, MD5, CONTENT-TYPE, DATE, URI)", len(parts))
	}
	return &QITSignature{APIClientKey: key, Sub: c.Sub, Method: parts[0], MD5: parts[1], ContentType: parts[2],
		Date: parts[3], URI: parts[4]}, nil
}

// EncodeBody signs a JSON object body as an encoded_body JWT.
func EncodeBody(body []byte, key *ecdsa.PrivateKey) (string, error) {
	var claims jwt.MapClaims
	if err := json.Unmarshal(body, &claims); err != nil {
		return "", fmt.Errorf("baas: encoded_body: the body is not a JSON object: %w", err)
	}
	return sign(claims, key)
}

// DecodeBody checks that encoded is an ES512 JWT signed with pub and returns its claims: the body.
func DecodeBody(encoded string, pub *ecdsa.PublicKey) ([]byte, error) {
	b, _, err := DecodeBodyClaims(encoded, pub)
	return b, err
}

// RegisteredClaims are the JWT claims that JWT libraries add to a token on their own (jsonwebtoken adds
// iat to every one): an encoded_body's registered claims are the token's, not members of the body.
var RegisteredClaims = []string{"exp", "iat", "jti", "nbf"}

// DecodeBodyClaims is DecodeBody that also says which RegisteredClaims the token carried: they are left
// out of the body.
func DecodeBodyClaims(encoded string, pub *ecdsa.PublicKey) (body []byte, registered []string, err error) {
	v, err := verifyOnce(pub, encoded, func() (any, error) {
		claims := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(encoded, claims, func(*jwt.Token) (any, error) { return pub, nil },
			jwt.WithValidMethods([]string{"ES512"}), jwt.WithoutClaimsValidation()); err != nil {
			return nil, err
		}
		return claims, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("encoded_body is not an ES512 JWT signed by this key: %w", err)
	}
	return bodyOfClaims(v.(jwt.MapClaims))
}

// bodyOfClaims is the JSON body a token's claims carry, without its RegisteredClaims, and which of them
// it had. The claims are not changed: the verdict memo holds them.
func bodyOfClaims(claims jwt.MapClaims) ([]byte, []string, error) {
	body := make(map[string]any, len(claims))
	var registered []string
	for k, v := range claims {
		if slices.Contains(RegisteredClaims, k) {
			registered = append(registered, k)
			continue
		}
		body[k] = v
	}
	slices.Sort(registered)
	b, err := json.Marshal(body)
	return b, registered, err
}

// SignedURI is the URI a string_to_sign names for a call to u: its escaped path with its query.
func SignedURI(u *url.URL) string {
	if u.RawQuery == "" {
		return u.EscapedPath()
	}
	return u.EscapedPath() + "?" + u.RawQuery
}

// MD5Hex is the lower-case hex MD5 of s.
func MD5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// QITSigner signs requests the string_to_sign way and reads the answers, checking them against the
// provider's public key.
type QITSigner struct {
	APIClientKey string
	Key          *ecdsa.PrivateKey
	ProviderKey  *ecdsa.PublicKey // QI's public key; answers that do not verify with it are an error
	Now          func() time.Time // nil: time.Now
	// Tamper, when set, changes the string to sign's parts after they are computed (tests of refusals).
	Tamper func(*QITSignature)
}

// Encode turns body (JSON, or nothing) into what goes on the wire, and returns the Authorization for
// a call of method to uri (the path with its query).
func (s *QITSigner) Encode(method, uri string, body []byte) (wire []byte, authorization string, err error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	sig := QITSignature{APIClientKey: s.APIClientKey, Sub: s.APIClientKey, Method: method,
		Date: now().UTC().Format(http.TimeFormat), URI: uri}
	if len(bytes.TrimSpace(body)) > 0 {
		encoded, err := EncodeBody(body, s.Key)
		if err != nil {
			return nil, "", err
		}
		wire, _ = json.Marshal(map[string]string{EncodedBodyField: encoded})
		sig.MD5, sig.ContentType = MD5Hex(encoded), "application/json"
	}
	if s.Tamper != nil {
		s.Tamper(&sig)
	}
	tok, err := sign(QITClaims{Sub: sig.Sub,
		Signature: StringToSign(sig.Method, sig.MD5, sig.ContentType, sig.Date, sig.URI)}, s.Key)
	if err != nil {
		return nil, "", fmt.Errorf("baas: sign %s %s: %w", method, uri, err)
	}
	return wire, "QIT " + sig.APIClientKey + ":" + tok, nil
}

// Transport sends every request through next signed the string_to_sign way and hands back each answer
// decoded: the body its encoded_body carries, once both its Authorization and its encoded_body verify
// with the provider's key. An answer that does not verify is an error, never a plain body.
func (s *QITSigner) Transport(next http.RoundTripper) http.RoundTripper {
	return qitTransport{s: s, next: next}
}

// MaxSignedAnswer is how much of an answer the QIT transport reads to check its signature; a longer one
// is an error.
const MaxSignedAnswer = 16 << 20

type qitTransport struct {
	s    *QITSigner
	next http.RoundTripper
}

func (t qitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	wire, auth, err := t.s.Encode(req.Method, SignedURI(req.URL), body)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(wire)), int64(len(wire))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(wire)), nil }
	out.Header.Del(HeaderAuthorization)
	out.Header.Set("Authorization", auth)
	out.Header.Set(HeaderAPIClientKey, t.s.APIClientKey)
	if len(wire) > 0 {
		out.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxSignedAnswer+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxSignedAnswer {
		return nil, fmt.Errorf("baas: %s %s answered %d with a body over the %d MiB a signed answer is read to: not checked on a part",
			req.Method, req.URL.Path, resp.StatusCode, MaxSignedAnswer>>20)
	}
	if authRefusal(raw) {
		// QI cannot sign an answer to a call it could not authenticate: GDF000003/14/18 come back plain.
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		return resp, nil
	}
	plain, err := t.s.DecodeAnswer(resp.Header.Get("Authorization"), raw)
	if err != nil {
		return nil, fmt.Errorf("baas: %s %s answered %d: %w", req.Method, req.URL.Path, resp.StatusCode, err)
	}
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(plain)), int64(len(plain))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// DecodeAnswer checks an answer of the QIT scheme - its Authorization signed by the provider over the
// MD5 of its encoded_body, and the encoded_body itself - and returns the body it carries.
func (s *QITSigner) DecodeAnswer(authorization string, raw []byte) ([]byte, error) {
	if s.ProviderKey == nil {
		return nil, errors.New("no provider public key to check the signed answer with (credentials.qi_public_key)")
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("the answer is not a JSON object with %s: %w", EncodedBodyField, err)
	}
	encoded, _ := doc[EncodedBodyField].(string)
	if encoded == "" {
		return nil, fmt.Errorf("the answer has no %s (the QIT scheme signs every answer)", EncodedBodyField)
	}
	sig, err := ParseQITAuthorization(authorization, s.ProviderKey)
	if err != nil {
		return nil, fmt.Errorf("the answer's Authorization: %w", err)
	}
	if sig.MD5 != MD5Hex(encoded) {
		return nil, errors.New("the answer's Authorization signs another encoded_body (MD5 differs)")
	}
	plain, err := DecodeBody(encoded, s.ProviderKey)
	if err != nil {
		return nil, fmt.Errorf("the answer's %w", err)
	}
	return plain, nil
}

// authRefusal tells whether raw is a plain authentication error (code GDF…) rather than a signed answer.
func authRefusal(raw []byte) bool {
	var e struct {
		Code        string `json:"code"`
		EncodedBody string `json:"encoded_body"`
	}
	return json.Unmarshal(raw, &e) == nil && e.EncodedBody == "" && strings.HasPrefix(e.Code, "GDF")
}

// EncodedPayload reads, without checking its signature, the body an {"encoded_body": JWT} document
// carries: for a recorded example (a contract's request) or a schema check of an answer already checked
// elsewhere. ok is false for any other document.
func EncodedPayload(raw []byte) (body []byte, ok bool) {
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil || len(doc) != 1 {
		return nil, false
	}
	encoded, _ := doc[EncodedBodyField].(string)
	if encoded == "" {
		return nil, false
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(encoded, claims); err != nil {
		return nil, false
	}
	b, _, err := bodyOfClaims(claims)
	return b, err == nil
}

// Resign signs req again the string_to_sign way, as a verifier replaying a contract must (the recorded
// date goes stale): the body its recorded encoded_body carries is encoded afresh with this signer's key.
func (s *QITSigner) Resign(req *http.Request, body []byte) error {
	var plain []byte
	if len(bytes.TrimSpace(body)) > 0 {
		p, ok := EncodedPayload(body)
		if !ok {
			return errors.New(`baas: re-sign: the request body is not {"encoded_body": <JWT>}`)
		}
		plain = p
	}
	wire, auth, err := s.Encode(req.Method, SignedURI(req.URL), plain)
	if err != nil {
		return err
	}
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(wire)), int64(len(wire))
	req.Header.Set("Content-Length", fmt.Sprint(len(wire)))
	req.Header.Set("Authorization", auth)
	req.Header.Set(HeaderAPIClientKey, s.APIClientKey)
	return nil
}
