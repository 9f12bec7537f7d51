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

// TestATokenTakenByOneScenarioIsNotTakenByTheNext: a file holding only the latest SMS (one phone, a
// relay) may show the previous scenario's token after this scenario asked for its own; a token a
// scenario of the run took is never taken again, and the scenario waits for its own. Within one
// scenario the token it took is read again.
func TestATokenTakenByOneScenarioIsNotTakenByTheNext(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sms.txt")
	deps := &Deps{Targets: map[string]Target{"baas": {Settings: map[string]string{"sms_token_file": file}}}}
	first, second := &World{deps: deps}, &World{deps: deps}
	b1 := &baasWorld{requested: time.Now()}
	require.NoError(t, os.WriteFile(file, []byte("Seu código: 111111\n"), 0o600))
	tok, err := first.smsToken(context.Background(), b1, b1.requested)
	require.NoError(t, err)
	assert.Equal(t, "111111", tok)
	tok, err = first.smsToken(context.Background(), b1, b1.requested)
	require.NoError(t, err)
	assert.Equal(t, "111111", tok, "read again in the same scenario")

	// The next scenario asks; the relay then writes the previous token once more, then the new one.
	b2 := &baasWorld{requested: time.Now(), staleSMS: "000000"}
	require.NoError(t, os.WriteFile(file, []byte("Seu código: 111111\n"), 0o600))
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = os.WriteFile(file, []byte("Seu código: 222222\n"), 0o600)
	}()
	tok, err = second.smsToken(context.Background(), b2, b2.requested)
	require.NoError(t, err)
	assert.Equal(t, "222222", tok, "the previous scenario's token is not taken for this one")
}

// TestATokenNoScenarioReadIsSettledBeforeTheNextRequest: a scenario that asked for a token and never
// read it leaves its SMS on its way to a single-line file; the next request first waits for it and
// takes it, so that it is never read as the next scenario's.
func TestATokenNoScenarioReadIsSettledBeforeTheNextRequest(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sms.txt")
	require.NoError(t, os.WriteFile(file, []byte("Seu código: 000000\n"), 0o600))
	deps := &Deps{Targets: map[string]Target{"baas": {Settings: map[string]string{"sms_token_file": file}}}}
	first, second := &World{deps: deps}, &World{deps: deps}
	first.sentSMS(&baasWorld{requested: time.Now(), staleSMS: "000000"})
	go func() { // the relay's lag: the first scenario's SMS lands late
		time.Sleep(200 * time.Millisecond)
		_ = os.WriteFile(file, []byte("Seu código: 111111\n"), 0o600)
	}()
	b := &baasWorld{}
	second.settleSMS(context.Background(), b)
	b.requested, b.staleSMS = time.Now(), second.smsFileToken()
	assert.Equal(t, "111111", b.staleSMS, "the earlier SMS arrived before this request was sent")
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = os.WriteFile(file, []byte("Seu código: 222222\n"), 0o600)
	}()
	tok, err := second.smsToken(context.Background(), b, b.requested)
	require.NoError(t, err)
	assert.Equal(t, "222222", tok)
}

// TestAFileWithALinePerPersonIsNeverSettledForAnother: where the file names each person (as the mock's
// --sms-file writes it), one scenario's request never takes another's token, so scenarios may run side
// by side.
func TestAFileWithALinePerPersonIsNeverSettledForAnother(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sms.txt")
	deps := &Deps{Targets: map[string]Target{"baas": {Settings: map[string]string{"sms_token_file": file}}}}
	person := func(doc string) *World {
		return &World{deps: deps, body: jsonDoc{"person_creation": map[string]any{"person": map[string]any{"document_number": doc}}}}
	}
	first, second := person("11122233344"), person("55566677788")
	b1 := &baasWorld{requested: time.Now()}
	first.sentSMS(b1)
	require.NoError(t, os.WriteFile(file, []byte("11122233344 111111 +5511\n"), 0o600))
	second.settleSMS(context.Background(), &baasWorld{}) // sees the first person's own line: nothing to settle
	tok, err := first.smsToken(context.Background(), b1, b1.requested)
	require.NoError(t, err)
	assert.Equal(t, "111111", tok, "the first scenario still reads its own token")
}
