package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/report"
)

// A result is stored in two parts. Its text (sharedText) is what many
// results repeat word for word: the rule's title, feature, policy, effect
// and remediation, the message, and the file the result points into; it
// is stored once in result_texts. Its own part (ownPart) is the resource
// name, the evidence and the lines. The columns of results hold the rest
// (rule, control, resource ID and type, status, severity).

type sharedText struct {
	Feature            string              `json:"f,omitempty"`
	Title              string              `json:"t,omitempty"`
	PolicyDefinitionID string              `json:"p,omitempty"`
	Effect             string              `json:"e,omitempty"`
	Message            string              `json:"m,omitempty"`
	Remediation        *report.Remediation `json:"r,omitempty"`
	File               string              `json:"l,omitempty"`
}

type ownPart struct {
	Name     string         `json:"n,omitempty"`
	Evidence map[string]any `json:"v,omitempty"`
	// Lines is [startLine, endLine] when the result has a location.
	Lines *[2]int `json:"l,omitempty"`
}

// splitResult encodes r's shared text and own part.
func splitResult(r *report.Result) (text, own []byte, err error) {
	t := sharedText{Feature: r.Feature, Title: r.Title, PolicyDefinitionID: r.PolicyDefinitionID, Effect: r.Effect,
		Message: r.Message, Remediation: r.Remediation}
	o := ownPart{Name: r.ResourceName, Evidence: r.Evidence}
	if r.Location != nil {
		t.File = r.Location.File
		o.Lines = &[2]int{r.Location.StartLine, r.Location.EndLine}
	}
	if text, err = json.Marshal(t); err != nil {
		return nil, nil, err
	}
	if own, err = json.Marshal(o); err != nil {
		return nil, nil, err
	}
	return text, own, nil
}

func textHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// textIDs stores the distinct texts (once across all scans), marks them
// used at t (the scan's finish time), and returns each one's id by hash. The texts are written in
// hash order, so that replicas recording scans at once on PostgreSQL lock
// shared texts in the same order and never deadlock.
func (s *sqlStore) textIDs(ctx context.Context, tx *sql.Tx, texts map[string][]byte, t int64) (map[string]int64, error) {
	hashes := make([]string, 0, len(texts))
	for h := range texts {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	ids := make(map[string]int64, len(texts))
	for _, h := range hashes {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO result_texts (hash, body, last_used_us) VALUES ($1, $2, $3)
			ON CONFLICT (hash) DO UPDATE SET last_used_us = excluded.last_used_us RETURNING id`, h, string(texts[h]), t).Scan(&id); err != nil {
			return nil, err
		}
		ids[h] = id
	}
	return ids, nil
}

// resultColumns are what a result is read from (r is results, t
// result_texts).
const resultColumns = `r.rule_id, r.control_id, r.resource_id, r.resource_type, r.status, r.severity, r.body, r.text_id, t.body`

const resultFrom = ` FROM results r LEFT JOIN result_texts t ON t.id = r.text_id`

// resultReader turns result rows back into report.Results, decoding each
// shared text once.
type resultReader struct {
	texts map[int64]*sharedText
}

func (rr *resultReader) read(rows *sql.Rows, extra ...any) (report.Result, error) {
	var (
		r                              report.Result
		status, severity, body         string
		textID                         sql.NullInt64
		textBody                       sql.NullString
		ruleID, controlID, resID, rtyp string
	)
	dest := append([]any{&ruleID, &controlID, &resID, &rtyp, &status, &severity, &body, &textID, &textBody}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return r, err
	}
	if !textID.Valid {
		// Written before results were split: the body is the whole result.
		err := json.Unmarshal([]byte(body), &r)
		return r, err
	}
	if rr.texts == nil {
		rr.texts = map[int64]*sharedText{}
	}
	t, ok := rr.texts[textID.Int64]
	if !ok {
		t = &sharedText{}
		if textBody.Valid {
			if err := json.Unmarshal([]byte(textBody.String), t); err != nil {
				return r, fmt.Errorf("result text %d: %w", textID.Int64, err)
			}
		}
		rr.texts[textID.Int64] = t
	}
	var o ownPart
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		return r, err
	}
	r = report.Result{RuleID: ruleID, ControlID: controlID, Feature: t.Feature, Title: t.Title, Severity: report.Severity(severity),
		PolicyDefinitionID: t.PolicyDefinitionID, ResourceID: resID, ResourceType: rtyp, ResourceName: o.Name,
		Status: report.Status(status), Effect: t.Effect, Message: t.Message, Evidence: o.Evidence, Remediation: t.Remediation}
	if o.Lines != nil {
		r.Location = &report.Location{File: t.File, StartLine: o.Lines[0], EndLine: o.Lines[1]}
	}
	return r, nil
}

// queryResults runs a query selecting resultColumns and a sequence
// number (the order, not returned).
func (s *sqlStore) queryResults(ctx context.Context, q string, args ...any) ([]report.Result, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []report.Result{}
	var (
		rr  resultReader
		seq int64
	)
	for rows.Next() {
		r, err := rr.read(rows, &seq)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ResultsPage returns at most limit results of a scan that match f, after
// the cursor after ("" for the first page), in report order, and the
// cursor of the next page ("" after the last).
func (s *sqlStore) ResultsPage(ctx context.Context, scanID string, f ResultFilter, after string, limit int) ([]report.Result, string, error) {
	n, err := parseID(scanID)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.GetScan(ctx, scanID); err != nil {
		return nil, "", err
	}
	from := int64(-1)
	if after != "" {
		if from, err = parseCursor(scanID, after); err != nil {
			return nil, "", err
		}
	}
	limit = max(1, min(limit, maxResultsPage))
	q, args := resultQuery(n, f)
	args = append(args, from)
	q += fmt.Sprintf(` AND r.seq > $%d ORDER BY r.seq LIMIT %d`, len(args), limit+1)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []report.Result{}
	var (
		rr   resultReader
		seq  int64
		last int64
	)
	for rows.Next() {
		r, err := rr.read(rows, &seq)
		if err != nil {
			return nil, "", err
		}
		if len(out) == limit {
			return out, makeCursor(scanID, last), rows.Err()
		}
		out = append(out, r)
		last = seq
	}
	return out, "", rows.Err()
}

// maxResultsPage bounds one page of ResultsPage.
const maxResultsPage = 100000

// ErrBadCursor is returned for a page cursor that is malformed or belongs
// to another scan.
var ErrBadCursor = errors.New("invalid cursor")

// A cursor is "<scan ID>.<last seq>": opaque to clients, and tied to its
// scan.
func makeCursor(scanID string, seq int64) string {
	return scanID + "." + strconv.FormatInt(seq, 10)
}

func parseCursor(scanID, c string) (int64, error) {
	id, seq, ok := strings.Cut(c, ".")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 0 || id != scanID {
		return 0, fmt.Errorf("cursor %q is not one of this scan's results: %w", c, ErrBadCursor)
	}
	return n, nil
}

// resultQuery is the query of a scan's results under f, selecting
// resultColumns and then r.seq.
func resultQuery(scanID int64, f ResultFilter) (string, []any) {
	args := []any{scanID}
	q := `SELECT ` + resultColumns + `, r.seq` + resultFrom + ` WHERE r.scan_id = $1`
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.Control != "" {
		add("r.control_id = $%d", f.Control)
	}
	if f.Status != "" {
		add("r.status = $%d", string(f.Status))
	}
	if f.ResourceID != "" {
		add("lower(r.resource_id) = lower($%d)", f.ResourceID)
	}
	if f.RuleID != "" {
		add("r.rule_id = $%d", f.RuleID)
	}
	if f.Severity != "" {
		add("r.severity = $%d", string(f.Severity))
	}
	return q, args
}

// checkpoint truncates SQLite's write-ahead log after a large write, so
// the WAL does not stay as big as the largest scan ever recorded. It is a
// no-op on PostgreSQL; a checkpoint that readers hold back is retried
// after the next large write.
func (s *sqlStore) checkpoint(ctx context.Context) {
	if s.dialect != DialectSQLite {
		return
	}
	_, _ = s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
}

// gcTexts deletes, after pruning at cutoff, the texts last used before
// the cutoff that no remaining scan finished before it (a target's kept
// newest scan) refers to: a text a newer scan uses was marked used when
// that scan was recorded. This reads only the kept scans' results, never
// the whole history. On PostgreSQL the table lock waits for scans being
// recorded, whose texts might otherwise be deleted between their use and
// their commit.
func (s *sqlStore) gcTexts(ctx context.Context, cutoff int64) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect == DialectPostgres {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE result_texts IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM result_texts WHERE last_used_us < $1 AND id NOT IN (
		SELECT r.text_id FROM scans s JOIN results r ON r.scan_id = s.id
		WHERE s.finished_us < $1 AND r.text_id IS NOT NULL)`, cutoff); err != nil {
		return err
	}
	return tx.Commit()
}
