// Package readme runs README.md's shell examples as they are written, so that the README stays true
// (issue 18). It holds tests only.
package readme

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/latam-conformance/conformance/internal/cli"
	"github.com/latam-conformance/conformance/internal/providers"
)

// notRunHere are the README commands this test does not run, each with where it is proven instead.
// Any other command it cannot run fails the test: an example is never skipped silently.
var notRunHere = map[string]string{
	"make conformance": "what the fresh-clone check and CI run",
	"make test":        "what CI runs (.ci/run); this test is part of it",
	"bin/conformance gate --junit reports/client.xml --html reports/client.html -- npm test": "a client project of yours; internal/gate's tests drive a Node client through conformance gate",
	"scripts/install-openapi-tools.sh":                                     "make test runs it and passes its folder to internal/openapi's tests",
	".tools/openapi/node_modules/.bin/redocly lint openapi/*.openapi.json": "internal/openapi's TestRedoclyLintsEveryDocumentWithoutAnError, on the same files",
}

// repoRoot is the checkout's folder: each block runs in a folder of its own.
var repoRoot string

// statement is one command of a README block, continuation lines joined, its comment cut.
type statement struct {
	text string
	line int // README line
}

// block is one ```sh block, with the ```yaml block before it (a configuration its commands may name).
type block struct {
	line       int
	statements []statement
	yaml       string
}

// TestREADMEExamplesRunAsWritten runs every command of every shell block of README.md in a folder of its
// own: conformance commands in this process (a `mock` line kept running in the background for the
// block's later lines), `. FILE.env` read as a shell would, `pact verifier` with the Rust CLI when
// PACT_CLI names it. Each exits 0; a `run` of mocks skips nothing and fails nothing. A port written in a
// block is replaced by a free one throughout the block, so runs on one machine never collide; a
// configuration file a block names is the README's own ```yaml block with its hosts and credentials
// pointed at mocks started for it.
func TestREADMEExamplesRunAsWritten(t *testing.T) {
	var err error
	repoRoot, err = filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	blocks := readmeBlocks(t)
	require.GreaterOrEqual(t, len(blocks), 6, "README's shell blocks")
	ran := 0
	for _, b := range blocks {
		t.Run(fmt.Sprintf("README.md:%d", b.line), func(t *testing.T) {
			ran += runBlock(t, b)
		})
	}
	assert.GreaterOrEqual(t, ran, 8, "conformance commands run")
}

func runBlock(t *testing.T, b block) int {
	t.Chdir(t.TempDir())
	env := map[string]string{}
	ports := freePorts(t, b)
	ran := 0
	for _, st := range b.statements {
		text := ports.Replace(st.text)
		if why, ok := notRunHere[st.text]; ok {
			t.Logf("README.md:%d: %q is not run here: %s", st.line, st.text, why)
			continue
		}
		words, err := shellWords(text)
		require.NoError(t, err, "README.md:%d: %s", st.line, text)
		background := len(words) > 0 && words[len(words)-1] == "&"
		if background {
			words = words[:len(words)-1]
		}
		switch {
		case len(words) == 0:
		case words[0] == "set" && len(words) == 2 && (words[1] == "-a" || words[1] == "+a"):
		case words[0] == "." && len(words) == 2:
			for k, v := range sourceEnv(t, words[1]) {
				env[k] = v
			}
		case words[0] == "conformance" || words[0] == "bin/conformance":
			args := words[1:]
			if strings.Contains(text, "conformance.yaml") {
				writeStandIn(t, b.yaml, env)
			}
			if args[0] == "mock" {
				startMock(t, args, env)
				ran++
				continue
			}
			require.False(t, background, "README.md:%d: only a mock runs in the background", st.line)
			code, out, errOut := run(args, env)
			require.Equal(t, 0, code, "README.md:%d: %s\n%s%s", st.line, text, tail(out), errOut)
			if args[0] == "run" {
				summary := regexp.MustCompile(`(?m)^== conformance: .*$`).FindString(out)
				assert.Contains(t, summary, " 0 failed, ", "README.md:%d", st.line)
				if !strings.Contains(text, "--config") { // a sandbox run skips the @control scenarios, saying why
					assert.Contains(t, summary, " 0 skipped, ", "README.md:%d: a run of mocks proves everything it selects\n%s", st.line, tail(out))
				}
			}
			ran++
		case words[0] == "pact" && len(words) > 1 && words[1] == "verifier":
			pactVerifier(t, st, words[2:])
		default:
			t.Fatalf("README.md:%d: %q is no command this test knows how to run: add it to notRunHere with where it is proven", st.line, text)
		}
	}
	return ran
}

