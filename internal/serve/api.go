package serve

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// ScanList is the body of GET /api/v1/scans.
type ScanList struct {
	Scans []store.Scan `json:"scans"`
}

// ScanDetail is the body of GET /api/v1/scans/{id}: the scan's status and,
// once it is done (or failed with a partial report), its JSON report.
type ScanDetail struct {
	store.Scan
	Report *report.Report `json:"report"`
}

// TriggerRequest is the body of POST /api/v1/scans.
type TriggerRequest struct {
	Target string `json:"target"`
}

// TriggerResponse is the body of a 202 to POST /api/v1/scans.
type TriggerResponse struct {
	ID string `json:"id"`
}

// ResultList is the body of GET /api/v1/scans/{id}/results: one page of
// the scan's results. NextCursor, when present, is the cursor of the next
// page (?cursor=); its absence means this page is the last.
type ResultList struct {
	ScanID     string          `json:"scanId"`
	Results    []report.Result `json:"results"`
	Limit      int             `json:"limit"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// ControlList is the body of GET /api/v1/controls.
type ControlList struct {
	Controls []ControlStatus `json:"controls"`
	Domains  []DomainStatus  `json:"domains"`
	// Scans are the newest done scans the statuses come from.
	Scans []store.Scan `json:"scans"`
}

// ResourceList is the body of GET /api/v1/resources.
type ResourceList struct {
	Resources []ResourceStatus `json:"resources"`
}

// TrendList is the body of GET /api/v1/trend.
type TrendList struct {
	Target string             `json:"target,omitempty"`
	Since  time.Time          `json:"since"`
	Points []store.TrendPoint `json:"points"`
}

// AuditList is the body of GET /api/v1/audit.
type AuditList struct {
	Entries []store.AuditEntry `json:"entries"`
}

// storeError maps a store error to a response.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error, what string) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, what+" not found")
		return
	}
	if r.Context().Err() != nil {
		return // the client went away
	}
	s.log.Error("store error", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "the store failed to answer")
}

func (s *Server) apiListScans(w http.ResponseWriter, r *http.Request) {
	f, err := scanFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	scans, err := s.store.ListScans(r.Context(), f)
	if err != nil {
		s.storeError(w, r, err, "scans")
		return
	}
	if scans == nil {
		scans = []store.Scan{}
	}
	writeJSON(w, http.StatusOK, ScanList{Scans: scans})
}

// scanFilter reads ?target=&status=&limit=&before=.
func scanFilter(q url.Values) (store.ScanFilter, error) {
	f := store.ScanFilter{Target: q.Get("target"), Status: store.ScanStatus(q.Get("status"))}
	switch f.Status {
	case "", store.ScanQueued, store.ScanRunning, store.ScanDone, store.ScanFailed:
	default:
		return f, fmt.Errorf("status %q is not queued, running, done or failed", f.Status)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, fmt.Errorf("limit %q is not a number from 1 to 1000", v)
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, fmt.Errorf("before %q is not an RFC 3339 time", v)
		}
		f.Before = t
	}
	return f, nil
}

func (s *Server) apiTriggerScan(w http.ResponseWriter, r *http.Request) {
	var req TriggerRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be {\"target\": \"<name>\"}: "+jsonProblem(err))
		return
	}
	if dec.Decode(new(json.RawMessage)) != io.EOF {
		writeError(w, http.StatusBadRequest, "the body must hold one JSON object")
		return
	}
	if strings.TrimSpace(req.Target) == "" {
		writeError(w, http.StatusBadRequest, "target is required")
		return
	}
	sc, code, err := s.trigger(r.Context(), principalFrom(r.Context()), req.Target)
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	w.Header().Set("Location", "/api/v1/scans/"+url.PathEscape(sc.ID))
	writeJSON(w, http.StatusAccepted, TriggerResponse{ID: sc.ID})
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be a %s", te.Field, te.Type)
	case errors.As(err, &mbe):
		return "the body is too large"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "invalid JSON"
}

// apiGetScan answers a scan and, once it is finished, its report
// (?report=false leaves the report out). The report is streamed from the
// store's compressed copy, never decoded: its size costs the server the
// compressed bytes and a small buffer, and at most Limits.HeavyRequests
// are streamed at once.
func (s *Server) apiGetScan(w http.ResponseWriter, r *http.Request) {
	withReport := true
	switch v := r.URL.Query().Get("report"); v {
	case "", "true":
	case "false":
		withReport = false
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("report %q is not true or false", v))
		return
	}
	key := r.URL.Path
	if !withReport {
		key += "?report=false"
	}
	if s.cache.writeCached(w, key) {
		return
	}
	s.heavy(func(w http.ResponseWriter, r *http.Request) {
		sc, err := s.store.GetScan(r.Context(), chi.URLParam(r, "id"))
		if err != nil {
			s.storeError(w, r, err, "scan")
			return
		}
		var (
			raw     []byte
			gzipped bool
		)
		if withReport && finished(sc) {
			raw, gzipped, err = s.store.RawReport(r.Context(), sc.ID)
			switch {
			case err == nil:
			case errors.Is(err, store.ErrNotFound):
				raw = nil
			default:
				s.storeError(w, r, err, "report")
				return
			}
		}
		head, err := encodeJSON(ScanDetail{Scan: sc})
		if err != nil {
			s.log.Error("encoding a response", "err", err)
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		}
		var body io.Reader = bytes.NewReader(head)
		if raw != nil {
			// {"id":...,"report":null}\n with the stored report for null.
			prefix, ok := bytes.CutSuffix(head, []byte("null}\n"))
			if !ok {
				s.log.Error("a scan's JSON does not end with its report")
				writeError(w, http.StatusInternalServerError, "internal error")
				return
			}
			rep, err := reportReader(raw, gzipped)
			if err != nil {
				s.storeError(w, r, err, "report")
				return
			}
			body = io.MultiReader(bytes.NewReader(prefix), rep, strings.NewReader("}\n"))
		}
		// A report whose compressed form already exceeds what the cache
		// keeps is not collected for it.
		cacheable := finished(sc) && len(raw) <= s.cache.max/8
		s.streamCaching(w, r, key, cacheable, "application/json; charset=utf-8", body)
	})(w, r)
}

// apiReport downloads a finished scan's JSON report alone, streamed from
// the store: as stored (gzip) to a client that accepts gzip, decompressed
// on the fly to others.
func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) {
	s.heavy(func(w http.ResponseWriter, r *http.Request) {
		sc, err := s.store.GetScan(r.Context(), chi.URLParam(r, "id"))
		if err != nil {
			s.storeError(w, r, err, "scan")
			return
		}
		if !finished(sc) {
			writeError(w, http.StatusConflict, fmt.Sprintf("scan %s is %s: its report comes when it is done", sc.ID, sc.Status))
			return
		}
		raw, gzipped, err := s.store.RawReport(r.Context(), sc.ID)
		if err != nil {
			s.storeError(w, r, err, "report")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pgbaseline-scan-%s.json"`, sc.ID))
		h.Add("Vary", "Accept-Encoding")
		if gzipped && acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", strconv.Itoa(len(raw)))
			w.WriteHeader(http.StatusOK)
			_, _ = io.Copy(newProgressWriter(w), bytes.NewReader(raw))
			return
		}
		rep, err := reportReader(raw, gzipped)
		if err != nil {
			s.storeError(w, r, err, "report")
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = io.Copy(newProgressWriter(w), rep)
	})(w, r)
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (named with a quality above zero).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
}

