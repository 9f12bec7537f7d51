package pomelo

import (
	"context"
	"net/http"
	"net/url"
)

// Session statuses. IN_PROGRESS is the seed's (KYC-08); VALIDATED is the public client's; REJECTED and
// CANCELLED are the outcomes the mock uses for a refused and a cancelled session (KYC-06).
const (
	StatusInProgress = "IN_PROGRESS"
	StatusValidated  = "VALIDATED"
	StatusRejected   = "REJECTED"
	StatusCancelled  = "CANCELLED"
)

// Countries supported by Pomelo Identity (KYC-02), ISO 3166 alpha-3.
var Countries = []string{"ARG", "BRA", "MEX", "COL", "PER", "CHL"}

// KYCSession is the create body for an individual (KYC-01): the validation flow and the user.
type KYCSession struct {
	UserID     string `json:"user_id"`
	FlowID     string `json:"flow_id"`
	ExternalID string `json:"external_id,omitempty"`
}

// KYBSession is the create body for a company (seed 000; KYB-02..07).
type KYBSession struct {
	FlowType          string  `json:"flow_type"`          // kyb-cards
	Country           string  `json:"country"`            // alpha-3
	IntegrationMethod string  `json:"integration_method"` // API
	Data              KYBData `json:"data"`
}

// KYBData has exactly three properties (KYB-04).
type KYBData struct {
	Company   Company   `json:"company"`
	Partners  []Partner `json:"partners"`
	TermsData TermsData `json:"terms_data"`
}

// Company is KYB-05.
type Company struct {
	ID           string  `json:"id"`        // cmp-…
	IsMEI        bool    `json:"is_mei"`    //
	FiscalID     string  `json:"fiscal_id"` // CNPJ NN.NNN.NNN/NNNN-NN
	AnnualIncome float64 `json:"annual_income"`
	LegalNature  int     `json:"legal_nature"`
}

// Partner is KYB-06.
type Partner struct {
	ID                     string         `json:"id"` // usr-…
	PartnerType            string         `json:"partner_type"`
	CompanyRelationship    []string       `json:"company_relationship"`
	CorporateParticipation []string       `json:"corporate_participation"`
	FiscalID               string         `json:"fiscal_id"` // CPF NNN.NNN.NNN-NN
	FullName               string         `json:"full_name"`
	Birthdate              string         `json:"birthdate"`   // YYYY-MM-DD
	Nationality            string         `json:"nationality"` // alpha-3
	MotherName             string         `json:"mother_name"`
	Phone                  string         `json:"phone"`
	PEP                    bool           `json:"pep"`
	Salary                 float64        `json:"salary"`
	Address                PartnerAddress `json:"address"`
}

// PartnerAddress is a partner's address (KYB-06).
type PartnerAddress struct {
	StreetName   string `json:"street_name"`
	StreetNumber int    `json:"street_number"`
	Complement   string `json:"complement"`
	ZipCode      string `json:"zip_code"` // NNNNN-NNN
	Neighborhood string `json:"neighborhood"`
}

// TermsData is KYB-07.
type TermsData struct {
	Version string `json:"version"`
	Accept  bool   `json:"accept"`
	Date    string `json:"date"` // ISO-8601 date-time
}

// Session is a validation session as the API returns it.
type Session struct {
	ID                string     `json:"id"`
	Status            string     `json:"status"`
	Kind              string     `json:"kind,omitempty"` // kyc | kyb
	UserID            string     `json:"user_id,omitempty"`
	FlowID            string     `json:"flow_id,omitempty"`
	FlowType          string     `json:"flow_type,omitempty"`
	Country           string     `json:"country,omitempty"`
	IntegrationMethod string     `json:"integration_method,omitempty"`
	ExternalID        string     `json:"external_id,omitempty"`
	Documents         []Document `json:"documents,omitempty"`
	CreatedAt         string     `json:"created_at"`
	UpdatedAt         string     `json:"updated_at"`
}

// Document is one uploaded file of a session.
type Document struct {
	Type       string `json:"type"`
	EntityID   string `json:"entity_id"`
	UploadedAt string `json:"uploaded_at"`
}

// Report is the data a session collected (KYC-07).
type Report struct {
	SessionID        string         `json:"session_id"`
	UserID           string         `json:"user_id,omitempty"`
	ValidationStatus string         `json:"validation_status"`
	Details          map[string]any `json:"details"`
}

type envelope[T any] struct {
	Data T `json:"data"`
}

// CreateKYCSession starts a KYC session for an individual and returns it with its id (KYC-01).
// POST /identity/v2/sessions.
func (c *Client) CreateKYCSession(ctx context.Context, body *KYCSession) (*Session, *http.Response, error) {
	return c.create(ctx, body)
}

// CreateKYBSession starts a KYB session for a company; 201 {"data": {...}} (KYB-01..08).
// POST /identity/v2/sessions.
func (c *Client) CreateKYBSession(ctx context.Context, body *KYBSession) (*Session, *http.Response, error) {
	return c.create(ctx, body)
}

func (c *Client) create(ctx context.Context, body any) (*Session, *http.Response, error) {
	var out envelope[Session]
	resp, err := c.do(ctx, http.MethodPost, PathCreateSession, nil, body, "", &out)
	if err != nil {
		return nil, resp, err
	}
	return &out.Data, resp, nil
}

func sessionPath(id string, rest ...string) string {
	p := PathSessions + "/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// GetSession returns a session and its status (KYC-05). The seed writes the path singular in one
// place (DOC-01); the client uses the plural form every other operation uses.
func (c *Client) GetSession(ctx context.Context, id string) (*Session, *http.Response, error) {
	var out envelope[Session]
	resp, err := c.do(ctx, http.MethodGet, sessionPath(id), nil, nil, "", &out)
	if err != nil {
		return nil, resp, err
	}
	return &out.Data, resp, nil
}

// CancelSession cancels a session (KYC-06). The seed states no method (DOC-04); DELETE is what the
// public client sends.
func (c *Client) CancelSession(ctx context.Context, id string) (*Session, *http.Response, error) {
	var out envelope[Session]
	resp, err := c.do(ctx, http.MethodDelete, sessionPath(id), nil, nil, "", &out)
	if err != nil {
		return nil, resp, err
	}
	return &out.Data, resp, nil
}

// SessionReport returns the user data the session collected (KYC-07).
func (c *Client) SessionReport(ctx context.Context, id string) (*Report, *http.Response, error) {
	var out envelope[Report]
	resp, err := c.do(ctx, http.MethodGet, sessionPath(id, "report"), nil, nil, "", &out)
	if err != nil {
		return nil, resp, err
	}
	return &out.Data, resp, nil
}

// CleanValidations clears a user's validations in the test environment (KYC-13); when both are given
// the user id wins.
func (c *Client) CleanValidations(ctx context.Context, userID, documentNumber string) (*http.Response, error) {
	body := map[string]string{}
	if userID != "" {
		body["user_id"] = userID
	}
	if documentNumber != "" {
		body["document_number"] = documentNumber
	}
	return c.do(ctx, http.MethodPost, PathCleanValidations, nil, body, "", nil)
}
