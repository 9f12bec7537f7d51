package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// smsFileToken is the six-digit token in the configured SMS file now, or "": the one on a line that
// names the person's document number when there is such a line (a relay may keep one line per person),
// else the first.
func (w *World) smsFileToken() string {
	tok, _ := w.smsFileTokenFor(w.documentNumber())
	return tok
}

// smsFileTokenFor is the SMS file's token for the person with document number doc: that person's line
// (own), or else the file's first token, which may be anyone's.
func (w *World) smsFileTokenFor(doc string) (tok string, own bool) {
	file := w.setting("baas", "sms_token_file")
	if file == "" {
		return "", false
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", false
	}
	if doc != "" {
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.Contains(line, doc) {
				if tok := sixDigits.FindString(strings.ReplaceAll(line, doc, "")); tok != "" {
					return tok, true
				}
			}
		}
	}
	return sixDigits.FindString(string(raw)), false
}

// pendingSMS is a token request the provider accepted whose SMS no scenario has taken from the file.
type pendingSMS struct {
	requested time.Time
	stale     string // what the file held when it was sent
	doc       string // the person's document number
}

// smsSettleWait bounds how long a token request waits for the SMS of an earlier, accepted request that
// no scenario read.
const smsSettleWait = 10 * time.Second

// sentSMS notes an accepted token request whose SMS will reach the file (no control API).
func (w *World) sentSMS(b *baasWorld) {
	if b.control != nil || w.setting("baas", "sms_token_file") == "" {
		return
	}
	w.deps.smsMu.Lock()
	defer w.deps.smsMu.Unlock()
	w.deps.pending = &pendingSMS{requested: b.requested, stale: b.staleSMS, doc: w.documentNumber()}
}

// settleSMS, before a token request, waits for the SMS of an earlier accepted request that no scenario
// read (a scenario that asked for a token and then sent a wrong one) and takes it: a file holding only
// the latest SMS, written a moment after each arrives, would otherwise show that token after this
// request and pass it for this one's.
func (w *World) settleSMS(ctx context.Context, b *baasWorld) {
	file := w.setting("baas", "sms_token_file")
	if b.control != nil || file == "" {
		return
	}
	w.deps.smsMu.Lock()
	p := w.deps.pending
	w.deps.pending = nil
	w.deps.smsMu.Unlock()
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, smsSettleWait)
	defer cancel()
	for {
		if st, err := os.Stat(file); err == nil {
			tok, own := w.smsFileTokenFor(p.doc)
			if own {
				return // a line per person: no token can be taken for another's
			}
			if tok != "" && (tok != p.stale || st.ModTime().After(p.requested)) {
				w.deps.takeSMS(tok)
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// takeSMS claims tok for one scenario; false when another scenario of the run already took it. A file
// with one line for all (a single phone's latest SMS) is written a moment after each SMS arrives: the
// previous scenario's token can land after this scenario asked for its own, and it must not be taken
// for this one's.
func (d *Deps) takeSMS(tok string) bool {
	d.smsMu.Lock()
	defer d.smsMu.Unlock()
	if d.smsTaken[tok] {
		return false
	}
	if d.smsTaken == nil {
		d.smsTaken = map[string]bool{}
	}
	d.smsTaken[tok] = true
	d.pending = nil // at most one request is outstanding where a single-line file can be read at all
	return true
}

// smsTokenWait is how long a configured SMS source is given to produce the token.
const smsTokenWait = 2 * time.Minute

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// smsToken is the token of the SMS the provider sent for the scenario's person. With the mock's control
// API it is read from the mock, which is the SMS gateway. Against a real target it comes from the
// config file's BaaS options: sms_token_command, run through sh with CONFORMANCE_DOCUMENT_NUMBER and
// CONFORMANCE_PHONE set, gives the first six-digit run of its output; sms_token_file is read once it
// holds a six-digit token written after the request. Without either the scenario is skipped, saying so.
func (w *World) smsToken(ctx context.Context, b *baasWorld, requested time.Time) (string, error) {
	if b.control != nil {
		s, err := b.control.LastSMS(ctx, w.documentNumber())
		if err != nil {
			return "", err
		}
		return s.Token, nil
	}
	cmd, file := w.setting("baas", "sms_token_command"), w.setting("baas", "sms_token_file")
	ctx, cancel := context.WithTimeout(ctx, smsTokenWait)
	defer cancel()
	switch {
	case cmd != "":
		c := exec.CommandContext(ctx, "sh", "-c", cmd)
		phone, _ := w.body.get("person_creation.person.phone_number")
		c.Env = append(os.Environ(), "CONFORMANCE_DOCUMENT_NUMBER="+w.documentNumber(), "CONFORMANCE_PHONE="+fmt.Sprint(phone))
		var out, errOut bytes.Buffer
		c.Stdout, c.Stderr = &out, &errOut
		if err := c.Run(); err != nil {
			return "", fmt.Errorf("providers.baas.options.sms_token_command: %v: %s", err, strings.TrimSpace(errOut.String()))
		}
		tok := sixDigits.FindString(out.String())
		if tok == "" {
			return "", errors.New("providers.baas.options.sms_token_command printed no six-digit token")
		}
		return tok, nil
	case file != "":
		if b.taken != "" {
			return b.taken, nil // read again in the same scenario
		}
		for {
			if st, err := os.Stat(file); err == nil {
				tok, own := w.smsFileTokenFor(w.documentNumber())
				if tok != "" && (tok != b.staleSMS || st.ModTime().After(requested)) && (own || w.deps.takeSMS(tok)) {
					b.taken = tok
					return tok, nil
				}
			}
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("providers.baas.options.sms_token_file %s: no six-digit token written after the request within %s", file, smsTokenWait)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	if w.deps.Prompt != nil {
		w.deps.promptMu.Lock() // concurrent scenarios ask one at a time
		defer w.deps.promptMu.Unlock()
		phone, _ := w.body.get("person_creation.person.phone_number")
		answer, err := w.deps.Prompt(fmt.Sprintf("SMS token sent for CPF %s to %v: ", w.documentNumber(), phone))
		if err != nil {
			return "", fmt.Errorf("reading the SMS token at the terminal: %w", err)
		}
		if tok := sixDigits.FindString(answer); tok != "" {
			return tok, nil
		}
		return "", fmt.Errorf("the SMS token typed at the terminal is not six digits")
	}
	return "", w.skip(noSMSSource)
}

// noSMSSource is why a scenario that needs the SMS token is skipped where no source of it is set.
const noSMSSource = "needs the SMS token the provider sent: set providers.baas.options.sms_token_command or sms_token_file in the config file, or run at a terminal to type it (the mock's control API reads it on a mock)"

// hasSMSSource says whether smsToken can get a token at all: the mock's control API, a command, a
// file, or a person at the terminal. A scenario that will need one checks it before it waits.
func (w *World) hasSMSSource(b *baasWorld) bool {
	return b.control != nil || w.setting("baas", "sms_token_command") != "" || w.setting("baas", "sms_token_file") != "" ||
		w.deps.Prompt != nil
}
