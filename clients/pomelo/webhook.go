package pomelo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxNotification is the largest notification body the receiver reads.
const maxNotification = 1 << 20

// Webhook headers (KYC-15).
const (
	HeaderAPIKey    = "X-Api-Key"
	HeaderSignature = "X-Signature"
	HeaderTimestamp = "X-Timestamp"
	HeaderEndpoint  = "X-Endpoint"
)

// Event is a session notification (KYC-14). The seeds document no body; this is the shape the
// harness's mock sends and its schema (schemas/pomelo/webhook.json) describes.
type Event struct {
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"` // identity.session.status_changed
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id,omitempty"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

// Sign returns the X-Signature value for a notification: "hmac-sha256 " and the base64 HMAC-SHA256,
// keyed with the base64-decoded secret, of timestamp + endpoint + body (KYC-15). The public text does
// not say how the MAC is written out; base64 is what this harness sends and expects.
func Sign(secretB64 string, timestamp int64, endpoint string, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(secretB64)
	if err != nil {
		return "", fmt.Errorf("pomelo: webhook secret is not base64: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte(endpoint))
	m.Write(body)
	return "hmac-sha256 " + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Receiver is an http.Handler that verifies signed notifications and hands each event to Handle.
// It answers 2xx only when Handle succeeds, so the provider sends the notification again otherwise
// (KYC-14).
type Receiver struct {
	Secrets  map[string]string // X-Api-Key -> base64 api-secret
	Endpoint string            // the X-Endpoint this receiver is registered as; "" accepts the request path
	MaxSkew  time.Duration     // how old (or early) a timestamp may be; 0: 5 minutes
	Now      func() time.Time  // nil: time.Now
	Handle   func(*http.Request, Event) error
}

// ErrSignature and friends tell why a notification was refused.
var (
	ErrSignature = errors.New("signature does not match")
	ErrStale     = errors.New("timestamp outside the accepted window")
	ErrAPIKey    = errors.New("unknown api key")
	ErrEndpoint  = errors.New("endpoint does not match")
)

// Verify checks a notification's headers against its raw body.
func (rc *Receiver) Verify(h http.Header, path string, body []byte) error {
	secret, ok := rc.Secrets[h.Get(HeaderAPIKey)]
	if !ok {
		return ErrAPIKey
	}
	endpoint := h.Get(HeaderEndpoint)
	want := rc.Endpoint
	if want == "" {
		want = path
	}
	if endpoint != want {
		return fmt.Errorf("%w: %q, want %q", ErrEndpoint, endpoint, want)
	}
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrStale, h.Get(HeaderTimestamp))
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	skew := rc.MaxSkew
	if skew <= 0 {
		skew = 5 * time.Minute
	}
	if d := now().Sub(time.Unix(ts, 0)); d > skew || d < -skew {
		return fmt.Errorf("%w: signed %s ago", ErrStale, d.Round(time.Second))
	}
	sig, err := Sign(secret, ts, endpoint, body)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(sig), []byte(strings.TrimSpace(h.Get(HeaderSignature)))) {
		return ErrSignature
	}
	return nil
}

// ServeHTTP verifies and dispatches one notification.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeReceiverError(w, http.StatusMethodNotAllowed, "method_not_allowed", "notifications are POSTed")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxNotification+1))
	if err != nil || len(body) > maxNotification {
		writeReceiverError(w, http.StatusRequestEntityTooLarge, "body_too_large", "notification body over 1 MiB")
		return
	}
	if err := rc.Verify(r.Header, r.URL.Path, body); err != nil {
		writeReceiverError(w, http.StatusUnauthorized, "invalid_signature", err.Error())
		return
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		writeReceiverError(w, http.StatusBadRequest, "malformed_event", err.Error())
		return
	}
	if rc.Handle != nil {
		if err := rc.Handle(r, ev); err != nil {
			writeReceiverError(w, http.StatusServiceUnavailable, "not_handled", err.Error())
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeReceiverError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
