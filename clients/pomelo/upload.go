package pomelo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/latam-conformance/conformance/clients/internal/endpoint"
)

// Document types of KYC-04 (ARG and BRA) and KYB-09.
const (
	DocSelfie              = "selfie"
	DocIdentityCardFront   = "identity-card-front"
	DocIdentityCardBack    = "identity-card-back"
	DocDriverLicenseFront  = "driver-license-front"
	DocDriverLicenseBack   = "driver-license-back"
	DocCompanyDocument     = "company-document"
	uploadFieldName        = "file"
	defaultUploadMediaType = "image/jpeg"
)

// UploadFile uploads one document of type docType for the entity userID of a session, as multipart
// form data with the file in the field "file" (KYC-03). mediaType defaults to image/jpeg.
// POST /identity/v1/sessions/{session_id}/entities/{user_id}/files/{type_document}.
func (c *Client) UploadFile(ctx context.Context, sessionID, userID, docType, filename, mediaType string, content io.Reader) (*Document, *http.Response, error) {
	body, ct, err := MultipartFile(filename, mediaType, content)
	if err != nil {
		return nil, nil, err
	}
	var out envelope[Document]
	resp, err := c.do(ctx, http.MethodPost, sessionPath(sessionID, "entities", userID, "files", docType), nil, body, ct, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out.Data, resp, nil
}

// MultipartFile builds the multipart body of an upload and returns it with its Content-Type.
func MultipartFile(filename, mediaType string, content io.Reader) (*bytes.Buffer, string, error) {
	if mediaType == "" {
		mediaType = defaultUploadMediaType
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreatePart(endpoint.FilePart(uploadFieldName, filename, mediaType))
	if err != nil {
		return nil, "", err
	}
	if _, err := io.Copy(part, content); err != nil {
		return nil, "", fmt.Errorf("pomelo: read upload content: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return &buf, w.FormDataContentType(), nil
}
