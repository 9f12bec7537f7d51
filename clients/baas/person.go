package baas

// PersonCreation wraps the person to register (seed 004, "Object person_creation").
type PersonCreation struct {
	Person Person `json:"person"`
}

// Person is the person to register (seed 004, "Object person"; BAAS-07, BAAS-08).
// Gender, MaritalStatus and Representative are sent as null when nil, as the seed's examples do.
type Person struct {
	DateOfBirth                  string   `json:"date_of_birth"` // YYYY-MM-DD
	DocumentIdentificationNumber string   `json:"document_identification_number"`
	Email                        string   `json:"email"`
	DocumentNumber               string   `json:"document_number"` // CPF, 11 digits
	IsPEP                        bool     `json:"is_pep"`
	MotherName                   string   `json:"mother_name"` // ≤100
	Name                         string   `json:"name"`        // ≤100
	Nationality                  string   `json:"nationality"` // ≤50
	BirthPlace                   string   `json:"birth_place"` // ≤50
	PersonType                   string   `json:"person_type"` // natural or legal
	PhoneNumber                  Phone    `json:"phone_number"`
	Address                      *Address `json:"address,omitempty"`
	ProofOfResidence             string   `json:"proof_of_residence,omitempty"`
	SpouseName                   string   `json:"spouse_name,omitempty"`
	FatherName                   string   `json:"father_name,omitempty"`
	Profession                   string   `json:"profession,omitempty"`
	Gender                       *string  `json:"gender"`
	MaritalStatus                *string  `json:"marital_status"`
	Representative               any      `json:"representative"`
}

// Address is seed 004's "Object address" (BAAS-09): every field is required when it is sent.
type Address struct {
	Street       string `json:"street"`               // ≤100
	State        string `json:"state"`                // two upper-case letters
	City         string `json:"city"`                 // ≤100
	Neighborhood string `json:"neighborhood"`         // ≤100
	Number       string `json:"number"`               // ≤10
	PostalCode   string `json:"postal_code"`          // 8 digits
	Complement   string `json:"complement"`           // ≤100
	CreatedAt    string `json:"created_at,omitempty"` // in answers only
}

// Phone is seed 004's "Object phone" (BAAS-10).
type Phone struct {
	CountryCode string `json:"country_code"` // ≤3; SMS only reaches 55 (BAAS-06)
	AreaCode    string `json:"area_code"`    // ≤2
	Number      string `json:"number"`       // digits, ≤10
}
