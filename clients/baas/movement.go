package baas

import (
	"context"
	"net/http"
)

// ContactTypeSMS is the only implemented contact type (BAAS-02).
const ContactTypeSMS = "sms"

// TokenRequestBody is the body of POST /baas/token_request.
type TokenRequestBody struct {
	ContactType         string         `json:"contact_type"`
	PersonCreation      PersonCreation `json:"person_creation"`
	AgentDocumentNumber string         `json:"agent_document_number,omitempty"` // CPF of an account administrator
}

// TokenRequested is the 200 body of POST /baas/token_request: documented as {} (BAAS-01), so it carries
// nothing; fields the provider may add are ignored (BAAS-14).
type TokenRequested struct{}

// TokenRequest asks the provider to send the six-digit SMS token that authorises a person creation.
// A 200 has the empty body {} (BAAS-01); errors: ACC000152 (BAAS-03), ACC000135 (BAAS-04, BAAS-06).
// Seed 004, "Token Request".
func (c *Client) TokenRequest(ctx context.Context, body *TokenRequestBody) (*TokenRequested, *http.Response, error) {
	var out TokenRequested
	resp, err := c.Post(ctx, PathTokenRequest, body, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// MovementValidationBody is the body of POST /baas/movement_validation.
type MovementValidationBody struct {
	Token          string         `json:"token"` // six digits
	PersonCreation PersonCreation `json:"person_creation"`
}

// MovementValidation is the 200 body of POST /baas/movement_validation (BAAS-11).
type MovementValidation struct {
	Hash           string         `json:"hash"`
	ReturnResponse ReturnResponse `json:"return_response"`
	Validation     bool           `json:"validation"`
}

// ReturnResponse is the created person as the provider records it (BAAS-15).
type ReturnResponse struct {
	BirthPlace                   string           `json:"birth_place"`
	CreatedAt                    string           `json:"created_at"`
	DateOfBirth                  string           `json:"date_of_birth"`
	DocumentIdentificationNumber string           `json:"document_identification_number"`
	Email                        string           `json:"email"`
	FatherName                   *string          `json:"father_name"`
	Gender                       *string          `json:"gender"`
	IsPEP                        bool             `json:"is_pep"`
	KCKey                        string           `json:"kc_key"`
	MaritalStatus                *string          `json:"marital_status"`
	MotherName                   string           `json:"mother_name"`
	Nationality                  string           `json:"nationality"`
	Profession                   *string          `json:"profession"`
	SpouseName                   *string          `json:"spouse_name"`
	NaturalRevenueRange          *RevenueRange    `json:"natural_revenue_range"`
	RevenueAmount                *float64         `json:"revenue_amount"`
	Person                       RegisteredPerson `json:"person"`
}

// RevenueRange is return_response.natural_revenue_range: the provider's income bracket.
type RevenueRange struct {
	AverageAmount   *float64 `json:"average_amount"`
	CreatedAt       string   `json:"created_at"`
	Description     string   `json:"description"`
	DescriptionPTBR string   `json:"description_ptbr"`
	Enumerator      string   `json:"enumerator"`
	MoreThanAmount  *float64 `json:"more_than_amount"`
	UpToAmount      *float64 `json:"up_to_amount"`
}

// RegisteredAddress is the sent address as the provider keeps it.
type RegisteredAddress struct {
	Address
	CreatedAt string `json:"created_at"`
}

// RegisteredPhone is the sent phone as the provider keeps it.
type RegisteredPhone struct {
	Phone
	PhoneKey  string  `json:"phone_key"`
	PhoneType *string `json:"phone_type"`
	CreatedAt string  `json:"created_at"`
}

// Domain is return_response.person.domain: the QI domain the person belongs to.
type Domain struct {
	CreatedAt      string `json:"created_at"`
	DomainKey      string `json:"domain_key"`
	DomainName     string `json:"domain_name"`
	OwnerPersonKey string `json:"owner_person_key"`
}

// RegisteredPerson is return_response.person.
type RegisteredPerson struct {
	PersonKey        string             `json:"person_key"`
	Name             string             `json:"name"`
	DocumentNumber   string             `json:"document_number"`
	CreatedAt        string             `json:"created_at"`
	RegistrationDate string             `json:"registration_date"`
	Address          *RegisteredAddress `json:"address"`
	Phone            []RegisteredPhone  `json:"phone"`
	PersonStatus     Enumerated         `json:"person_status"`
	PersonType       Enumerated         `json:"person_type"`
	// The rest of seed 004's example: what QI keeps about the person beyond what was sent.
	PersonCode               int     `json:"person_code"`
	Domain                   *Domain `json:"domain"`
	Category                 *string `json:"category"`
	CategoryNick             *string `json:"category_nick"`
	PersonCategory           any     `json:"person_category"`
	InternalContact          any     `json:"internal_contact"`
	InternalContactPersonKey *string `json:"internal_contact_person_key"`
	ProfessionalData         []any   `json:"professional_data"`
	Qualifications           []any   `json:"qualifications"`
	Risk                     any     `json:"risk"`
	SpecialAttention         bool    `json:"special_attention"`
	TermsAcknowledgement     bool    `json:"terms_acknowledgement"`
	ValidCIPBeneficiary      bool    `json:"valid_cip_beneficiary"`
}

// Enumerated is the provider's {enumerator, translation_path} pair.
type Enumerated struct {
	Enumerator      string `json:"enumerator"`
	TranslationPath string `json:"translation_path,omitempty"`
	CreatedAt       string `json:"created_at,omitempty"`
}

// ValidateMovement sends the SMS token with the person to create; a 200 returns the created person
// (BAAS-11, BAAS-15). Errors: ACC000134 expired token (BAAS-12), ACC000133 wrong token (BAAS-13).
// Seed 004, "Token Validation".
func (c *Client) ValidateMovement(ctx context.Context, body *MovementValidationBody) (*MovementValidation, *http.Response, error) {
	var out MovementValidation
	resp, err := c.Post(ctx, PathMovementValidation, body, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}
