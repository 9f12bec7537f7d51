// Package gu1 is a thin, typed client for gu1's KYC validations and the entities they verify (seed 002;
// catalogue GU1-01..13). Every call carries Authorization: Bearer <api key> (GU1-01).
//
// The seed documents POST /api/kyc/validations. The other paths come from the catalogue and the public
// documentation: GET /api/kyc/validations/{id} (GU1-11), GET /api/kyc/entities/{entityId}/validations,
// and POST /api/entities (GU1-10). The cancel path, POST /api/kyc/validations/{id}/cancel, is this
// harness's reading: no document states it.
package gu1

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/clients/internal/endpoint"
)

// Paths of the operations.
const (
	PathEntities    = "/api/entities"
	PathValidations = "/api/kyc/validations"
)

// Error codes documented by seed 002.
const (
	CodeEntityNotFound    = "ENTITY_NOT_FOUND"    // 404, GU1-07
	CodeInvalidEntityType = "INVALID_ENTITY_TYPE" // 400, GU1-08
	CodeKYCNotConfigured  = "KYC_NOT_CONFIGURED"  // 400, GU1-09
)

// Client calls one gu1 environment. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	apiKey    string
	userAgent string
}

// Option configures a Client.
type Option func(*Client) error

// WithAPIKey sets the bearer API key (GU1-01).
func WithAPIKey(key string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("gu1: WithAPIKey: empty key")
		}
		c.apiKey = key
		return nil
	}
}

// WithHTTPClient sets the http.Client (and so the transport, where retries and recording belong).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("gu1: WithHTTPClient: nil client")
		}
		c.http = endpoint.HTTPClient(hc, 0)
		return nil
	}
}

// NewClient returns a client for the environment at baseURL. Without WithAPIKey it sends no
// Authorization header.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := endpoint.Parse("gu1", baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: u, http: endpoint.HTTPClient(nil, 30*time.Second), userAgent: "conformance-gu1-client/1"}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// APIError is any non-2xx answer, in seed 002's shape {"error": CODE, "message": TEXT}. Callers match on
// Code with errors.As.
type APIError struct {
	StatusCode int
	Code       string `json:"error"`
	Message    string `json:"message"`
	RequestID  string `json:"-"`
	Body       []byte `json:"-"`
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("gu1: HTTP %d: %s", e.StatusCode, endpoint.Truncate(string(e.Body), 200))
	}
	return fmt.Sprintf("gu1: HTTP %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// Do sends one request: body is JSON-encoded (a json.RawMessage as it is), a 2xx answer is decoded into
// out when not nil, anything else is an *APIError. The typed methods are built on it; it is exported
// for bodies the types cannot express, such as a negative test's.
func (c *Client) Do(ctx context.Context, method, escapedPath string, query url.Values, body, out any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		raw, ok := body.(json.RawMessage)
		if !ok {
			var err error
			if raw, err = json.Marshal(body); err != nil {
				return nil, fmt.Errorf("gu1: encode %s body: %w", escapedPath, err)
			}
		}
		rd = bytes.NewReader(raw)
	}
	u := endpoint.Join(c.base, escapedPath)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("gu1: %s %s: %w", method, escapedPath, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gu1: %s %s: %w", method, escapedPath, err)
	}
	return resp, endpoint.Answer(resp, "gu1: "+method+" "+escapedPath, out, func(status int, b []byte, h http.Header) error {
		e := &APIError{StatusCode: status, Body: b, RequestID: h.Get("X-Request-Id")}
		_ = json.Unmarshal(b, e)
		return e
	})
}

// Entity is a person or a company (GU1-10).
type Entity struct {
	ID         string `json:"id,omitempty"`
	Type       string `json:"type"` // person | company
	Name       string `json:"name"`
	ExternalID string `json:"externalId,omitempty"`
}

// CreateEntity creates the entity a validation verifies (GU1-10). POST /api/entities.
func (c *Client) CreateEntity(ctx context.Context, e *Entity) (*Entity, *http.Response, error) {
	var out Entity
	resp, err := c.Do(ctx, http.MethodPost, PathEntities, nil, e, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// GetEntity returns an entity of the organisation by id. GET /api/entities/{id}; an unknown id answers
// 404 ENTITY_NOT_FOUND.
func (c *Client) GetEntity(ctx context.Context, id string) (*Entity, *http.Response, error) {
	var out Entity
	resp, err := c.Do(ctx, http.MethodGet, PathEntities+"/"+url.PathEscape(id), nil, nil, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// ValidationRequest is the body of POST /api/kyc/validations (GU1-02..04). Metadata is sent as compact
// JSON (encoding/json compacts a RawMessage), and the 10KB limit counts the bytes of that compact text.
type ValidationRequest struct {
	EntityID   string          `json:"entityId"`
	WorkflowID string          `json:"workflowId,omitempty"`
	WebhookURL string          `json:"webhookUrl,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

// MaxMetadata is GU1-04's limit: 10KB (10240 bytes), counted on metadata's compact JSON text, UTF-8.
const MaxMetadata = 10 * 1024

// Validation is a KYC validation (GU1-05, GU1-06).
type Validation struct {
	ID                 string          `json:"id"`
	EntityID           string          `json:"entityId"`
	OrganizationID     string          `json:"organizationId"`
	SessionID          string          `json:"sessionId"`
	Status             string          `json:"status"`
	Provider           string          `json:"provider"`
	ProviderSessionURL string          `json:"providerSessionUrl"`
	IsCurrent          bool            `json:"isCurrent"`
	Metadata           json.RawMessage `json:"metadata,omitempty"`
	CreatedAt          string          `json:"createdAt"`
	UpdatedAt          string          `json:"updatedAt"`
}

// CreateValidation starts a KYC validation for a person entity; 201 with the session URL to share
// (GU1-05). Errors: ENTITY_NOT_FOUND (404), INVALID_ENTITY_TYPE and KYC_NOT_CONFIGURED (400).
func (c *Client) CreateValidation(ctx context.Context, r *ValidationRequest) (*Validation, *http.Response, error) {
	var out Validation
	resp, err := c.Do(ctx, http.MethodPost, PathValidations, nil, r, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// GetValidation returns a validation by id (GU1-11).
func (c *Client) GetValidation(ctx context.Context, id string) (*Validation, *http.Response, error) {
	var out Validation
	resp, err := c.Do(ctx, http.MethodGet, PathValidations+"/"+url.PathEscape(id), nil, nil, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// CancelValidation cancels a validation. The path is this harness's reading (see the package comment).
func (c *Client) CancelValidation(ctx context.Context, id string) (*Validation, *http.Response, error) {
	var out Validation
	resp, err := c.Do(ctx, http.MethodPost, PathValidations+"/"+url.PathEscape(id)+"/cancel", nil, nil, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// ValidationList is one page of an entity's validations, newest first.
type ValidationList struct {
	Validations []Validation `json:"validations"`
	Total       int          `json:"total"`
	Page        int          `json:"page"`
	Limit       int          `json:"limit"`
}

// ListValidations returns an entity's validations (page from 1, limit up to 100; 0 for the defaults).
func (c *Client) ListValidations(ctx context.Context, entityID string, page, limit int) (*ValidationList, *http.Response, error) {
	q := url.Values{}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out ValidationList
	resp, err := c.Do(ctx, http.MethodGet, "/api/kyc/entities/"+url.PathEscape(entityID)+"/validations", q, nil, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}
