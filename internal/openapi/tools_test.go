package openapi

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// tool is the outside tool name (redocly, prism) of scripts/install-openapi-tools.sh, whose directory
// make test passes in OPENAPI_TOOLS. Without it the test is skipped, except in CI.
func tool(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("OPENAPI_TOOLS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".tools", "openapi")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "node_modules", ".bin", name))
	require.NoError(t, err)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (%s): scripts/install-openapi-tools.sh", name, bin)
		}
		t.Skipf("%s is not installed (%s): run scripts/install-openapi-tools.sh", name, bin)
	}
	return bin
}

// quietNode keeps the outside tools from telemetry and update checks: nothing leaves the machine.
func quietNode(cmd *exec.Cmd) {
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true",
		"NO_UPDATE_NOTIFIER=1", "DO_NOT_TRACK=1")
}

// TestRedoclyLintsEveryDocumentWithoutAnError: Redocly CLI, as installed from npm at the pinned
// version, reads each committed document with its recommended rules and finds no error.
func TestRedoclyLintsEveryDocumentWithoutAnError(t *testing.T) {
	bin := tool(t, "redocly")
	files, err := filepath.Glob(filepath.Join("..", "..", "openapi", "*.openapi.json"))
	require.NoError(t, err)
	require.Len(t, files, 4)
	cmd := exec.Command(bin, append([]string{"lint", "--format", "json"}, files...)...)
	quietNode(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	type report struct { // one per document
		Totals struct {
			Errors   int `json:"errors"`
			Warnings int `json:"warnings"`
		} `json:"totals"`
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
		} `json:"problems"`
	}
	dec := json.NewDecoder(&stdout)
	reports, errs, warnings := 0, 0, 0
	for dec.More() {
		var r report
		require.NoError(t, dec.Decode(&r), "redocly lint --format json: %v\n%s", runErr, stderr.String())
		reports++
		errs += r.Totals.Errors
		warnings += r.Totals.Warnings
		for _, p := range r.Problems {
			if p.Severity == "error" {
				t.Errorf("%s: %s", p.RuleID, p.Message)
			}
		}
	}
	require.Equal(t, len(files), reports, "a report per document")
	require.Zero(t, errs)
	require.NoError(t, runErr, "redocly exits 0 without errors")
	t.Logf("redocly lint: %d documents, %d errors, %d warnings", reports, errs, warnings)
}

// TestRedoclyFindsABrokenDocument: the lint above can fail — a document whose operation has no
// responses and whose $ref leads nowhere is an error.
func TestRedoclyFindsABrokenDocument(t *testing.T) {
	bin := tool(t, "redocly")
	broken := filepath.Join(t.TempDir(), "broken.openapi.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"openapi":"3.1.0","info":{"title":"x","version":"1"},
"paths":{"/a":{"get":{"operationId":"a","requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/missing"}}}}}}}}`), 0o644))
	cmd := exec.Command(bin, "lint", "--format", "json", broken)
	quietNode(cmd)
	out, err := cmd.Output()
	require.Error(t, err, "redocly exits non-zero")
	var r struct {
		Totals struct{ Errors int } `json:"totals"`
	}
	require.NoError(t, json.Unmarshal(out, &r))
	require.Positive(t, r.Totals.Errors)
}
