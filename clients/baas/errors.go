package baas

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/latam-conformance/conformance/clients/internal/endpoint"
)

// Error codes documented by seed 004.
const (
	CodeInvalidToken          = "ACC000133" // 401, BAAS-13
	CodeExpiredToken          = "ACC000134" // 401, BAAS-12
	CodeContactDoesNotExist   = "ACC000135" // 400, BAAS-04, BAAS-06
	CodeContactTypeNotAllowed = "ACC000152" // 400, BAAS-03
)

// APIError is any non-2xx answer. Callers match on Code with errors.As, never on message text.
// The body shape is BAAS-14: title, description, translation, code and an optional additional_data object.
type APIError struct {
	StatusCode     int
	Title          string         `json:"title"`
	Description    string         `json:"description"`
	Translation    string         `json:"translation"`
	Code           string         `json:"code"`
	AdditionalData map[string]any `json:"additional_data"`
	RequestID      string         `json:"-"`
	Body           []byte         `json:"-"` // the raw body, at most 1 MiB
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("baas: HTTP %d: %s", e.StatusCode, endpoint.Truncate(string(e.Body), 200))
	}
	return fmt.Sprintf("baas: HTTP %d %s: %s", e.StatusCode, e.Code, e.Description)
}

func apiError(status int, body []byte, h http.Header) error {
	e := &APIError{StatusCode: status, Body: body, RequestID: h.Get("X-Request-Id")}
	// A body that is not the documented shape still yields an error with the status and raw body.
	_ = json.Unmarshal(body, e)
	return e
}
