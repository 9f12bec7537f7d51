package pactfile

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func multipartPact(boundary, content string) string {
	body := base64.StdEncoding.EncodeToString([]byte("--" + boundary + "\r\n" + content + "\r\n--" + boundary + "--\r\n"))
	return `{"consumer":{"name":"c"},"provider":{"name":"p"},"interactions":[{"description":"d","request":{"method":"POST","path":"/u",` +
		`"headers":{"Content-Type":["multipart/form-data; boundary=` + boundary + `"]},"body":{"content":"` + body + `","encoded":"base64"}},` +
		`"response":{"status":201}}]}`
}

func TestSyncIgnoresOnlyTheMultipartBoundary(t *testing.T) {
	gen, committed := t.TempDir(), t.TempDir()
	write := func(dir, s string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "x.json"), []byte(s), 0o644))
	}
	write(committed, multipartPact("AAAA1111", "file bytes"))
	write(gen, multipartPact("BBBB2222", "file bytes"))
	diff, err := Sync(gen, committed, "x.json", false)
	require.NoError(t, err)
	assert.Empty(t, diff, "a new boundary is not a new contract")

	diff, err = Sync(gen, committed, "x.json", true)
	require.NoError(t, err)
	assert.Empty(t, diff)
	kept, _ := os.ReadFile(filepath.Join(committed, "x.json"))
	assert.Contains(t, string(kept), "AAAA1111", "update keeps the committed file when only the boundary changed")

	write(gen, multipartPact("CCCC3333", "other bytes"))
	diff, err = Sync(gen, committed, "x.json", false)
	require.NoError(t, err)
	assert.Contains(t, diff, "differs from what the consumer tests generate")

	_, err = Sync(gen, committed, "y.json", false)
	assert.ErrorContains(t, err, "wrote no y.json")
	diff, err = Sync(gen, t.TempDir(), "x.json", false)
	require.NoError(t, err)
	assert.Contains(t, diff, "is not committed")
}

func TestReadRejectsNonPacts(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"a.json": `{`, "b.json": `{"consumer":{"name":"c"},"provider":{"name":"p"},"interactions":[]}`} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
		_, err := Read(filepath.Join(dir, name))
		assert.Error(t, err, name)
	}
	_, err := ReadDir(t.TempDir())
	assert.True(t, err != nil && strings.Contains(err.Error(), "no pact files"))
}
