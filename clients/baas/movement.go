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
	Person                       RegisteredPerson `json:"person"`
}

// RegisteredPerson is return_response.person.
type RegisteredPerson struct {
	PersonKey        string     `json:"person_key"`
	Name             string     `json:"name"`
	DocumentNumber   string     `json:"document_number"`
	CreatedAt        string     `json:"created_at"`
	RegistrationDate string     `json:"registration_date"`
	Address          *Address   `json:"address"`
	Phone            []Phone    `json:"phone"`
	PersonStatus     Enumerated `json:"person_status"`
	PersonType       Enumerated `json:"person_type"`
}

// Enumerated is the provider's {enumerator, translation_path} pair.
type Enumerated struct {
	Enumerator      string `json:"enumerator"`
	TranslationPath string `json:"translation_path,omitempty"`
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
