package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
)

// FormFile is how FormDocument shows a file part: its name, the media type the client declared, the
// media type its first bytes look like (net/http's sniffing) and its size; never its bytes.
type FormFile struct {
	Filename     string `json:"filename"`
	ContentType  string `json:"content_type"`
	DetectedType string `json:"detected_type"`
	Size         int64  `json:"size"`
}

// IsMultipart tells whether contentType is multipart/form-data.
func IsMultipart(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "multipart/form-data"
}

// Limits of a multipart/form-data body the harness reads: a form of these APIs has a dozen parts, and
// a body of many tiny parts costs CPU out of all proportion to its size (150,000 parts in 10 MB took
// 1.7 s). A body past either limit is malformed, answered 400 by the mocks.
const (
	MaxFormParts    = 100     // parts of one form
	MaxFormTextPart = 1 << 16 // bytes of one text part
)

// FormDocument turns a multipart/form-data body into the JSON document a form schema describes, so that
// a multipart request is checked against a schema like a JSON one: each text part is a string member,
// each file part (one with a filename) a FormFile object; a name sent more than once becomes an array of
// its values, which a schema expecting one value then refuses. The error says what is malformed.
func FormDocument(contentType string, body []byte) ([]byte, error) {
	return FormDocumentFrom(contentType, bytes.NewReader(body))
}

// FormDocumentFrom is FormDocument read from body as it streams: a file part is sniffed from its first
// 512 bytes and counted, never held, so a form of three 5 MiB photos costs a few KiB to read. It stops
// at the closing boundary, leaving whatever follows unread.
func FormDocumentFrom(contentType string, body io.Reader) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, fmt.Errorf("content type %q is not multipart/form-data", contentType)
	}
	if params["boundary"] == "" {
		return nil, errors.New("multipart/form-data without a boundary")
	}
	rd := multipart.NewReader(body, params["boundary"])
	doc := map[string]any{}
	for parts := 0; ; parts++ {
		if parts == MaxFormParts {
			return nil, fmt.Errorf("malformed multipart body: more than %d parts", MaxFormParts)
		}
		part, err := rd.NextPart()
		if errors.Is(err, io.EOF) && parts == 0 {
			return nil, fmt.Errorf("malformed multipart body: no part delimited by the boundary %q", params["boundary"])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed multipart body: %w", err)
		}
		name := part.FormName()
		if name == "" {
			return nil, errors.New("malformed multipart body: a part without a form-data name")
		}
		var v any
		if part.FileName() != "" {
			head := make([]byte, 512)
			k, err := io.ReadFull(part, head)
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("malformed multipart body: part %q: %w", name, err)
			}
			rest, err := io.Copy(io.Discard, part)
			if err != nil {
				return nil, fmt.Errorf("malformed multipart body: part %q: %w", name, err)
			}
			n := int64(k) + rest
			ct := part.Header.Get("Content-Type")
			if ct == "" {
				ct = "application/octet-stream" // RFC 7578 §4.4
			}
			v = FormFile{Filename: part.FileName(), ContentType: ct, DetectedType: http.DetectContentType(head[:k]), Size: n}
		} else {
			// io.ReadAll starts small; io.Copy into a builder took a 32 KiB buffer for every text part.
			text, err := io.ReadAll(io.LimitReader(part, MaxFormTextPart+1))
			if err != nil {
				return nil, fmt.Errorf("malformed multipart body: part %q: %w", name, err)
			}
			if len(text) > MaxFormTextPart {
				return nil, fmt.Errorf("malformed multipart body: text part %q is over %d bytes", name, MaxFormTextPart)
			}
			v = string(text)
		}
		switch prev := doc[name].(type) {
		case nil:
			doc[name] = v
		case []any:
			doc[name] = append(prev, v)
		default:
			doc[name] = []any{prev, v}
		}
	}
	return json.Marshal(doc)
}

// RequestSchemaFor names the schema file a request body of contentType is checked against ("" for none).
func (o *Operation) RequestSchemaFor(contentType string) string {
	if IsMultipart(contentType) {
		return o.Form
	}
	return o.Request
}

// ValidateRequestBody checks a request body by its Content-Type: a multipart/form-data body against the
// operation's form schema (through FormDocument), any other body against its JSON request schema. An
// operation without the schema for that kind of body accepts any.
func (r *Registry) ValidateRequestBody(op *Operation, contentType string, body []byte) []Violation {
	if !IsMultipart(contentType) {
		return r.ValidateRequest(op, body)
	}
	if op.Form == "" {
		return nil
	}
	doc, err := FormDocument(contentType, body)
	if err != nil {
		return []Violation{{Rule: "multipart", Message: err.Error()}}
	}
	return r.validate(op.Provider+"/"+op.Form, doc)
}