// reportReader reads a stored report's JSON.
func reportReader(raw []byte, gzipped bool) (io.Reader, error) {
	if !gzipped {
		return bytes.NewReader(raw), nil
	}
	return gzip.NewReader(bytes.NewReader(raw))
}

// streamCaching copies body to the response and, when cacheable and small
// enough for the cache, keeps it under key.
func (s *Server) streamCaching(w http.ResponseWriter, r *http.Request, key string, cacheable bool, contentType string, body io.Reader) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	out := newProgressWriter(w)
	if !cacheable {
		_, _ = io.Copy(out, body)
		return
	}
	keep := &cappedBuffer{max: s.cache.max / 8}
	if _, err := io.Copy(io.MultiWriter(out, keep), body); err != nil {
		if r.Context().Err() == nil {
			s.log.Error("streaming a response", "path", r.URL.Path, "err", err)
		}
		return
	}
	if !keep.over {
		s.cache.put(key, http.StatusOK, keep.buf.Bytes())
	}
}

// streamIdle is how long a streamed response may make no progress before
// the server gives up on its client. While bytes flow, the write deadline
// moves on, so a large report reaches a slow client whatever the server's
// overall write timeout.
const streamIdle = time.Minute

// progressWriter extends the response's write deadline as it writes.
type progressWriter struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	last time.Time
}

