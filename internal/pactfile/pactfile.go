// Package pactfile reads the pact files the consumer tests write, and keeps the committed copies in
// pacts/ honest: regenerate into a clean folder, then compare or update.
package pactfile

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// Interaction is what the harness reads of one pact interaction.
type Interaction struct {
	Description    string `json:"description"`
	ProviderStates []struct {
		Name string `json:"name"`
	} `json:"providerStates"`
	ProviderState string `json:"providerState"` // pact spec v2
	Request       struct {
		Method  string          `json:"method"`
		Path    string          `json:"path"`
		Headers map[string]any  `json:"headers"`
		Body    json.RawMessage `json:"body"`
	} `json:"request"`
	Response struct {
		Headers map[string]any  `json:"headers"`
		Body    json.RawMessage `json:"body"`
	} `json:"response"`
}

// Signatures lists the recorded Authorization values of the request and the answer (a string or a list
// of them) and their encoded_body JWTs (BAAS-17): a verifier quoting the contract quotes them, and
// reports mask them like any signature.
func (i Interaction) Signatures() []string {
	var out []string
	for _, body := range []json.RawMessage{i.Request.Body, i.Response.Body} {
		var doc struct {
			Content struct {
				EncodedBody string `json:"encoded_body"`
			} `json:"content"`
			EncodedBody string `json:"encoded_body"`
		}
		if json.Unmarshal(body, &doc) == nil {
			for _, v := range []string{doc.Content.EncodedBody, doc.EncodedBody} {
				if v != "" {
					out = append(out, v)
				}
			}
		}
	}
	headers := map[string]any{}
	for k, v := range i.Request.Headers {
		headers["request "+k] = v
	}
	for k, v := range i.Response.Headers {
		headers["response "+k] = v
	}
	for k, v := range headers {
		_, k, _ = strings.Cut(k, " ")
		if !strings.EqualFold(k, "Authorization") {
			continue
		}
		switch t := v.(type) {
		case string:
			out = append(out, t)
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// States lists the interaction's provider state names.
func (i Interaction) States() []string {
	var out []string
	for _, s := range i.ProviderStates {
		out = append(out, s.Name)
	}
	if i.ProviderState != "" {
		out = append(out, i.ProviderState)
	}
	return out
}

// Pact is what the harness reads of one pact file.
type Pact struct {
	Path     string
	Consumer struct {
		Name string `json:"name"`
	} `json:"consumer"`
	Provider struct {
		Name string `json:"name"`
	} `json:"provider"`
	Interactions []Interaction `json:"interactions"`
}

// Read parses one pact file.
func Read(path string) (*Pact, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Pact
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%s is not a pact file: %w", path, err)
	}
	if p.Provider.Name == "" || p.Consumer.Name == "" {
		return nil, fmt.Errorf("%s is not a pact file: no consumer or provider name", path)
	}
	if len(p.Interactions) == 0 {
		return nil, fmt.Errorf("%s has no interactions", path)
	}
	p.Path = path
	return &p, nil
}

// ReadDir parses every *.json in dir.
func ReadDir(dir string) ([]*Pact, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no pact files (*.json) in %s", dir)
	}
	sort.Strings(files)
	var out []*Pact
	for _, f := range files {
		p, err := Read(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Sync compares the pact file name freshly written in genDir with the committed one in committedDir.
// With update, it copies the fresh file over the committed one instead. It returns a description of the
// difference, or "" when they are the same JSON document.
func Sync(genDir, committedDir, name string, update bool) (string, error) {
	fresh, err := os.ReadFile(filepath.Join(genDir, name))
	if err != nil {
		return "", fmt.Errorf("the consumer tests wrote no %s: %w", name, err)
	}
	target := filepath.Join(committedDir, name)
	old, oldErr := os.ReadFile(target)
	if update {
		if oldErr == nil && sameContract(fresh, old) {
			return "", nil // only a multipart boundary changed: keep the committed file as it is
		}
		tmp := target + ".part"
		if err := os.WriteFile(tmp, fresh, 0o644); err != nil {
			return "", err
		}
		return "", os.Rename(tmp, target)
	}
	if oldErr != nil {
		return fmt.Sprintf("%s is not committed (run 'make pacts' and commit it)", target), nil
	}
	var probe any
	if err := json.Unmarshal(fresh, &probe); err != nil {
		return "", fmt.Errorf("fresh %s: %w", name, err)
	}
	if err := json.Unmarshal(old, &probe); err != nil {
		return fmt.Sprintf("%s is not valid JSON: %v (run 'make pacts')", target, err), nil
	}
	if !sameContract(fresh, old) {
		return fmt.Sprintf("%s differs from what the consumer tests generate: run 'make pacts', review the diff and commit it", target), nil
	}
	return "", nil
}

// sameContract compares two pact files as JSON documents, with every multipart boundary replaced by
// the same placeholder: the Pact FFI picks a random boundary each time it writes a multipart body.
func sameContract(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(normalise(x), normalise(y))
}

var boundaryRE = regexp.MustCompile(`boundary=("?)([^";\s]+)`)

// normalise rewrites, in each request and response of each interaction, the boundary of a multipart
// Content-Type header and its occurrences in the (base64) body.
func normalise(doc any) any {
	root, _ := doc.(map[string]any)
	list, _ := root["interactions"].([]any)
	for _, it := range list {
		in, _ := it.(map[string]any)
		for _, side := range []string{"request", "response"} {
			part, _ := in[side].(map[string]any)
			headers, _ := part["headers"].(map[string]any)
			for k, v := range headers {
				if !strings.EqualFold(k, "Content-Type") {
					continue
				}
				values, _ := v.([]any)
				for i, hv := range values {
					str, _ := hv.(string)
					m := boundaryRE.FindStringSubmatch(str)
					if m == nil {
						continue
					}
					values[i] = strings.Replace(str, m[2], "BOUNDARY", 1)
					if body, ok := part["body"].(map[string]any); ok && body["encoded"] == "base64" {
						if c, ok := body["content"].(string); ok {
							if raw, err := base64.StdEncoding.DecodeString(c); err == nil {
								body["content"] = strings.ReplaceAll(string(raw), m[2], "BOUNDARY")
							}
						}
					}
				}
			}
		}
	}
	return doc
}

// ConsumerMain runs a package's Pact consumer tests (m) with a fresh folder for the pacts they write,
// then compares the pact file name with the committed one in committedDir (PACT_UPDATE=1 copies it there
// instead). setDir receives the folder before any test runs; complete reports, after the tests, whether
// every interaction ran (a -run filter must not trip the comparison). It returns the exit code.
func ConsumerMain(m interface{ Run() int }, committedDir, name string, setDir func(string), complete func() bool) int {
	dir, err := os.MkdirTemp("", "pacts-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	setDir(dir)
	code := m.Run()
	if code != 0 || !complete() {
		return code
	}
	diff, err := Sync(dir, committedDir, name, os.Getenv("PACT_UPDATE") == "1")
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "pact drift check:", err)
		return 1
	case diff != "":
		fmt.Fprintln(os.Stderr, "pact drift check:", diff)
		return 1
	}
	return 0
}
