// Package yamlpos places a YAML syntax error where it is. The decoder the configuration and waiver
// files are read with (go.yaml.in/yaml/v3) names the line where the enclosing construct began, counted
// from zero for parser errors: an unclosed flow mapping on line 5 is reported "line 4", a misindented
// key on line 5 "line 2". goccy/go-yaml's parser names the token at fault, line and column, so a syntax
// error is located through it; the files are still decoded as before.
package yamlpos

import (
	"errors"
	"strings"

	goccy "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
)

// Syntax is a syntax error at a place in the file (1-based; Line 0 when it could not be placed).
type Syntax struct {
	Line, Column int
	Message      string
}

// Locate places the syntax error decodeErr of raw. When the second parser finds no error of its own,
// or cannot place it, the decoder's message is kept as it was, without a place.
func Locate(raw []byte, decodeErr error) Syntax {
	fallback := Syntax{Message: strings.TrimPrefix(decodeErr.Error(), "yaml: ")}
	_, err := parser.ParseBytes(raw, 0)
	var syn *goccy.SyntaxError
	if err == nil || !errors.As(err, &syn) || syn.Token == nil || syn.Token.Position == nil {
		return fallback
	}
	return Syntax{Line: syn.Token.Position.Line, Column: syn.Token.Position.Column, Message: syn.Message}
}