func newProgressWriter(w http.ResponseWriter) *progressWriter {
	return &progressWriter{w: w, rc: http.NewResponseController(w)}
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if now := time.Now(); now.Sub(p.last) > time.Second {
		p.last = now
		_ = p.rc.SetWriteDeadline(now.Add(streamIdle)) // unsupported by some writers: then the server's timeout stands
	}
	return p.w.Write(b)
}

// cappedBuffer keeps what is written until it exceeds max, then nothing.
type cappedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if !c.over {
		if c.buf.Len()+len(p) > c.max {
			c.over = true
			c.buf = bytes.Buffer{}
		} else {
			c.buf.Write(p)
		}
	}
	return len(p), nil
}

// apiResults answers one page of a scan's results:
// ?control=&status=&resource=&rule=&severity= filter, ?limit= sizes the page
// (Limits.ResultsPage by default, at most Limits.ResultsPageMax) and
// ?cursor= is the previous page's nextCursor.
func (s *Server) apiResults(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	q := r.URL.Query()
	f, err := resultFilter(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit := s.limits.ResultsPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > s.limits.ResultsPageMax {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q is not a number from 1 to %d", v, s.limits.ResultsPageMax))
			return
		}
		limit = n
	}
	cursor := q.Get("cursor")
	key := r.URL.Path + "?" + url.Values{"control": {f.Control}, "status": {string(f.Status)},
		"resource": {f.ResourceID}, "rule": {f.RuleID}, "severity": {string(f.Severity)}, "limit": {strconv.Itoa(limit)}, "cursor": {cursor}}.Encode()
	if s.cache.writeCached(w, key) {
		return
	}
	s.heavy(func(w http.ResponseWriter, r *http.Request) {
		sc, err := s.store.GetScan(r.Context(), id)
		if err != nil {
			s.storeError(w, r, err, "scan")
			return
		}
		res, next, err := s.store.ResultsPage(r.Context(), id, f, cursor, limit)
		if errors.Is(err, store.ErrBadCursor) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("cursor %q is not a nextCursor of this scan's results", cursor))
			return
		}
		if err != nil {
			s.storeError(w, r, err, "scan")
			return
		}
		if res == nil {
			res = []report.Result{}
		}
		s.writeJSONCaching(w, key, finished(sc), ResultList{ScanID: id, Results: res, Limit: limit, NextCursor: next})
	})(w, r)
}

// resultFilter reads ?control=&status=&resource=&rule=&severity=.
func resultFilter(q url.Values) (store.ResultFilter, error) {
	f := store.ResultFilter{Control: q.Get("control"), Status: report.Status(q.Get("status")),
		ResourceID: q.Get("resource"), RuleID: q.Get("rule"), Severity: report.Severity(q.Get("severity"))}
	if f.Status != "" && !slices.Contains(report.Statuses, f.Status) {
		return f, fmt.Errorf("status %q is not one of Compliant, NonCompliant, NotApplicable, Exempt, Unknown, Error", f.Status)
	}
	if f.Severity != "" && !slices.Contains(severities, f.Severity) {
		return f, fmt.Errorf("severity %q is not one of critical, high, medium, low", f.Severity)
	}
	return f, nil
}

// severities are the rule severities, worst first.
var severities = []report.Severity{report.Critical, report.High, report.Medium, report.Low}

// diffScans loads two scans and diffs them from the older to the newer.
func (s *Server) diffScans(r *http.Request, a, b string) (store.Diff, store.Scan, store.Scan, int, error) {
	ctx := r.Context()
	sa, err := s.store.GetScan(ctx, a)
	if err != nil {
		return store.Diff{}, sa, sa, statusOf(err), fmt.Errorf("scan %q: %w", a, notFoundText(err))
	}
	sb, err := s.store.GetScan(ctx, b)
	if err != nil {
		return store.Diff{}, sa, sb, statusOf(err), fmt.Errorf("scan %q: %w", b, notFoundText(err))
	}
	if sa.Target != sb.Target {
		return store.Diff{}, sa, sb, http.StatusBadRequest, fmt.Errorf("scans %s and %s are of different targets (%s, %s)", sa.ID, sb.ID, sa.Target, sb.Target)
	}
	for _, sc := range []store.Scan{sa, sb} {
		if sc.Status != store.ScanDone {
			return store.Diff{}, sa, sb, http.StatusConflict, fmt.Errorf("scan %s is %s, not done", sc.ID, sc.Status)
		}
	}
	from, to := sa, sb
	if newer(sa, sb) {
		from, to = sb, sa
	}
	d, err := s.store.Diff(ctx, from.ID, to.ID)
	if err != nil {
		return d, from, to, statusOf(err), notFoundText(err)
	}
	if d.Regressed == nil {
		d.Regressed = []report.Result{}
	}
	if d.Fixed == nil {
		d.Fixed = []report.Result{}
	}
	return d, from, to, http.StatusOK, nil
}

