package netguard

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counter serves on addr and counts what reaches it.
func counter(t *testing.T, addr string) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

func TestProductionHostsAreRefusedBeforeAnyByteIsSent(t *testing.T) {
	prodURL, hits := counter(t, "127.0.0.2:0")
	port := prodURL[strings.LastIndex(prodURL, ":")+1:]
	byAddress := &Policy{ProductionHosts: []string{"127.0.0.2"}}
	_, err := byAddress.Client(time.Second).Get(prodURL)
	assert.True(t, IsRefused(err), "%v", err)
	assert.ErrorContains(t, err, "refused to connect to 127.0.0.2: a production host; nothing was sent")

	// A name that is not listed but resolves to a listed address is refused at the dial.
	local, localHits := counter(t, "127.0.0.1:0")
	localPort := local[strings.LastIndex(local, ":")+1:]
	byResolved := &Policy{ProductionHosts: []string{"127.0.0.1"}}
	_, err = byResolved.Client(time.Second).Get("http://localhost:" + localPort)
	assert.True(t, IsRefused(err), "%v", err)
	assert.Equal(t, int64(0), localHits.Load())

	// A listed name, whatever its case or trailing dot.
	byName := &Policy{ProductionHosts: []string{"PROD.localhost."}}
	_, err = byName.Client(time.Second).Get("http://prod.localhost:" + port)
	assert.True(t, IsRefused(err), "%v", err)
	assert.Equal(t, int64(0), hits.Load(), "requests that reached the production host")

	// Allowed, it goes through: the check can pass as well as refuse.
	allowed := &Policy{ProductionHosts: []string{"127.0.0.2"}, AllowProduction: true}
	resp, err := allowed.Client(time.Second).Get(prodURL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, int64(1), hits.Load())
}

func TestLoopbackOnlyNeverResolvesOrDialsElsewhere(t *testing.T) {
	p := &Policy{LoopbackOnly: true}
	for _, u := range []string{"https://hooks.example.com/kyc", "http://192.0.2.1/x", "http://[2001:db8::1]/x", "http://10.0.0.1:80/"} {
		start := time.Now()
		_, err := p.Client(5*time.Second).Post(u, "application/json", strings.NewReader("{}"))
		assert.True(t, IsRefused(err), "%s: %v", u, err)
		assert.Less(t, time.Since(start), 100*time.Millisecond, "%s: refused before any lookup or dial", u)
	}
	local, hits := counter(t, "127.0.0.1:0")
	resp, err := p.Client(time.Second).Get(local)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, int64(1), hits.Load(), "loopback is delivered")
	assert.True(t, IsLoopbackHost("[::1]"))
	assert.True(t, IsLoopbackHost("127.9.9.9"))
	assert.False(t, IsLoopbackHost("localhost.example.com"))
}

func TestNoRedirectIsFollowed(t *testing.T) {
	target, hits := counter(t, "127.0.0.1:0")
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	resp, err := (&Policy{}).Client(time.Second).Get(redirector.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode, "the 3xx is the answer")
	assert.Equal(t, int64(0), hits.Load())
}
