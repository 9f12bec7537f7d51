package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/exit"
)

// The child half of TestEmbeddedRunOpensNoSocketOutsideLoopback, run inside the namespace.
const netnsChild = "CONFORMANCE_NETNS_CHILD"

// TestEmbeddedRunOpensNoSocketOutsideLoopback runs the whole suite against the embedded mocks inside a
// network namespace that has only loopback (unshare -rn), under strace, with a resolv.conf whose
// name server is outside loopback, and fails on any connect(2) or sendto(2) to an address outside
// 127.0.0.0/8 and ::1 - a name lookup included. The namespace keeps anything from leaving the machine
// even if the check failed; strace sees the attempt all the same. A second child makes one request to a
// public name, so the test shows that it can fail.
func TestEmbeddedRunOpensNoSocketOutsideLoopback(t *testing.T) {
	// Heavy and independent: it overlaps the package's other heavy tests (make test's longest package).
	t.Parallel()
	switch os.Getenv(netnsChild) {
	case "suite":
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"run", "--concurrency", "8"}, &out, &errb, func(string) string { return "" })
		require.Equal(t, exit.OK, code, "%s%s", tail(out.String()), errb.String())
		return
	case "probe":
		_, _ = (&http.Client{Timeout: 3 * time.Second}).Get("https://hooks.example.com/kyc")
		return
	}
	if testing.Short() {
		t.Skip("runs the whole suite under strace")
	}
	for _, tool := range []string{"unshare", "strace", "ip", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; CI must prove the run stays on loopback", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	suite := traceChild(t, "suite")
	assert.Empty(t, outsideLoopback(suite), "sockets opened outside loopback by a run against the embedded mocks")
	assert.NotEmpty(t, loopbackConnects(suite), "strace saw the run's own loopback connections (the trace works)")

	probe := traceChild(t, "probe")
	assert.NotEmpty(t, outsideLoopback(probe), "a request to a public name is seen (the check can fail)")
}

// traceChild runs this test as mode inside a loopback-only namespace under strace and returns the trace.
func traceChild(t *testing.T, mode string) string {
	t.Helper()
	dir := t.TempDir()
	resolv, trace := filepath.Join(dir, "resolv.conf"), filepath.Join(dir, "trace")
	require.NoError(t, os.WriteFile(resolv, []byte("nameserver 192.0.2.53\n"), 0o644)) // TEST-NET-1: never routed
	script := `ip link set lo up && mount --bind "$RESOLV" /etc/resolv.conf && ` +
		`exec strace -f -qq -e trace=connect,sendto,sendmsg -e signal=none -o "$TRACE" "$@"`
	cmd := exec.Command("unshare", "-rnm", "sh", "-c", script, "sh",
		os.Args[0], "-test.run=^TestEmbeddedRunOpensNoSocketOutsideLoopback$", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsChild+"="+mode, "RESOLV="+resolv, "TRACE="+trace)
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "unshare failed") && os.Getenv("CI") == "" {
		t.Skipf("no user and network namespaces here: %s", out)
	}
	require.NoError(t, err, "%s child: %s", mode, tail(string(out)))
	raw, err := os.ReadFile(trace)
	require.NoError(t, err)
	return string(raw)
}

var tracedAddr = regexp.MustCompile(`(connect|sendto|sendmsg)\(.*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"\))`)

// outsideLoopback lists the traced calls that address somewhere outside 127.0.0.0/8 and ::1.
func outsideLoopback(trace string) []string {
	var out []string
	for _, line := range strings.Split(trace, "\n") {
		m := tracedAddr.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		a := m[2] + m[3]
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Unmap().IsLoopback() {
			out = append(out, line)
		}
	}
	return out
}

func loopbackConnects(trace string) []string {
	var out []string
	for _, line := range strings.Split(trace, "\n") {
		if m := tracedAddr.FindStringSubmatch(line); m != nil && m[1] == "connect" && strings.HasPrefix(m[2], "127.") {
			out = append(out, line)
		}
	}
	return out
}