// readmeBlocks reads README.md's shell blocks.
func readmeBlocks(t *testing.T) []block {
	f, err := os.Open(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	defer f.Close()
	var (
		out          []block
		fence, yml   string
		cur          *block
		pending      string
		pendingStart int
	)
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case fence == "" && strings.HasPrefix(line, "```"):
			fence = strings.TrimPrefix(line, "```")
			if fence == "sh" {
				out = append(out, block{line: n, yaml: yml})
				cur = &out[len(out)-1]
			} else if fence == "yaml" {
				yml = ""
			}
		case fence != "" && line == "```":
			fence, cur = "", nil
		case fence == "yaml":
			yml += line + "\n"
		case fence == "sh" && cur != nil:
			if pending == "" {
				pendingStart = n
			}
			if strings.HasSuffix(line, "\\") {
				pending += strings.TrimSuffix(line, "\\") + " "
				continue
			}
			for _, s := range splitStatements(pending + line) {
				cur.statements = append(cur.statements, statement{text: s, line: pendingStart})
			}
			pending = ""
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// splitStatements cuts a line at ; outside quotes, drops a # comment, and trims each statement.
func splitStatements(line string) []string {
	var out []string
	var b strings.Builder
	quote := byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ';':
			out = append(out, b.String())
			b.Reset()
			continue
		case c == '#' && (i == 0 || line[i-1] == ' '):
			i = len(line)
			continue
		}
		b.WriteByte(c)
	}
	out = append(out, b.String())
	var kept []string
	for _, s := range out {
		if s = strings.Join(strings.Fields(s), " "); s != "" {
			kept = append(kept, s)
		}
	}
	return kept
}

