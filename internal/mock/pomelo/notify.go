package pomelo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	client "github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/mock"
)

// setStatus moves s to status and notifies the flow's webhook target (KYC-14). m.mu must be held.
func (m *Mock) setStatus(s *session, status string) {
	if s.Status == status {
		return
	}
	now := m.now()
	s.Status, s.UpdatedAt, s.changed = status, stamp(now), now
	target := ""
	if f := m.flows[s.FlowID]; f != nil {
		target = f.WebhookURL
	}
	if target == "" {
		return
	}
	ev := client.Event{EventID: newID("evt"), EventType: "identity.session.status_changed", SessionID: s.ID,
		UserID: s.UserID, Status: status, CreatedAt: stamp(now)}
	// Notifications to one target go out one after the other, in the order of the changes; another
	// target's never wait for them.
	if tenant := s.tenant; !m.outbox.GoFor(tenant, target, func() { m.deliver(target, tenant, ev) }) {
		m.logDeliveryLocked(Delivery{SessionID: s.ID, Status: status, URL: target, Attempt: 0, At: now, tenant: s.tenant,
			Error: "not queued: the target already has the most notifications waiting that the mock keeps for one target"})
	}
}

// deliver POSTs the notification, signed as KYC-15 describes, and sends it again after each wait in
// m.retries while the receiver does not answer 2xx. Every attempt is recorded for the control API.
func (m *Mock) deliver(target, tenant string, ev client.Event) {
	body, _ := json.Marshal(ev)
	u, err := url.Parse(target)
	endpoint := "/"
	if err == nil && u.Path != "" {
		endpoint = u.Path
	}
	for attempt := 1; attempt <= len(m.retries)+1; attempt++ {
		ts := m.now().Unix()
		sig, _ := client.Sign(WebhookSecret, ts, endpoint, body) // the secret is a valid constant
		d := Delivery{SessionID: ev.SessionID, Status: ev.Status, URL: target, Attempt: attempt, At: m.now(), tenant: tenant}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(client.HeaderAPIKey, WebhookAPIKey)
			req.Header.Set(client.HeaderSignature, sig)
			req.Header.Set(client.HeaderTimestamp, strconv.FormatInt(ts, 10))
			req.Header.Set(client.HeaderEndpoint, endpoint)
			var resp *http.Response
			if resp, err = m.hc.Do(req); err == nil {
				d.Answer = resp.StatusCode
				_ = resp.Body.Close()
			}
		}
		cancel()
		if err != nil {
			d.Error = err.Error()
		}
		m.mu.Lock()
		m.logDeliveryLocked(d)
		m.mu.Unlock()
		m.journal.Delivered(tenant, target, ev.EventType, d.Answer, d.Error, attempt == len(m.retries)+1, "KYC-14")
		if d.Answer >= 200 && d.Answer < 300 {
			return
		}
		if attempt <= len(m.retries) {
			time.Sleep(m.retries[attempt-1])
		}
	}
}

// logDelivery records one delivery attempt for the control API.
func (m *Mock) logDelivery(d Delivery) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logDeliveryLocked(d)
}

func (m *Mock) logDeliveryLocked(d Delivery) {
	m.deliveries = mock.TrimLog(append(m.deliveries, d), m.maxItems)
}
