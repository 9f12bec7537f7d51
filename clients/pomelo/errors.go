package pomelo

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/latam-conformance/conformance/clients/internal/endpoint"
)

// APIError is any non-2xx answer. The seeds document no error body for Pomelo Identity; the client reads
// {"error": {"code", "message", "details"}} (the shape the harness's mock and schemas use) and keeps the
// raw body, so a provider that answers otherwise still yields the status and the text.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
	Details    []map[string]any
	RequestID  string
	Body       []byte
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("pomelo: HTTP %d: %s", e.StatusCode, endpoint.Truncate(string(e.Body), 200))
	}
	return fmt.Sprintf("pomelo: HTTP %d %s: %s", e.StatusCode, e.Code, e.Message)
}

func apiErrorFrom(status int, body []byte, h http.Header) *APIError {
	e := &APIError{StatusCode: status, Body: body}
	if h != nil {
		e.RequestID = h.Get("X-Request-Id")
	}
	var doc struct {
		Error struct {
			Code    string           `json:"code"`
			Message string           `json:"message"`
			Details []map[string]any `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil {
		e.Code, e.Message, e.Details = doc.Error.Code, doc.Error.Message, doc.Error.Details
	}
	return e
}
