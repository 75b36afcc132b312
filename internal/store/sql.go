package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgbaseline/pgbaseline/report"
)

// sqlStore is the store on SQLite or PostgreSQL. Both dialects share every
// query: $N placeholders, RETURNING and ON CONFLICT work in both, and times
// are stored as Unix microseconds.
type sqlStore struct {
	dialect string
	name    string // the database, password removed
	w       *sql.DB
	r       *sql.DB
	pool    *pgxpool.Pool // PostgreSQL only
}

var _ Backend = (*sqlStore)(nil)

func (s *sqlStore) Dialect() string        { return s.dialect }
func (s *sqlStore) PgxPool() *pgxpool.Pool { return s.pool }
func (s *sqlStore) WriteDB() *sql.DB       { return s.w }

// String names the database, without its password.
func (s *sqlStore) String() string { return s.name }

const scanColumns = `id, target, status, trigger_name, queued_us, started_us, finished_us, attempts, summary, error, heartbeat_us`

// forUpdate locks the selected row on PostgreSQL; SQLite's IMMEDIATE
// transactions already hold the write lock.
func (s *sqlStore) forUpdate() string {
	if s.dialect == DialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}

type rowScanner interface{ Scan(dest ...any) error }

func scanScan(r rowScanner) (Scan, error) {
	var (
		sc                  Scan
		id                  int64
		queued              int64
		started, finished   sql.NullInt64
		heartbeat           sql.NullInt64
		summary, status, tr string
	)
	if err := r.Scan(&id, &sc.Target, &status, &tr, &queued, &started, &finished, &sc.Attempts, &summary, &sc.Error, &heartbeat); err != nil {
		return Scan{}, err
	}
	sc.ID = strconv.FormatInt(id, 10)
	sc.Status = ScanStatus(status)
	sc.Trigger = tr
	sc.QueuedAt = fromMicros(queued)
	if started.Valid {
		t := fromMicros(started.Int64)
		sc.StartedAt = &t
	}
	if finished.Valid {
		t := fromMicros(finished.Int64)
		sc.FinishedAt = &t
	}
	if heartbeat.Valid && sc.Status == ScanRunning {
		t := fromMicros(heartbeat.Int64)
		sc.HeartbeatAt = &t
	}
	if err := json.Unmarshal([]byte(summary), &sc.Summary); err != nil {
		return Scan{}, fmt.Errorf("scan %s: summary: %w", sc.ID, err)
	}
	return sc, nil
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func now() int64 { return time.Now().UnixMicro() }

// parseID turns an opaque scan ID into the row id; a malformed ID is simply
// not found.
func parseID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("scan %q: %w", id, ErrNotFound)
	}
	return n, nil
}

func (s *sqlStore) CreateScan(ctx context.Context, target, trigger string) (Scan, error) {
	row := s.w.QueryRowContext(ctx, `INSERT INTO scans (target, status, trigger_name, queued_us) VALUES ($1, $2, $3, $4)
		RETURNING `+scanColumns, target, string(ScanQueued), trigger, now())
	sc, err := scanScan(row)
	if err != nil {
		return Scan{}, fmt.Errorf("create scan of %s: %w", target, err)
	}
	return sc, nil
}

