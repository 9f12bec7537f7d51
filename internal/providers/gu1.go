package providers

import (
	"net/http"

	"github.com/latam-conformance/conformance/internal/mock"
	mockgu1 "github.com/latam-conformance/conformance/internal/mock/gu1"
)

func gu1() Provider {
	return Provider{
		Name:         "gu1",
		Title:        "gu1 KYC validations",
		PactConsumer: "conformance-gu1-client",
		PactProvider: "gu1",
		NewMock:      func(cfg mock.Config) (http.Handler, error) { return mockgu1.New(cfg) },
		States:       map[string]StateFunc{},
	}
}