// shellWords splits a statement as sh would for these examples: words, '…' and "…" quoting.
func shellWords(s string) ([]string, error) {
	var out []string
	var b strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b.WriteByte(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ':
			if inWord {
				out = append(out, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("an unclosed %c", quote)
	}
	if inWord {
		out = append(out, b.String())
	}
	return out, nil
}

// portMap replaces each loopback port a block names by a free one.
type portMap map[string]string

func (p portMap) Replace(s string) string {
	for old, new := range p {
		s = strings.ReplaceAll(s, "127.0.0.1:"+old, "127.0.0.1:"+new)
		s = strings.ReplaceAll(s, "--port "+old, "--port "+new)
	}
	return s
}

var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:(\d{2,5})\b`)

func freePorts(t *testing.T, b block) portMap {
	p := portMap{}
	for _, st := range b.statements {
		for _, m := range loopbackPort.FindAllStringSubmatch(st.text, -1) {
			if _, ok := p[m[1]]; ok {
				continue
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			p[m[1]] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			require.NoError(t, ln.Close())
		}
	}
	return p
}

// run runs a conformance command in this process.
func run(args []string, env map[string]string) (int, string, string) {
	var out, errb strings.Builder
	code := cli.Main(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// lines hands each line written to it to a channel.
type lines struct {
	mu  sync.Mutex
	buf []byte
	ch  chan string
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case l.ch <- string(l.buf[:i]):
		default:
		}
		l.buf = l.buf[i+1:]
	}
}

// startMock runs `conformance mock ARGS` until the test ends, and returns once it serves: every
// provider it listens for has printed its URL.
func startMock(t *testing.T, args []string, env map[string]string) map[string]string {
	t.Helper()
	want := len(providers.Names())
	if n := strings.Count(strings.Join(args, " "), "--listen"); n > 0 {
		want = n
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &lines{ch: make(chan string, 16)}
	var errb strings.Builder
	done := make(chan int, 1)
	go func() { done <- cli.Main(ctx, args, out, &errb, func(k string) string { return env[k] }) }()
	t.Cleanup(func() { cancel(); <-done })
	urls := map[string]string{}
	for len(urls) < want {
		select {
		case line := <-out.ch:
			if name, u, ok := strings.Cut(line, " "); ok && strings.HasPrefix(u, "http") {
				urls[name] = u
			}
		case code := <-done:
			done <- code
			t.Fatalf("conformance %s exited %d: %s", strings.Join(args, " "), code, errb.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("conformance %s printed %d of %d URLs", strings.Join(args, " "), len(urls), want)
		}
	}
	return urls
}

// writeStandIn writes conformance.yaml, the README's ```yaml block, once: its providers' hosts are
// mocks started for it, and each credential's variable holds the mocks' fixture credential.
func writeStandIn(t *testing.T, text string, env map[string]string) {
	t.Helper()
	if _, err := os.Stat("conformance.yaml"); err == nil {
		return
	}
	require.NotEmpty(t, text, "a block names conformance.yaml after a ```yaml block")
	urls := startMock(t, []string{"mock", "--write-config", "fixtures.yaml"}, env)
	fixtures := sourceEnv(t, "fixtures.yaml.env")
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(text), &doc))
	var cfg struct {
		Providers map[string]struct {
			BaseURL     string            `yaml:"base_url"`
			Credentials map[string]string `yaml:"credentials"`
		} `yaml:"providers"`
	}
	require.NoError(t, doc.Decode(&cfg))
	require.NotEmpty(t, cfg.Providers)
	for name, p := range cfg.Providers {
		require.Contains(t, urls, name)
		text = strings.ReplaceAll(text, p.BaseURL, urls[name])
		for key, ref := range p.Credentials {
			v, ok := fixtures["CONFORMANCE_"+strings.ToUpper(name+"_"+key)]
			if name == "personalinfo" && key == "token" {
				v, ok = fixtures["CONFORMANCE_PERSONALINFO_TOKEN"], true
			}
			require.True(t, ok, "a fixture credential for %s %s", name, key)
			env[strings.TrimPrefix(ref, "env:")] = v
		}
	}
	require.NoError(t, os.WriteFile("conformance.yaml", []byte(text), 0o600))
}

// sourceEnv reads an env file as `set -a; . FILE` would, through sh.
func sourceEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	cmd := exec.Command("sh", "-c", "set -a; . ./"+file+"; env -0")
	cmd.Env = []string{}
	out, err := cmd.Output()
	require.NoError(t, err, "sourcing %s", file)
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CONFORMANCE_") {
			env[k] = v
		}
	}
	return env
}

// pactVerifier runs the Rust pact CLI's verifier as the README writes it, a client's own pact file
// standing in for the committed gu1 contract.
func pactVerifier(t *testing.T, st statement, args []string) {
	t.Helper()
	bin := os.Getenv("PACT_CLI")
	if bin == "" {
		t.Logf("README.md:%d: pact verifier not run: PACT_CLI is not set (make test sets it)", st.line)
		return
	}
	pact := filepath.Join(repoRoot, "pacts", "conformance-gu1-client-gu1.json")
	for i, a := range args {
		if strings.HasPrefix(a, "pacts/my-client-") {
			args[i] = pact
		}
	}
	cmd := exec.Command(bin, append([]string{"verifier"}, args...)...)
	cmd.Env = append(os.Environ(), "PACT_DO_NOT_TRACK=true")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "README.md:%d: pact verifier\n%s", st.line, out)
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