func (s *sqlStore) CreateScheduledScan(ctx context.Context, target string, slot time.Time) (Scan, bool, error) {
	row := s.w.QueryRowContext(ctx, `INSERT INTO scans (target, status, trigger_name, slot_us, queued_us) VALUES ($1, $2, 'schedule', $3, $4)
		ON CONFLICT (target, slot_us) DO NOTHING
		RETURNING `+scanColumns, target, string(ScanQueued), slot.UnixMicro(), now())
	sc, err := scanScan(row)
	if err == nil {
		return sc, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Scan{}, false, fmt.Errorf("create scheduled scan of %s: %w", target, err)
	}
	row = s.w.QueryRowContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE target = $1 AND slot_us = $2`, target, slot.UnixMicro())
	if sc, err = scanScan(row); err != nil {
		return Scan{}, false, fmt.Errorf("create scheduled scan of %s: %w", target, err)
	}
	return sc, false, nil
}

// lockStatus reads a scan's status in tx, locking its row where the
// database can (PostgreSQL's FOR UPDATE); ErrNotFound when there is none.
func (s *sqlStore) lockStatus(ctx context.Context, tx *sql.Tx, n int64, id string) (ScanStatus, error) {
	var cur string
	if err := tx.QueryRowContext(ctx, `SELECT status FROM scans WHERE id = $1`+s.forUpdate(), n).Scan(&cur); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("scan %s: %w", id, ErrNotFound)
		}
		return "", err
	}
	return ScanStatus(cur), nil
}

// transition moves a scan to status `to` when its current status is one of
// from; set is extra SQL assignments.
func (s *sqlStore) transition(ctx context.Context, id string, to ScanStatus, from []ScanStatus, set string) error {
	n, err := parseID(id)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cur, err := s.lockStatus(ctx, tx, n, id)
	if err != nil {
		return err
	}
	ok := false
	for _, f := range from {
		ok = ok || cur == f
	}
	if !ok {
		return fmt.Errorf("scan %s is %s, cannot become %s: %w", id, cur, to, ErrScanState)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE scans SET status = $1`+set+` WHERE id = $2`, string(to), n); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqlStore) StartScan(ctx context.Context, id string) error {
	_, err := s.BeginScan(ctx, id)
	return err
}

func (s *sqlStore) BeginScan(ctx context.Context, id string) (Scan, error) {
	n, err := parseID(id)
	if err != nil {
		return Scan{}, err
	}
	t := now()
	sc, err := scanScan(s.w.QueryRowContext(ctx, `UPDATE scans SET status = $1, attempts = attempts + 1, started_us = $2, heartbeat_us = $2,
		finished_us = NULL, error = '' WHERE id = $3 AND status = $4 RETURNING `+scanColumns, string(ScanRunning), t, n, string(ScanQueued)))
	if err == nil {
		return sc, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Scan{}, fmt.Errorf("start scan %s: %w", id, err)
	}
	cur, gerr := s.GetScan(ctx, id)
	if gerr != nil {
		return Scan{}, gerr
	}
	return Scan{}, fmt.Errorf("scan %s is %s, cannot become %s: %w", id, cur.Status, ScanRunning, ErrScanState)
}

func (s *sqlStore) RequeueScan(ctx context.Context, id string) error {
	return s.transition(ctx, id, ScanQueued, []ScanStatus{ScanQueued, ScanRunning}, ", heartbeat_us = NULL")
}

