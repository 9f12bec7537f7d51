package baas

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Request authentication of QI Tech (BAAS-16): every call carries API-CLIENT-KEY and an AUTHORIZATION
// JWT signed ES512 with the client's P-521 private key, whose claims bind it to the call.
const (
	HeaderAuthorization = "AUTHORIZATION"
	HeaderAPIClientKey  = "API-CLIENT-KEY"
	// TimestampLayout is the claims' timestamp: UTC with milliseconds.
	TimestampLayout = "2006-01-02T15:04:05.000Z"
)

// Authentication error codes (BAAS-16).
const (
	CodeMissingAPIKey    = "GDF000003" // 400: no API-CLIENT-KEY
	CodeInvalidSignature = "GDF000014" // 401: AUTHORIZATION missing, not a valid ES512 JWT for this call
	CodeUnknownAPIKey    = "GDF000018" // 404: API-CLIENT-KEY unknown
)

// Claims are the JWT claims of BAAS-16. PayloadMD5 is the lower-case hex MD5 of the request body as
// sent, of {} for GET and DELETE (SignedPayload); URI is the request's path.
type Claims struct {
	PayloadMD5 string `json:"payload_md5"`
	Timestamp  string `json:"timestamp"`
	Method     string `json:"method"`
	URI        string `json:"uri"`
	jwt.RegisteredClaims
}

// Signer signs requests for one API client. It is safe for concurrent use.
type Signer struct {
	APIClientKey string
	Key          *ecdsa.PrivateKey
	Now          func() time.Time // nil: time.Now
}

// NewSigner reads a P-521 private key in PEM (SEC 1 "EC PRIVATE KEY" or PKCS #8 "PRIVATE KEY").
func NewSigner(apiClientKey string, privateKeyPEM []byte) (*Signer, error) {
	if strings.TrimSpace(apiClientKey) == "" {
		return nil, errors.New("baas: signer: empty API client key")
	}
	key, err := ParsePrivateKey(privateKeyPEM)
	if err != nil {
		return nil, err
	}
	return &Signer{APIClientKey: apiClientKey, Key: key}, nil
}

// ParsePrivateKey reads a P-521 private key in PEM. A key whose line breaks were flattened into "\n"
// (as some CI secret stores do) is read too. The error never quotes the key.
func ParsePrivateKey(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	return privateKeys.load(pemKey(pemBytes), func() (*ecdsa.PrivateKey, error) { return parsePrivateKey(pemBytes) })
}

func parsePrivateKey(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	if !bytes.Contains(pemBytes, []byte("\n-----")) && bytes.Contains(pemBytes, []byte(`\n`)) {
		pemBytes = bytes.ReplaceAll(pemBytes, []byte(`\n`), []byte("\n"))
	}
	block, _ := pem.Decode(bytes.TrimSpace(pemBytes))
	if block == nil {
		return nil, errors.New("baas: private key: not PEM")
	}
	var key *ecdsa.PrivateKey
	switch block.Type {
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("baas: private key: %w", err)
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("baas: private key: %w", err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("baas: private key: not an EC key")
		}
		key = ek
	default:
		return nil, fmt.Errorf("baas: private key: PEM block %q, want EC PRIVATE KEY or PRIVATE KEY", block.Type)
	}
	if key.Curve != elliptic.P521() {
		return nil, fmt.Errorf("baas: private key: curve %s, ES512 needs P-521", key.Curve.Params().Name)
	}
	return key, nil
}

// ParsePublicKey reads a P-521 public key in PEM ("PUBLIC KEY").
func ParsePublicKey(pemBytes []byte) (*ecdsa.PublicKey, error) {
	return publicKeys.load(pemKey(pemBytes), func() (*ecdsa.PublicKey, error) { return parsePublicKey(pemBytes) })
}

func parsePublicKey(pemBytes []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("baas: public key: not PEM")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("baas: public key: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != elliptic.P521() {
		return nil, errors.New("baas: public key: want a P-521 EC key")
	}
	return ek, nil
}

// PayloadMD5 is the payload_md5 claim of body.
func PayloadMD5(body []byte) string {
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

// EmptyPayload is what GET and DELETE sign the MD5 of, whatever they carry (QI's authentication test,
// BAAS-16).
var EmptyPayload = []byte("{}")

// SignedPayload is the payload whose MD5 the claims of a call carry: the body as sent, or EmptyPayload
// for GET and DELETE.
func SignedPayload(method string, body []byte) []byte {
	if method == http.MethodGet || method == http.MethodDelete {
		return EmptyPayload
	}
	return body
}

// Token returns the AUTHORIZATION JWT for a call.
func (s *Signer) Token(method, uri string, body []byte) (string, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	claims := Claims{PayloadMD5: PayloadMD5(SignedPayload(method, body)), Timestamp: now().UTC().Format(TimestampLayout), Method: method, URI: uri}
	return sign(claims, s.Key)
}

// Sign sets API-CLIENT-KEY and AUTHORIZATION on req, whose body is body.
func (s *Signer) Sign(req *http.Request, body []byte) error {
	tok, err := s.Token(req.Method, req.URL.EscapedPath(), body)
	if err != nil {
		return fmt.Errorf("baas: sign %s %s: %w", req.Method, req.URL.Path, err)
	}
	req.Header.Set(HeaderAPIClientKey, s.APIClientKey)
	req.Header.Set(HeaderAuthorization, tok)
	return nil
}

// ParseAuthorization checks that token is an ES512 JWT signed by pub and returns its claims. It does not
// judge the claims: the caller compares them with the call and its clock.
func ParseAuthorization(token string, pub *ecdsa.PublicKey) (*Claims, error) {
	v, err := verifyOnce(pub, token, func() (any, error) {
		var c Claims
		_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return pub, nil },
			jwt.WithValidMethods([]string{jwt.SigningMethodES512.Alg()}))
		return c, err
	})
	if err != nil {
		return nil, err
	}
	c := v.(Claims) // a copy: the caller may not change what the memo holds
	return &c, nil
}

// WithSigner signs every request with s (BAAS-16).
func WithSigner(s *Signer) Option {
	return func(c *Client) error {
		if s == nil || s.Key == nil {
			return errors.New("baas: WithSigner: no key")
		}
		c.signer = s
		return nil
	}
}
