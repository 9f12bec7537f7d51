// Package config reads conformance.yaml: the target kind, the production hosts to refuse, timeouts, and a
// section per provider with its base URL, timeout, rate limit, credentials and options.
//
// Credentials are never written in the file: each one names the environment variable that holds it,
// as env:NAME, and is read from the environment when a run starts. A value that is not env:NAME is
// refused without being echoed, so a secret pasted by mistake does not end up in a CI log.
//
//	target: sandbox
//	timeout: 10s
//	run_timeout: 20m
//	production_hosts: [api.example.com]
//	providers:
//	  gu1:
//	    base_url: https://sandbox.gu1.example
//	    rate_limit: 5          # requests per second
//	    in_flight: 4           # requests at once
//	    credentials:
//	      api_key: env:GU1_API_KEY
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/yamlpos"
)

// Target kinds.
const (
	TargetMock    = "mock"
	TargetSandbox = "sandbox"
)

// Config is a parsed, checked conformance.yaml.
type Config struct {
	Path            string
	Target          string // "" (not set), TargetMock or TargetSandbox
	Timeout         time.Duration
	RunTimeout      time.Duration
	ProductionHosts []string
	Providers       map[string]*Provider
}

// Provider is one provider's section.
type Provider struct {
	BaseURL     string
	Timeout     time.Duration
	RateLimit   float64           // requests per second; 0: not set
	InFlight    int               // requests at once; 0: not set
	Credentials map[string]string // credential name -> environment variable
	Options     map[string]string // non-secret settings (e.g. pomelo's audience)
}

// Problem is one thing wrong with the file, with its place.
type Problem struct {
	Line, Column int
	Path         string // dotted: providers.gu1.timeout
	Message      string
}

// SyntaxProblem is the problem of a file that is not valid YAML, placed at the line and column to edit.
func SyntaxProblem(raw []byte, decodeErr error) Problem {
	at := yamlpos.Locate(raw, decodeErr)
	return Problem{Line: at.Line, Column: at.Column, Message: "not valid YAML: " + at.Message}
}

// Problems is every problem found; Load returns it as its error.
type Problems struct {
	File string
	List []Problem
}

func (p *Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", p.File, len(p.List))
	for _, q := range p.List {
		b.WriteString("\n  ")
		b.WriteString(p.File)
		if q.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", q.Line, q.Column)
		}
		b.WriteString(": ")
		if q.Path != "" {
			b.WriteString(q.Path + ": ")
		}
		b.WriteString(q.Message)
	}
	return b.String()
}

var envRef = regexp.MustCompile(`^env:([A-Za-z_][A-Za-z0-9_]*)$`)

// Load reads and checks the file at path. Every problem is reported at once, each with its line.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, raw)
}

// Parse checks raw as the contents of the file named name.
func Parse(name string, raw []byte) (*Config, error) {
	probs := &Problems{File: name}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			// An empty file (or one of comments only) is most likely the wrong file, or one half-written:
			// run with no --config instead of an empty one.
			probs.List = append(probs.List, Problem{Line: 1, Column: 1, Message: "the file is empty: a configuration names at least target or providers (run without --config for the embedded mocks)"})
			return nil, probs
		}
		probs.List = append(probs.List, SyntaxProblem(raw, err))
		return nil, probs
	}
	c := &Config{Path: name, Providers: map[string]*Provider{}}
	w := &walker{probs: probs}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	w.mapping(root, "", map[string]func(string, *yaml.Node){
		"target": func(p string, n *yaml.Node) {
			if s, ok := w.str(n, p); ok {
				if s != TargetMock && s != TargetSandbox {
					w.fail(n, p, fmt.Sprintf("%q: want mock or sandbox", s))
				}
				c.Target = s
			}
		},
		"timeout":     func(p string, n *yaml.Node) { c.Timeout = w.duration(n, p) },
		"run_timeout": func(p string, n *yaml.Node) { c.RunTimeout = w.duration(n, p) },
		"production_hosts": func(p string, n *yaml.Node) {
			if n.Kind != yaml.SequenceNode {
				w.fail(n, p, "want a list of host names")
				return
			}
			for i, h := range n.Content {
				hp := p + "[" + strconv.Itoa(i) + "]"
				if s, ok := w.str(h, hp); ok {
					if s == "" || strings.ContainsAny(s, "/: ") {
						w.fail(h, hp, fmt.Sprintf("%q: want a bare host name such as api.example.com", s))
						continue
					}
					c.ProductionHosts = append(c.ProductionHosts, strings.ToLower(s))
				}
			}
		},
		"providers": func(p string, n *yaml.Node) {
			if n.Kind != yaml.MappingNode {
				w.fail(n, p, "want a section per provider ("+strings.Join(providers.Names(), ", ")+")")
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				pp := p + "." + k.Value
				prov, err := providers.Lookup(k.Value)
				if err != nil {
					w.fail(k, pp, err.Error())
					continue
				}
				c.Providers[k.Value] = w.provider(prov, v, pp)
			}
		},
	})
	if len(probs.List) > 0 {
		sort.SliceStable(probs.List, func(i, j int) bool { return probs.List[i].Line < probs.List[j].Line })
		return nil, probs
	}
	return c, nil
}