func (s *sqlStore) Heartbeat(ctx context.Context, id string, attempt int) (bool, error) {
	n, err := parseID(id)
	if err != nil {
		return false, err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE scans SET heartbeat_us = $1 WHERE id = $2 AND status = $3 AND attempts = $4`,
		now(), n, string(ScanRunning), attempt)
	if err != nil {
		return false, fmt.Errorf("heartbeat of scan %s: %w", id, err)
	}
	k, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("heartbeat of scan %s: %w", id, err)
	}
	return k == 1, nil
}

func (s *sqlStore) ReapStale(ctx context.Context, cutoff time.Time, maxAttempts int, alive ...string) ([]Scan, error) {
	c := cutoff.UnixMicro()
	stale := `status = 'running' AND COALESCE(heartbeat_us, started_us, queued_us) < $1`
	args := []any{c}
	for _, id := range alive {
		if n, err := parseID(id); err == nil {
			args = append(args, n)
			stale += fmt.Sprintf(" AND id <> $%d", len(args))
		}
	}
	k := len(args)
	failed, err := s.queryWrite(ctx, `UPDATE scans SET status = 'failed', finished_us = $`+strconv.Itoa(k+1)+`, heartbeat_us = NULL,
		error = 'the replica running the scan stopped (no heartbeat) after ' || attempts || ' attempts; not retried'
		WHERE `+stale+` AND attempts >= $`+strconv.Itoa(k+2)+` RETURNING `+scanColumns, append(args, now(), maxAttempts)...)
	if err != nil {
		return nil, fmt.Errorf("reap stale scans: %w", err)
	}
	requeued, err := s.queryWrite(ctx, `UPDATE scans SET status = 'queued', heartbeat_us = NULL
		WHERE `+stale+` RETURNING `+scanColumns, args...)
	if err != nil {
		return failed, fmt.Errorf("reap stale scans: %w", err)
	}
	return append(failed, requeued...), nil
}

// queryWrite runs a writing statement that returns scans.
func (s *sqlStore) queryWrite(ctx context.Context, q string, args ...any) ([]Scan, error) {
	return collectScans(s.w.QueryContext(ctx, q, args...))
}

// collectScans reads the scans a query returned.
func collectScans(rows *sql.Rows, err error) ([]Scan, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Scan{}
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// resultBatch is how many result rows one INSERT carries (10 parameters
// each, well under both databases' parameter limits).
const resultBatch = 200

// checkpointAfter is how many results make a write large enough to
// truncate SQLite's write-ahead log after it.
const checkpointAfter = 1000

func (s *sqlStore) FinishScan(ctx context.Context, id string, rep *report.Report, scanErr error) error {
	n, err := parseID(id)
	if err != nil {
		return err
	}
	if rep == nil && scanErr == nil {
		return fmt.Errorf("finish scan %s: no report and no error", id)
	}
	status, errText := ScanDone, ""
	if scanErr != nil {
		status, errText = ScanFailed, scanErr.Error()
	}
	var (
		summary  = report.Summary{}
		controls = map[string]report.Status{}
		gz       []byte
		bodies   [][]byte
		hashes   []string
		texts    = map[string][]byte{}
	)
	if rep != nil {
		summary = rep.Summary
		for _, c := range rep.Controls {
			controls[c.ID] = c.Status
		}
		raw, err := json.Marshal(rep)
		if err != nil {
			return fmt.Errorf("finish scan %s: %w", id, err)
		}
		if gz, err = gzipBytes(raw); err != nil {
			return fmt.Errorf("finish scan %s: %w", id, err)
		}
		bodies = make([][]byte, len(rep.Results))
		hashes = make([]string, len(rep.Results))
		for i := range rep.Results {
			text, own, err := splitResult(&rep.Results[i])
			if err != nil {
				return fmt.Errorf("finish scan %s: result %d: %w", id, i, err)
			}
			bodies[i] = own
			hashes[i] = textHash(text)
			texts[hashes[i]] = text
		}
	}
	sumJSON, _ := json.Marshal(summary)
	ctlJSON, _ := json.Marshal(controls)

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cur, err := s.lockStatus(ctx, tx, n, id)
	if err != nil {
		return err
	}
	if cur == ScanDone || cur == ScanFailed {
		return fmt.Errorf("scan %s is already %s: %w", id, cur, ErrScanState)
	}
	// The finish time is also when the scan's texts were last used: a text
	// is used before a cutoff exactly when every scan using it finished
	// before it.
	finished := now()
	for _, q := range []string{`DELETE FROM results WHERE scan_id = $1`, `DELETE FROM scan_reports WHERE scan_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, n); err != nil {
			return err
		}
	}
	if rep != nil {
		textIDs, err := s.textIDs(ctx, tx, texts, finished)
		if err != nil {
			return fmt.Errorf("finish scan %s: result texts: %w", id, err)
		}
		for start := 0; start < len(rep.Results); start += resultBatch {
			end := min(start+resultBatch, len(rep.Results))
			var b strings.Builder
			b.WriteString(`INSERT INTO results (scan_id, seq, rule_id, control_id, resource_id, resource_type, status, severity, body, text_id) VALUES `)
			args := make([]any, 0, 10*(end-start))
			for i := start; i < end; i++ {
				if i > start {
					b.WriteByte(',')
				}
				if s.dialect == DialectSQLite {
					// SQLite binds "?" in order; "$N" are names to it, looked
					// up in a list, which is quadratic in a 1,800-parameter
					// statement.
					b.WriteString("(?,?,?,?,?,?,?,?,?,?)")
				} else {
					k := len(args)
					fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9, k+10)
				}
				r := &rep.Results[i]
				args = append(args, n, i, r.RuleID, r.ControlID, r.ResourceID, r.ResourceType, string(r.Status), string(r.Severity), string(bodies[i]), textIDs[hashes[i]])
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("finish scan %s: results: %w", id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scan_reports (scan_id, encoding, body) VALUES ($1, 'gzip', $2)`, n, gz); err != nil {
			return fmt.Errorf("finish scan %s: report: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE scans SET status = $1, finished_us = $2, summary = $3, controls = $4, error = $5, heartbeat_us = NULL WHERE id = $6`,
		string(status), finished, string(sumJSON), string(ctlJSON), errText, n); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if len(bodies) >= checkpointAfter {
		s.checkpoint(ctx)
	}
	return nil
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *sqlStore) GetScan(ctx context.Context, id string) (Scan, error) {
	n, err := parseID(id)
	if err != nil {
		return Scan{}, err
	}
	sc, err := scanScan(s.r.QueryRowContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE id = $1`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return Scan{}, fmt.Errorf("scan %s: %w", id, ErrNotFound)
	}
	return sc, err
}

// maxList caps ListScans.
const maxList = 1000

func (s *sqlStore) ListScans(ctx context.Context, f ScanFilter) ([]Scan, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Target != "" {
		add("target = $%d", f.Target)
	}
	if f.Status != "" {
		add("status = $%d", string(f.Status))
	}
	if !f.Before.IsZero() {
		add("queued_us < $%d", f.Before.UnixMicro())
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxList)
	q := `SELECT ` + scanColumns + ` FROM scans`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY queued_us DESC, id DESC LIMIT %d`, limit)
	return s.queryScans(ctx, q, args...)
}

func (s *sqlStore) queryScans(ctx context.Context, q string, args ...any) ([]Scan, error) {
	return collectScans(s.r.QueryContext(ctx, q, args...))
}

func (s *sqlStore) Report(ctx context.Context, id string) (*report.Report, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	var (
		enc  string
		body []byte
	)
	err = s.r.QueryRowContext(ctx, `SELECT r.encoding, r.body FROM scan_reports r JOIN scans s ON s.id = r.scan_id
		WHERE r.scan_id = $1 AND s.status IN ('done', 'failed')`, n).Scan(&enc, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("report of scan %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("report of scan %s: %w", id, err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("report of scan %s: %w", id, err)
		}
	}
	var rep report.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, fmt.Errorf("report of scan %s: %w", id, err)
	}
	return &rep, nil
}

