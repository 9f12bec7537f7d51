package mock

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedByServer sends what, then waits (up to 5 s of its own) for the server to end the connection:
// true when the server closed it, false when the 5 s ran out first.
func closedByServer(t *testing.T, addr, what string) bool {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, what)
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.Copy(io.Discard, c) // until the server closes (nil or a reset) or the deadline passes
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestSlowClientsAreClosedWhileTheMockKeepsAnswering: a client that never finishes its headers, one
// that stalls in its body and an idle keep-alive connection are each closed by the server on its own,
// and the mock answers other clients all the while.
func TestSlowClientsAreClosedWhileTheMockKeepsAnswering(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	srv, err := StartWith("127.0.0.1:0", h, Limits{ReadHeader: 200 * time.Millisecond, Read: 400 * time.Millisecond, Idle: 300 * time.Millisecond})
	require.NoError(t, err)
	defer srv.Close(t.Context())
	addr := strings.TrimPrefix(srv.URL, "http://")

	done := make(chan [3]bool)
	go func() {
		done <- [3]bool{
			closedByServer(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n"),                                       // headers never end
			closedByServer(t, addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b"), // the body stalls
			closedByServer(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),                                   // answered, then idle
		}
	}()
	// Meanwhile the mock answers.
	for i := 0; i < 5; i++ {
		resp, err := http.Get(srv.URL)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		time.Sleep(50 * time.Millisecond)
	}
	got := <-done
	assert.Equal(t, [3]bool{true, true, true}, got, "each slow connection was closed by the server, not by the client's own deadline")

	// Headers over the limit are refused with 431, not read on.
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 200<<10)+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}

// TestAFloodHoldsOnlyItsOwnServersConnections: a server holds at most MaxConns connections; past them a
// client waits, not accepted, while another server of the same process answers at once. Once a held
// connection closes, the waiting request is answered.
func TestAFloodHoldsOnlyItsOwnServersConnections(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	flooded, err := StartWith("127.0.0.1:0", h, Limits{MaxConns: 2})
	require.NoError(t, err)
	defer flooded.Close(t.Context())
	other, err := StartWith("127.0.0.1:0", h, Limits{MaxConns: 2})
	require.NoError(t, err)
	defer other.Close(t.Context())

	var held []net.Conn
	for i := 0; i < 2; i++ { // two clients that never finish their headers hold both slots
		c, err := net.Dial("tcp", strings.TrimPrefix(flooded.URL, "http://"))
		require.NoError(t, err)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them
	impatient := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	_, err = impatient.Get(flooded.URL)
	assert.Error(t, err, "a third client is not served while two connections are held")

	resp, err := impatient.Get(other.URL)
	require.NoError(t, err, "another server answers all the while")
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)

	for _, c := range held {
		_ = c.Close()
	}
	patient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err = patient.Get(flooded.URL)
	require.NoError(t, err, "a slot freed, the flooded server answers again")
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
}

// TestASlowMockIsNotASlowClient: the read and write limits time the client, not the mock. A handler
// that takes longer than both before it answers (a mock on a busy machine) still answers whole, on a
// connection kept alive; before, the server closed it mid-answer and the client saw EOF.
func TestASlowMockIsNotASlowClient(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		time.Sleep(600 * time.Millisecond) // past both limits
		_, _ = w.Write(body)
	})
	srv, err := StartWith("127.0.0.1:0", h, Limits{Read: 200 * time.Millisecond, Write: 200 * time.Millisecond})
	require.NoError(t, err)
	defer srv.Close(t.Context())
	hc := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < 2; i++ { // the second on the same kept-alive connection
		resp, err := hc.Post(srv.URL, "text/plain", strings.NewReader("a body"))
		require.NoError(t, err, "attempt %d", i+1)
		got, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "a body", string(got))
	}
}