type walker struct{ probs *Problems }

func (w *walker) fail(n *yaml.Node, path, msg string) {
	w.probs.List = append(w.probs.List, Problem{Line: n.Line, Column: n.Column, Path: path, Message: msg})
}

// mapping calls each known key's function and reports unknown and repeated keys.
func (w *walker) mapping(n *yaml.Node, path string, keys map[string]func(string, *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "want a mapping of keys to values")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := strings.TrimPrefix(path+"."+k.Value, ".")
		fn, ok := keys[k.Value]
		if !ok {
			known := make([]string, 0, len(keys))
			for name := range keys {
				known = append(known, name)
			}
			sort.Strings(known)
			w.fail(k, p, "unknown key (known here: "+strings.Join(known, ", ")+")")
			continue
		}
		if seen[k.Value] {
			w.fail(k, p, "given twice")
			continue
		}
		seen[k.Value] = true
		fn(p, v)
	}
}

func (w *walker) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		w.fail(n, path, "want a single value")
		return "", false
	}
	return n.Value, true
}

func (w *walker) duration(n *yaml.Node, path string) time.Duration {
	s, ok := w.str(n, path)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		w.fail(n, path, fmt.Sprintf("%q: want a positive duration such as 10s or 2m", s))
		return 0
	}
	return d
}

func (w *walker) provider(prov providers.Provider, n *yaml.Node, path string) *Provider {
	out := &Provider{Credentials: map[string]string{}, Options: map[string]string{}}
	w.mapping(n, path, map[string]func(string, *yaml.Node){
		"base_url": func(p string, v *yaml.Node) {
			s, ok := w.str(v, p)
			if !ok {
				return
			}
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
				w.fail(v, p, fmt.Sprintf("%q: want an http(s) URL without query or user info, e.g. https://sandbox.example.com", s))
				return
			}
			out.BaseURL = strings.TrimSuffix(s, "/")
		},
		"timeout": func(p string, v *yaml.Node) { out.Timeout = w.duration(v, p) },
		"rate_limit": func(p string, v *yaml.Node) {
			s, ok := w.str(v, p)
			if !ok {
				return
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f <= 0 || f > 1000 {
				w.fail(v, p, fmt.Sprintf("%q: want requests per second, a number above 0 and at most 1000", s))
				return
			}
			out.RateLimit = f
		},
		"in_flight": func(p string, v *yaml.Node) {
			s, ok := w.str(v, p)
			if !ok {
				return
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 1000 {
				w.fail(v, p, fmt.Sprintf("%q: want how many requests may be in flight at once, a whole number from 1 to 1000", s))
				return
			}
			out.InFlight = n
		},
		"credentials": func(p string, v *yaml.Node) {
			keys := map[string]func(string, *yaml.Node){}
			for _, cr := range prov.Credentials {
				keys[cr.Name] = func(cp string, cv *yaml.Node) {
					s, ok := w.str(cv, cp)
					if !ok {
						return
					}
					m := envRef.FindStringSubmatch(s)
					if m == nil {
						// Never echo the value: it may be the secret itself.
						w.fail(cv, cp, "holds a literal value; write env:NAME and put the secret in the environment variable NAME")
						return
					}
					out.Credentials[cr.Name] = m[1]
				}
			}
			w.mapping(v, p, keys)
		},
		"options": func(p string, v *yaml.Node) {
			keys := map[string]func(string, *yaml.Node){}
			for _, o := range prov.Options {
				keys[o.Name] = func(op string, ov *yaml.Node) {
					if s, ok := w.str(ov, op); ok {
						out.Options[o.Name] = s
					}
				}
			}
			w.mapping(v, p, keys)
		},
	})
	return out
}

// Secrets reads the credentials of provider from the environment. An unset or empty variable is an
// error naming the variable and the key that names it.
func (c *Config) Secrets(provider string, getenv func(string) string) (map[string]string, error) {
	out := map[string]string{}
	p := c.Providers[provider]
	if p == nil {
		return out, nil
	}
	names := make([]string, 0, len(p.Credentials))
	for k := range p.Credentials {
		names = append(names, k)
	}
	sort.Strings(names)
	var missing []string
	for _, k := range names {
		v := getenv(p.Credentials[k])
		if v == "" {
			missing = append(missing, fmt.Sprintf("providers.%s.credentials.%s names %s, which is not set", provider, k, p.Credentials[k]))
			continue
		}
		out[k] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: %s", c.Path, strings.Join(missing, "; "))
	}
	return out, nil
}