func (s *sqlStore) Results(ctx context.Context, scanID string, f ResultFilter) ([]report.Result, error) {
	n, err := parseID(scanID)
	if err != nil {
		return nil, err
	}
	if _, err := s.GetScan(ctx, scanID); err != nil {
		return nil, err
	}
	q, args := resultQuery(n, f)
	return s.queryResults(ctx, q+` ORDER BY r.seq`, args...)
}

// RawReport returns a finished scan's report as stored: its JSON,
// gzip-compressed when gzipped is true, for streaming without decoding.
func (s *sqlStore) RawReport(ctx context.Context, id string) (body []byte, gzipped bool, err error) {
	n, err := parseID(id)
	if err != nil {
		return nil, false, err
	}
	var enc string
	err = s.r.QueryRowContext(ctx, `SELECT r.encoding, r.body FROM scan_reports r JOIN scans s ON s.id = r.scan_id
		WHERE r.scan_id = $1 AND s.status IN ('done', 'failed')`, n).Scan(&enc, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("report of scan %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, false, err
	}
	return body, enc == "gzip", nil
}

func (s *sqlStore) LatestDone(ctx context.Context) ([]Scan, error) {
	return s.queryScans(ctx, `SELECT `+scanColumns+` FROM scans s WHERE s.status = 'done' AND NOT EXISTS (
		SELECT 1 FROM scans n WHERE n.target = s.target AND n.status = 'done'
		AND (n.finished_us > s.finished_us OR (n.finished_us = s.finished_us AND n.id > s.id)))
		ORDER BY s.target`)
}

func (s *sqlStore) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM scans WHERE status IN ('done', 'failed') AND finished_us < $1
		AND id NOT IN (SELECT s.id FROM scans s WHERE s.status = 'done' AND NOT EXISTS (
			SELECT 1 FROM scans n WHERE n.target = s.target AND n.status = 'done'
			AND (n.finished_us > s.finished_us OR (n.finished_us = s.finished_us AND n.id > s.id))))`,
		cutoff.UnixMicro())
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n > 0 {
		if err := s.gcTexts(ctx, cutoff.UnixMicro()); err != nil {
			return int(n), fmt.Errorf("prune: result texts: %w", err)
		}
		s.checkpoint(ctx)
	}
	return int(n), nil
}

func (s *sqlStore) Trend(ctx context.Context, target string, since time.Time) ([]TrendPoint, error) {
	q := `SELECT id, target, finished_us, summary, controls FROM scans WHERE status = 'done' AND finished_us >= $1`
	args := []any{since.UnixMicro()}
	if target != "" {
		q += ` AND target = $2`
		args = append(args, target)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY finished_us, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TrendPoint{}
	for rows.Next() {
		var (
			p                 TrendPoint
			id, fin           int64
			summary, controls string
		)
		if err := rows.Scan(&id, &p.Target, &fin, &summary, &controls); err != nil {
			return nil, err
		}
		p.ScanID = strconv.FormatInt(id, 10)
		p.FinishedAt = fromMicros(fin)
		if err := json.Unmarshal([]byte(summary), &p.Summary); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(controls), &p.Controls); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// good and bad are the statuses a diff moves between; Unknown is neither.
const (
	goodStatuses = `('Compliant', 'NotApplicable', 'Exempt')`
	badStatuses  = `('NonCompliant', 'Error')`
)

func (s *sqlStore) Diff(ctx context.Context, from, to string) (Diff, error) {
	ids := [2]int64{}
	for i, id := range []string{from, to} {
		sc, err := s.GetScan(ctx, id)
		if err != nil {
			return Diff{}, err
		}
		if sc.Status != ScanDone {
			return Diff{}, fmt.Errorf("scan %s is %s, not done: %w", id, sc.Status, ErrScanState)
		}
		ids[i], _ = parseID(id)
	}
	d := Diff{From: from, To: to}
	var err error
	// Regressed: bad now, and before good or absent (no result of the pair
	// that was anything but good).
	d.Regressed, err = s.queryResults(ctx, `SELECT `+resultColumns+`, r.seq`+resultFrom+`
		WHERE r.scan_id = $2 AND r.status IN `+badStatuses+` AND NOT EXISTS (
			SELECT 1 FROM results f WHERE f.scan_id = $1 AND f.rule_id = r.rule_id AND f.resource_id = r.resource_id
			AND f.status NOT IN `+goodStatuses+`)
		ORDER BY r.seq`, ids[0], ids[1])
	if err != nil {
		return Diff{}, err
	}
	// Fixed: bad before, and now good or absent; the newer result when
	// there is one, else the older.
	d.Fixed, err = s.queryResults(ctx, `WITH fx AS (
			SELECT f.seq AS fseq, COALESCE((SELECT n.seq FROM results n
				WHERE n.scan_id = $2 AND n.rule_id = f.rule_id AND n.resource_id = f.resource_id LIMIT 1), -1) AS nseq
			FROM results f
			WHERE f.scan_id = $1 AND f.status IN `+badStatuses+` AND NOT EXISTS (
				SELECT 1 FROM results x WHERE x.scan_id = $2 AND x.rule_id = f.rule_id AND x.resource_id = f.resource_id
				AND x.status NOT IN `+goodStatuses+`))
		SELECT `+resultColumns+`, fx.fseq FROM fx JOIN results r ON r.scan_id = $2 AND r.seq = fx.nseq
			LEFT JOIN result_texts t ON t.id = r.text_id
		UNION ALL
		SELECT `+resultColumns+`, fx.fseq FROM fx JOIN results r ON r.scan_id = $1 AND r.seq = fx.fseq
			LEFT JOIN result_texts t ON t.id = r.text_id WHERE fx.nseq < 0
		ORDER BY 10`, ids[0], ids[1])
	if err != nil {
		return Diff{}, err
	}
	return d, nil
}

func (s *sqlStore) AppendAudit(ctx context.Context, e AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit (at_us, actor, action, object, detail) VALUES ($1, $2, $3, $4, $5)`,
		at.UnixMicro(), e.Actor, e.Action, e.Object, e.Detail)
	return err
}

func (s *sqlStore) Audit(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxList)
	rows, err := s.r.QueryContext(ctx, fmt.Sprintf(`SELECT at_us, actor, action, object, detail FROM audit ORDER BY id DESC LIMIT %d`, limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var (
			e  AuditEntry
			at int64
		)
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.Object, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	return s.r.PingContext(ctx)
}

func (s *sqlStore) Close() error {
	var errs []error
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.pool != nil {
		s.pool.Close()
	}
	return errors.Join(errs...)
}
