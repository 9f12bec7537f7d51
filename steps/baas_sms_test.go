package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSMSTokenFromACommand(t *testing.T) {
	world := func(cmd string) *World {
		return &World{deps: &Deps{Targets: map[string]Target{"baas": {Settings: map[string]string{"sms_token_command": cmd}}}},
			body: jsonDoc{"person_creation": map[string]any{"person": map[string]any{"document_number": "12345678901"}}}}
	}
	tok, err := world(`echo "Your code for $CONFORMANCE_DOCUMENT_NUMBER is 654321."`).smsToken(context.Background(), &baasWorld{}, time.Now())
	require.NoError(t, err)
	assert.Equal(t, "654321", tok, "the first six-digit run, not the document number")

	_, err = world(`echo no token here`).smsToken(context.Background(), &baasWorld{}, time.Now())
	assert.ErrorContains(t, err, "printed no six-digit token")
	_, err = world(`echo oops >&2; exit 3`).smsToken(context.Background(), &baasWorld{}, time.Now())
	assert.ErrorContains(t, err, "oops")

	w := world("")
	_, err = w.smsToken(context.Background(), &baasWorld{}, time.Now())
	assert.True(t, errors.Is(err, godog.ErrSkip))
	assert.Contains(t, w.skipReason, "sms_token_command or sms_token_file")
}

func TestSMSFilePrefersThePersonsLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sms.txt")
	require.NoError(t, os.WriteFile(file, []byte("11122233344: 111111\n12345678901: 222222\n"), 0o600))
	w := &World{deps: &Deps{Targets: map[string]Target{"baas": {Settings: map[string]string{"sms_token_file": file}}}},
		body: jsonDoc{"person_creation": map[string]any{"person": map[string]any{"document_number": "12345678901"}}}}
	assert.Equal(t, "222222", w.smsFileToken())
	w.body = jsonDoc{"person_creation": map[string]any{"person": map[string]any{"document_number": "99999999999"}}}
	assert.Equal(t, "111111", w.smsFileToken(), "no line names the person: the first token")
}
