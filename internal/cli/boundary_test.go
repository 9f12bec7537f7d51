package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/schemas"
)

func readReport(t *testing.T, file string) report.Document {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc report.Document
	require.NoError(t, json.Unmarshal(raw, &doc))
	return doc
}

// The generated run against the embedded mocks: every provider's constraints have cases, and each case
// gets the verdict the contract gives it.
func TestABoundaryRunAgainstTheMocksPassesEveryCase(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.json")
	code, out, errb := run(t, "run", "--boundary", "--report-json", file)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", tail(out), errb)
	doc := readReport(t, file)
	require.NotNil(t, doc.Boundary)
	assert.EqualValues(t, 1, doc.Boundary.Seed)
	require.Len(t, doc.Boundary.Providers, 4)
	cases := 0
	for _, p := range doc.Boundary.Providers {
		assert.Positive(t, p.Constraints, p.Provider)
		assert.GreaterOrEqual(t, p.Cases, p.Constraints, "%s: a case or more per constraint", p.Provider)
		assert.Positive(t, p.Accept, p.Provider)
		assert.Positive(t, p.Refuse, p.Provider)
		assert.Equal(t, p.Cases, p.Passed, p.Provider)
		assert.Zero(t, p.Failed, p.Provider)
		cases += p.Cases
	}
	assert.Equal(t, cases, doc.Totals.Scenarios)
	assert.Contains(t, out, "Boundary cases (seed 1; --seed 1 repeats them)")
	// The cases the issue names are among them, with their IDs.
	names := map[string][]string{}
	for _, s := range doc.Scenarios {
		names[s.Name] = s.IDs
	}
	for name, id := range map[string]string{
		"metadata, 10241 bytes of compact JSON, one past (x-max-bytes 10240): refused":                 "GU1-04",
		"metadata, 10240 bytes of compact JSON, at the limit (x-max-bytes 10240): accepted":            "GU1-04",
		"front_document, 5242881 bytes, one past (x-max-bytes 5242880): refused":                       "PI-02",
		"person_creation.person.name, 101 characters, one past (maxLength 100): refused":               "BAAS-07",
		"query page[size], 101, one past (maximum 100): refused":                                       "KYC-10",
		`country, "arg", not in the enum (enum ARG|BRA|MEX|COL|PER|CHL): refused`:                      "KYB-03",
		"person_creation.person.phone_number.area_code, 3 characters, one past (maxLength 2): refused": "DOC-13",
		"file, 10485760 bytes, at the limit (x-max-bytes 10485760): accepted":                          "KYC-03",
	} {
		assert.Contains(t, names[name], id, "%q", name)
	}
}

func TestTheSameSeedGivesTheSameCasesAndAnotherSeedOthers(t *testing.T) {
	list := func(seed string) string {
		code, out, errb := run(t, "run", "--boundary", "--seed", seed, "--dry-run")
		require.Equal(t, 0, code, errb)
		return out
	}
	one := list("7")
	assert.Equal(t, one, list("7"))
	assert.NotEqual(t, one, list("8"))
	assert.Contains(t, one, "576 scenarios")
}

// mutatedSchemas are the embedded schemas with old replaced by new in file: a mock started with them
// takes what the contract refuses.
func mutatedSchemas(t *testing.T, file, old, new string) *schema.Registry {
	t.Helper()
	m := fstest.MapFS{}
	require.NoError(t, fs.WalkDir(schemas.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schemas.FS, p)
		if p == file {
			require.Contains(t, string(b), old)
			b = bytes.Replace(b, []byte(old), []byte(new), 1)
		}
		m[p] = &fstest.MapFile{Data: b}
		return err
	}))
	reg, err := schema.Load(m)
	require.NoError(t, err)
	return reg
}

func mutatedMock(t *testing.T, provider string, reg *schema.Registry, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	p, err := providers.Lookup(provider)
	require.NoError(t, err)
	return serveMock(t, p, mock.Config{Schemas: reg}, wrap)
}

// failedCases runs the provider's boundary cases against url and gives the failed scenarios.
func failedCases(t *testing.T, provider, url string, paths ...string) []report.ScenarioDoc {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.json")
	args := append([]string{"run", "--boundary", "--base-url", provider + "=" + url, "--tags", "@" + provider, "--report-json", file}, paths...)
	code, out, errb := run(t, args...)
	require.Equal(t, 1, code, "a mutated mock must fail the run\nstdout:\n%s\nstderr:\n%s", tail(out), errb)
	var failed []report.ScenarioDoc
	for _, s := range readReport(t, file).Scenarios {
		if s.Status == report.Failed {
			failed = append(failed, s)
		}
	}
	require.NotEmpty(t, failed)
	return failed
}

// Each mutated mock is caught, by the case of the rule it breaks and no other, naming the rule's ID,
// with the request to repeat it.
func TestBoundaryCasesCatchMutatedMocks(t *testing.T) {
	t.Run("a string one past its maximum length accepted", func(t *testing.T) {
		reg := mutatedSchemas(t, "baas/person.json", `"name": { "x-catalogue-ids": ["BAAS-07"], "type": "string", "maxLength": 100 }`,
			`"name": { "x-catalogue-ids": ["BAAS-07"], "type": "string", "maxLength": 101 }`)
		failed := failedCases(t, "baas", mutatedMock(t, "baas", reg, nil), "boundary/baas/token_request.boundary.feature")
		require.Len(t, failed, 1)
		assert.Equal(t, "person_creation.person.name, 101 characters, one past (maxLength 100): refused", failed[0].Name)
		assert.Equal(t, []string{"BAAS-07"}, failed[0].IDs)
		assert.Contains(t, failed[0].Message, "the provider accepted (200) a request the contract refuses (maxLength 100)")
		assert.Contains(t, failed[0].Message, "curl -sS -X POST")
	})
	t.Run("a 500 answered to a null", func(t *testing.T) {
		nullFails := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if bytes.Contains(body, []byte(":null")) {
					http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
		failed := failedCases(t, "gu1", mutatedMock(t, "gu1", nil, nullFails))
		nulls := 0
		for _, s := range failed {
			assert.Contains(t, s.Name, ", null (", "only the null cases fail")
			assert.Contains(t, s.Message, "the provider failed (500) on a request it should refuse with a 4xx")
			assert.NotEmpty(t, s.IDs)
			nulls++
		}
		assert.Equal(t, 7, nulls, "every null case of gu1's two bodies") // type, name, externalId; entityId, workflowId, webhookUrl, metadata
	})
	t.Run("a wrong enum value accepted", func(t *testing.T) {
		reg := mutatedSchemas(t, "pomelo/create.request.json",
			`"country": { "x-catalogue-ids": ["KYB-02", "KYB-03", "KYC-02"], "type": "string", "enum": ["ARG", "BRA", "MEX", "COL", "PER", "CHL"] }`,
			`"country": { "x-catalogue-ids": ["KYB-02", "KYB-03", "KYC-02"], "type": "string" }`)
		failed := failedCases(t, "pomelo", mutatedMock(t, "pomelo", reg, nil), "boundary/pomelo/create_session.kyb.boundary.feature")
		require.Len(t, failed, 1)
		assert.Equal(t, `country, "arg", not in the enum (enum ARG|BRA|MEX|COL|PER|CHL): refused`, failed[0].Name)
		assert.Equal(t, []string{"KYB-02", "KYB-03", "KYC-02"}, failed[0].IDs)
		// The mock echoes "arg" in its 201, which its answer's schema refuses too: either check may speak first.
		assert.Regexp(t, `accepted \(201\)|response 201 breaks`, failed[0].Message)
	})
}
