package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/riverqueue/river"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// SignatureHeader carries a webhook body's signature: "sha256=" and the hex
// HMAC-SHA256 of the body, keyed with the webhook's secret.
const SignatureHeader = "X-Pgbaseline-Signature"

// RegressionEvent is the JSON body of a regression webhook.
type RegressionEvent struct {
	Event          string          `json:"event"` // "regression"
	Target         string          `json:"target"`
	ScanID         string          `json:"scanId"`
	PreviousScanID string          `json:"previousScanId"`
	Regressed      []report.Result `json:"regressed"`
}

// Sign returns the SignatureHeader value of body for secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// notifyRegressions diffs scan id with the target's previous done scan and
// sends the regressions, if any, to every webhook that wants them.
func (m *Monitor) notifyRegressions(ctx context.Context, target, id string) {
	sc, err := m.st.GetScan(ctx, id)
	if err != nil {
		m.log.Error("webhook: reading the scan", "scan", id, "error", err)
		return
	}
	prev, err := m.st.ListScans(ctx, store.ScanFilter{Target: target, Status: store.ScanDone, Before: sc.QueuedAt, Limit: 1})
	if err != nil || len(prev) == 0 {
		if err != nil {
			m.log.Error("webhook: finding the previous scan", "scan", id, "error", err)
		}
		return
	}
	d, err := m.st.Diff(ctx, prev[0].ID, id)
	if err != nil {
		m.log.Error("webhook: diffing scans", "from", prev[0].ID, "to", id, "error", err)
		return
	}
	if len(d.Regressed) == 0 {
		return
	}
	body, err := json.Marshal(RegressionEvent{Event: EventRegression, Target: target, ScanID: id, PreviousScanID: prev[0].ID, Regressed: d.Regressed})
	if err != nil {
		m.log.Error("webhook: encoding", "error", err)
		return
	}
	for i, w := range m.cfg.Webhooks {
		if !wants(w, EventRegression) {
			continue
		}
		job := webhookJob{ScanID: id, Index: i, URLHash: urlHash(w.URL), Body: body}
		if _, err := m.client.Insert(ctx, job, nil); err != nil {
			m.log.Error("webhook: queueing the delivery", "url", redactQuery(w.URL), "scan", id, "error", err)
		}
	}
}

// webhookJob is the River job of one webhook delivery. It is kept in the
// store's database with the rest of the queue, so a delivery survives a
// crash of the replica and is retried with back-off until it succeeds, is
// refused (4xx) or runs out of attempts. It names the webhook by its
// place in the configuration and a hash of its URL (whose query may hold a
// key), never by the URL or the secret.
type webhookJob struct {
	ScanID  string          `json:"scan_id" river:"unique"`
	Index   int             `json:"webhook" river:"unique"`
	URLHash string          `json:"url_sha256"`
	Body    json.RawMessage `json:"body"`
}

const (
	webhookJobKind     = "pgbaseline_webhook"
	webhookQueue       = "pgbaseline_webhooks"
	webhookMaxAttempts = 8
)

// Kind names the job kind in River's tables.
func (webhookJob) Kind() string { return webhookJobKind }

// InsertOpts puts deliveries on their own queue, one per scan and webhook.
func (webhookJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: webhookQueue, MaxAttempts: webhookMaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type webhookWorker struct {
	river.WorkerDefaults[webhookJob]
	m *Monitor
}

// Work delivers the event, with a few quick retries in-process; River
// retries the job later when the endpoint stays unavailable.
func (w *webhookWorker) Work(ctx context.Context, job *river.Job[webhookJob]) error {
	hook, ok := w.m.webhookFor(job.Args.Index, job.Args.URLHash)
	if !ok {
		return river.JobCancel(errors.New("the webhook is no longer configured"))
	}
	err := w.m.deliver(ctx, hook, job.Args.Body)
	var (
		refused *refusedError
		blocked *blockedAddressError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused), errors.As(err, &blocked):
		w.m.log.Error("webhook refused the delivery", "url", redactQuery(hook.URL), "scan", job.Args.ScanID, "error", err)
		return river.JobCancel(err)
	default:
		w.m.log.Warn("webhook not delivered yet", "url", redactQuery(hook.URL), "scan", job.Args.ScanID,
			"attempt", job.Attempt, "error", err)
		return err
	}
}

// webhookFor finds a configured webhook by its place and URL hash, or by
// the hash alone when the configuration was reordered.
func (m *Monitor) webhookFor(index int, hash string) (Webhook, bool) {
	if index >= 0 && index < len(m.cfg.Webhooks) && urlHash(m.cfg.Webhooks[index].URL) == hash {
		return m.cfg.Webhooks[index], true
	}
	for _, w := range m.cfg.Webhooks {
		if urlHash(w.URL) == hash {
			return w, true
		}
	}
	return Webhook{}, false
}

func urlHash(u string) string {
	h := sha256.Sum256([]byte(u))
	return hex.EncodeToString(h[:])
}

// refusedError is a delivery the endpoint refused with a client error,
// or answered with a redirect (never followed); it is not retried.
type refusedError struct{ status int }

func (e *refusedError) Error() string {
	if e.status >= 300 && e.status < 400 {
		return fmt.Sprintf("HTTP %d: redirects are not followed (not retried)", e.status)
	}
	return fmt.Sprintf("HTTP %d (not retried)", e.status)
}

func wants(w Webhook, event string) bool {
	for _, e := range w.Events {
		if e == event {
			return true
		}
	}
	return false
}

// deliver POSTs body, retrying with exponential back-off on network
// errors, 5xx, 408 and 429. A connection the address policy refuses and a
// redirect end it at once.
func (m *Monitor) deliver(ctx context.Context, w Webhook, body []byte) error {
	sig := Sign([]byte(os.Getenv(w.SecretEnv)), body)
	client := m.webhookClient(w)
	var last error
	for attempt := 0; attempt < m.opts.webhookTries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(m.opts.webhookBackoff << (attempt - 1)):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "pgbaseline")
		req.Header.Set("X-Pgbaseline-Event", EventRegression)
		req.Header.Set(SignatureHeader, sig)
		resp, err := client.Do(req)
		if err != nil {
			var blocked *blockedAddressError
			if errors.As(err, &blocked) {
				return blocked
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // without the URL, whose query may hold a key
			}
			last = err
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return nil
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests:
			last = fmt.Errorf("HTTP %d", resp.StatusCode)
		default:
			return &refusedError{status: resp.StatusCode}
		}
	}
	return fmt.Errorf("after %d attempts: %w", m.opts.webhookTries, last)
}

// redactQuery drops a URL's query (which may hold a key) for logs.
func redactQuery(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}