// newer reports whether a ran after b.
func newer(a, b store.Scan) bool {
	if a.FinishedAt != nil && b.FinishedAt != nil && !a.FinishedAt.Equal(*b.FinishedAt) {
		return a.FinishedAt.After(*b.FinishedAt)
	}
	return a.QueuedAt.After(b.QueuedAt)
}

func statusOf(err error) int {
	if errors.Is(err, store.ErrNotFound) {
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

func notFoundText(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("not found")
	}
	return errors.New("the store failed to answer")
}

func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path
	if s.cache.writeCached(w, key) {
		return
	}
	s.heavy(func(w http.ResponseWriter, r *http.Request) {
		d, _, _, code, err := s.diffScans(r, chi.URLParam(r, "id"), chi.URLParam(r, "otherId"))
		if err != nil {
			if code == http.StatusInternalServerError {
				s.log.Error("diff failed", "err", err)
			}
			writeError(w, code, err.Error())
			return
		}
		s.writeJSONCaching(w, key, true, d) // diffScans succeeds only for two done scans
	})(w, r)
}

func (s *Server) apiControls(w http.ResponseWriter, r *http.Request) {
	p, err := s.posture.get(r.Context())
	if err != nil {
		s.storeError(w, r, err, "posture")
		return
	}
	scans := p.Scans
	if scans == nil {
		scans = []store.Scan{}
	}
	writeJSON(w, http.StatusOK, ControlList{Controls: p.Controls, Domains: p.Domains, Scans: scans})
}

func (s *Server) apiResources(w http.ResponseWriter, r *http.Request) {
	p, err := s.posture.get(r.Context())
	if err != nil {
		s.storeError(w, r, err, "posture")
		return
	}
	res := p.Resources
	if t := r.URL.Query().Get("target"); t != "" {
		res = filterResources(res, func(x ResourceStatus) bool { return x.Target == t })
	}
	if st := report.Status(r.URL.Query().Get("status")); st != "" {
		if !slices.Contains(report.Statuses, st) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("status %q is not a result status", st))
			return
		}
		res = filterResources(res, func(x ResourceStatus) bool { return x.Status == st })
	}
	writeJSON(w, http.StatusOK, ResourceList{Resources: res})
}

func filterResources(in []ResourceStatus, keep func(ResourceStatus) bool) []ResourceStatus {
	out := []ResourceStatus{}
	for _, x := range in {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// trendQuery reads ?target=&days= (1 to 366, default 30).
func trendQuery(q url.Values, now time.Time) (string, time.Time, error) {
	days := 30
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			return "", time.Time{}, fmt.Errorf("days %q is not a number from 1 to 366", v)
		}
		days = n
	}
	return q.Get("target"), now.Add(-time.Duration(days) * 24 * time.Hour), nil
}

func (s *Server) apiTrend(w http.ResponseWriter, r *http.Request) {
	target, since, err := trendQuery(r.URL.Query(), time.Now().UTC())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	pts, err := s.store.Trend(r.Context(), target, since)
	if err != nil {
		s.storeError(w, r, err, "trend")
		return
	}
	if pts == nil {
		pts = []store.TrendPoint{}
	}
	writeJSON(w, http.StatusOK, TrendList{Target: target, Since: since, Points: pts})
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q is not a number from 1 to 1000", v))
			return
		}
		limit = n
	}
	entries, err := s.store.Audit(r.Context(), limit)
	if err != nil {
		s.storeError(w, r, err, "audit log")
		return
	}
	if entries == nil {
		entries = []store.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, AuditList{Entries: entries})
}
