package baas_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/fixtures"
	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
)

// qitExample holds the signed values the BAAS-17 contract shows as examples: ES512 signatures are not
// deterministic, so they were made once (QIT_EXAMPLES=1 go test -run TestWriteQITExamples) and kept, or
// the contract would change on every run. The request's encoded_body carries seed 004's token request,
// signed by the mock's fixture client; the answer is {} signed by the mock's provider key, as the
// mock answers, so the consumer test's client checks it as it checks a live answer.
type qitExample struct {
	RequestEncodedBody  string `json:"request_encoded_body"`
	RequestAuth         string `json:"request_authorization"`
	ResponseEncodedBody string `json:"response_encoded_body"`
	ResponseAuth        string `json:"response_authorization"`
}

const qitExampleFile = "testdata/qit-token-request.example.json"

func loadQITExample(t *testing.T) qitExample {
	t.Helper()
	raw, err := os.ReadFile(qitExampleFile)
	require.NoError(t, err)
	var ex qitExample
	require.NoError(t, json.Unmarshal(raw, &ex))
	return ex
}

func TestWriteQITExamples(t *testing.T) {
	if os.Getenv("QIT_EXAMPLES") == "" {
		t.Skip("QIT_EXAMPLES=1 writes " + qitExampleFile)
	}
	clientKey, err := baas.ParsePrivateKey([]byte(mockbaas.FixturePrivateKeyPEM))
	require.NoError(t, err)
	providerKey, err := baas.ParsePrivateKey([]byte(mockbaas.ProviderPrivateKeyPEM))
	require.NoError(t, err)
	body, err := json.Marshal(fixtures.BaaSTokenRequest(fixtures.BaaSPerson(examplePerson)))
	require.NoError(t, err)
	wire, auth, err := (&baas.QITSigner{APIClientKey: mockbaas.APIClientKey, Key: clientKey}).Encode("POST", baas.PathTokenRequest, body)
	require.NoError(t, err)
	var req map[string]string
	require.NoError(t, json.Unmarshal(wire, &req))
	answer, answerAuth, err := (&baas.QITSigner{APIClientKey: mockbaas.APIClientKey, Key: providerKey}).Encode("POST", baas.PathTokenRequest, []byte(`{}`))
	require.NoError(t, err)
	var resp map[string]string
	require.NoError(t, json.Unmarshal(answer, &resp))
	out, _ := json.MarshalIndent(qitExample{RequestEncodedBody: req[baas.EncodedBodyField], RequestAuth: auth,
		ResponseEncodedBody: resp[baas.EncodedBodyField], ResponseAuth: answerAuth}, "", "  ")
	require.NoError(t, os.WriteFile(filepath.FromSlash(qitExampleFile), append(out, '\n'), 0o644))
}
