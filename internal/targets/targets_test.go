package targets

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
)

func TestIsProduction(t *testing.T) {
	for host, want := range map[string]bool{
		"api.pomelo.la": true, "API.Pomelo.LA": true, "api.gu1.ai.": true, "api-auth.qitech.app": true,
		"sandbox.pomelo.la": false, "api.pomelo.la.evil.example": false, "127.0.0.1": false, "intranet": true,
	} {
		assert.Equal(t, want, IsProduction(host, []string{"Intranet"}), host)
	}
}

func TestParseBaseURLs(t *testing.T) {
	got, err := ParseBaseURLs([]string{"gu1=http://127.0.0.1:8081/", "pomelo=https://sandbox.example/prefix"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"gu1": "http://127.0.0.1:8081", "pomelo": "https://sandbox.example/prefix"}, got)
	for _, bad := range [][]string{{"gu1"}, {"acme=http://x"}, {"gu1=ftp://x"}, {"gu1=http://a", "gu1=http://b"}} {
		_, err := ParseBaseURLs(bad)
		assert.Equal(t, exit.Usage, exit.CodeOf(err), "%v", bad)
	}
}

func TestSandboxModeNeedsURLsAndNeverUsesTheControlAPI(t *testing.T) {
	_, err := Start(context.Background(), []string{"gu1", "pomelo"}, map[string]string{"gu1": "http://127.0.0.1:1"}, mock.Config{}, Mode{Sandbox: true})
	assert.Equal(t, exit.Usage, exit.CodeOf(err))
	assert.ErrorContains(t, err, "no base URL for pomelo")

	// A target that offers the control API is still used without it in sandbox mode.
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	set, err := Start(context.Background(), []string{"gu1"}, map[string]string{"gu1": srv.URL}, mock.Config{}, Mode{Sandbox: true})
	require.NoError(t, err)
	defer set.Close()
	assert.False(t, set.ByName["gu1"].Control)
	assert.True(t, set.ByName["gu1"].Sandbox)
	assert.Equal(t, []string{"/"}, paths, "the probe asks the base URL, not the control API; any answer will do")
}
