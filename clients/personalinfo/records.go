package personalinfo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/latam-conformance/conformance/clients/internal/endpoint"
)

// MaritalStatuses are the values PI-03 lists.
var MaritalStatuses = []string{"single", "married", "divorcee", "widower"}

// The photo fields of PI-02.
const (
	PhotoFront  = "front_document"
	PhotoBack   = "back_document"
	PhotoSelfie = "dni_selfie"
)

// Photo is one of the three document photos: a file name, its media type and its bytes.
type Photo struct {
	Filename    string
	ContentType string // image/jpeg when empty
	Content     []byte
}

// Request is a natural person to create (PI-02). Birthday is sent as given; the seed's table says
// YYYY/MM/DD while its example sends YYYY-MM-DD (DOC-09), and this client does not choose for the caller.
type Request struct {
	Birthday           string
	FirstName          string
	LastName           string
	Gender             string
	MaritalStatus      string // one of MaritalStatuses (PI-03)
	Nationality        string
	PoliticallyExposed bool
	DocumentType       string
	DocumentNumber     string
	FrontDocument      *Photo
	BackDocument       *Photo
	DNISelfie          *Photo
}

// Fields lists the text fields in the order the seed's table does, as form values.
func (r *Request) Fields() [][2]string {
	return [][2]string{
		{"birthday", r.Birthday}, {"first_name", r.FirstName}, {"last_name", r.LastName}, {"gender", r.Gender},
		{"marital_status", r.MaritalStatus}, {"nationality", r.Nationality},
		{"politically_exposed", strconv.FormatBool(r.PoliticallyExposed)},
		{"document_type", r.DocumentType}, {"document_number", r.DocumentNumber},
	}
}

// Photos lists the photos by field name, in the seed's order; a nil photo is left out of the body.
func (r *Request) Photos() []NamedPhoto {
	return []NamedPhoto{{PhotoFront, r.FrontDocument}, {PhotoBack, r.BackDocument}, {PhotoSelfie, r.DNISelfie}}
}

// NamedPhoto is a photo and its form field.
type NamedPhoto struct {
	Field string
	Photo *Photo
}

// Record is the created natural person (PI-04).
type Record struct {
	ID                 int64  `json:"id"`
	FirstName          string `json:"first_name"`
	LastName           string `json:"last_name"`
	Nationality        string `json:"nationality"`
	Gender             string `json:"gender"`
	MaritalStatus      string `json:"marital_status"`
	PoliticallyExposed bool   `json:"politically_exposed"`
	Birthday           string `json:"birthday"`
	ClientID           int64  `json:"client_id"`
	CreatedAt          string `json:"created_at"`
	UpdatedAt          string `json:"updated_at"`
	DocumentType       string `json:"document_type"`
	DocumentNumber     string `json:"document_number"`
	State              string `json:"state"` // "checking" on creation
}

// Create sends the person and the three photos as one multipart/form-data body (PI-01..04, DOC-11).
// The API answers 200, not 201 (DOC-10). POST /internal/v1/clients/personal_informations.
func (c *Client) Create(ctx context.Context, r *Request) (*Record, *http.Response, error) {
	body, ct, err := Multipart(r, "")
	if err != nil {
		return nil, nil, err
	}
	return c.post(ctx, body, ct)
}

// CreateRaw sends a body the caller built, with its content type: the documented JSON form of DOC-11,
// or a multipart body changed on purpose.
func (c *Client) CreateRaw(ctx context.Context, body []byte, contentType string) (*Record, *http.Response, error) {
	return c.post(ctx, bytes.NewReader(body), contentType)
}

func (c *Client) post(ctx context.Context, body io.Reader, contentType string) (*Record, *http.Response, error) {
	var out struct {
		Data Record `json:"data"`
	}
	resp, err := c.send(ctx, http.MethodPost, PathPersonalInformations, body, contentType, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out.Data, resp, nil
}

// Multipart encodes r as multipart/form-data and returns the body with its Content-Type. boundary ""
// picks a random one, as a client should; a fixed one is for a contract that compares bodies.
func Multipart(r *Request, boundary string) (*bytes.Buffer, string, error) {
	return MultipartForm(r.Fields(), r.Photos(), boundary)
}

// MultipartForm encodes text fields (in order) and photos (nil ones left out) as multipart/form-data.
// Multipart is built on it; a test that needs a field the typed Request cannot hold (politically_exposed
// "maybe", a field left out) calls it directly.
func MultipartForm(fields [][2]string, photos []NamedPhoto, boundary string) (*bytes.Buffer, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			return nil, "", fmt.Errorf("personalinfo: multipart boundary: %w", err)
		}
	}
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	for _, p := range photos {
		if p.Photo == nil {
			continue
		}
		ct := p.Photo.ContentType
		if ct == "" {
			ct = "image/jpeg"
		}
		part, err := w.CreatePart(endpoint.FilePart(p.Field, p.Photo.Filename, ct))
		if err != nil {
			return nil, "", err
		}
		if _, err := part.Write(p.Photo.Content); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return &buf, w.FormDataContentType(), nil
}
