package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"

	"github.com/latam-conformance/conformance/schemas"
)

// BenchmarkValidateExchange measures what the steps do after every exchange: match the operation,
// validate the request body and the response body.
func BenchmarkValidateExchange(b *testing.B) {
	r, err := Load(schemas.FS)
	if err != nil {
		b.Fatal(err)
	}
	req := []byte(strings.Replace(personBody(""), `"contact_type":"sms"`, `"token":"076244"`, 1))
	var resp []byte
	resp, _ = json.Marshal(map[string]any{"hash": "bd707fdcb3f78abcab8b5c5b7459f9aa", "validation": true,
		"return_response": map[string]any{"mother_name": "M", "email": "a@b.co", "date_of_birth": "1987-01-11T00:00:00",
			"nationality": "Brasil", "birth_place": "B", "is_pep": false,
			"person": map[string]any{"person_key": "2eedef51-7638-4874-bb98-661080bdfbfd", "name": "N", "document_number": "68346734500",
				"person_status": map[string]any{"enumerator": "pending"}, "person_type": map[string]any{"enumerator": "natural"},
				"phone": []any{map[string]any{"country_code": "55", "area_code": "34", "number": "988887777"}}}}})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op, ok := r.Match("baas", "POST", "/baas/movement_validation")
		if !ok {
			b.Fatal("no operation")
		}
		if vs := r.ValidateRequest(op, req); len(vs) > 0 {
			b.Fatalf("violations: %v", vs)
		}
		if vs, err := r.ValidateResponse(op, 200, resp); err != nil || len(vs) > 0 {
			b.Fatalf("%v %v", err, vs)
		}
	}
}

// BenchmarkLoad measures compiling every schema at start-up.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Load(schemas.FS); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateMultipart measures checking a natural-person form with three photos of photoSize
// bytes: FormDocument reads every part (keeping 512 bytes of each file) and the form schema is applied.
func BenchmarkValidateMultipart(b *testing.B) {
	r, err := Load(schemas.FS)
	if err != nil {
		b.Fatal(err)
	}
	op, ok := r.Match("personalinfo", "POST", "/internal/v1/clients/personal_informations")
	if !ok {
		b.Fatal("no operation")
	}
	for _, photoSize := range []int{64, 1 << 20, 5 << 20} {
		b.Run(fmt.Sprintf("photos=%dB", photoSize), func(b *testing.B) {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			for _, kv := range [][2]string{{"birthday", "1990-08-10"}, {"first_name", "Juan"}, {"last_name", "Fernandez"},
				{"gender", "Hombre"}, {"marital_status", "divorcee"}, {"nationality", "Argentino"},
				{"politically_exposed", "false"}, {"document_type", "cuil"}, {"document_number", "9999999"}} {
				_ = w.WriteField(kv[0], kv[1])
			}
			photo := append([]byte("GIF89a"), make([]byte, photoSize-6)...)
			for _, f := range []string{"front_document", "back_document", "dni_selfie"} {
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", `form-data; name="`+f+`"; filename="p.gif"`)
				h.Set("Content-Type", "image/gif")
				p, _ := w.CreatePart(h)
				_, _ = p.Write(photo)
			}
			_ = w.Close()
			body, ct := buf.Bytes(), w.FormDataContentType()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if vs := r.ValidateRequestBody(op, ct, body); len(vs) > 0 {
					b.Fatalf("violations: %v", vs)
				}
			}
		})
	}
}
