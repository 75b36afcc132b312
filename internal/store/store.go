// Package store keeps the history of pgbaseline serve: scans, their
// reports and results, and the audit log of admin actions.
//
// Two implementations share one schema and one set of versioned
// migrations: an embedded SQLite database (modernc.org/sqlite, WAL mode),
// the default, and PostgreSQL for deployments with several replicas. Open
// picks one from a URL ("sqlite:FILE" or "postgres://...").
//
// The store records; it does not schedule. Package monitor runs the job
// queue and the scans, and package serve answers HTTP from the store.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/pgbaseline/pgbaseline/report"
)

// ErrNotFound is returned when a scan (or other record) does not exist.
var ErrNotFound = errors.New("not found")

// ScanStatus is the state of one scan, as the API shows it.
type ScanStatus string

// The scan states. A scan is queued when created, running while a replica
// works on it, and done or failed at the end. A scan whose replica died
// (its heartbeat went stale) is put back to queued and runs again.
const (
	ScanQueued  ScanStatus = "queued"
	ScanRunning ScanStatus = "running"
	ScanDone    ScanStatus = "done"
	ScanFailed  ScanStatus = "failed"
)

// Scan is one scan of one configured target.
type Scan struct {
	// ID is the scan's identifier, unique in the store (a decimal or UUID
	// string; callers treat it as opaque).
	ID string `json:"id"`
	// Target is the configured target's name.
	Target string `json:"target"`
	// Status is the scan's state.
	Status ScanStatus `json:"status"`
	// Trigger says why the scan ran: "schedule", "api" (with the token
	// name after a colon, "api:ci") or "startup".
	Trigger string `json:"trigger"`
	// QueuedAt is when the scan was created.
	QueuedAt time.Time `json:"queuedAt"`
	// StartedAt and FinishedAt are zero until the scan starts and ends.
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Attempts counts how many times a replica started the scan.
	Attempts int `json:"attempts"`
	// Summary counts the results by status once the scan is done.
	Summary report.Summary `json:"summary"`
	// Error is why a failed scan failed (never holding a secret).
	Error string `json:"error,omitempty"`
	// HeartbeatAt is when the replica running the scan last said it was
	// alive; set only while the scan is running.
	HeartbeatAt *time.Time `json:"heartbeatAt,omitempty"`
}

// ScanFilter narrows ListScans. Zero fields do not filter.
type ScanFilter struct {
	Target string
	Status ScanStatus
	// Before lists scans queued strictly before this time (paging).
	Before time.Time
	// Limit caps the number of scans; zero means 100.
	Limit int
}

// ResultFilter narrows Results. Zero fields do not filter.
type ResultFilter struct {
	Control    string
	Status     report.Status
	ResourceID string
	RuleID     string
	Severity   report.Severity
}

// Diff is what changed between two scans of the same target: results that
// became worse (Compliant, NotApplicable or Exempt, or absent, before;
// NonCompliant or Error now) and results that were fixed (the reverse).
// Results are matched on rule ID and resource ID.
type Diff struct {
	From      string          `json:"from"`
	To        string          `json:"to"`
	Regressed []report.Result `json:"regressed"`
	Fixed     []report.Result `json:"fixed"`
}

// TrendPoint is the summary of one finished scan, for trend charts.
type TrendPoint struct {
	ScanID     string         `json:"scanId"`
	Target     string         `json:"target"`
	FinishedAt time.Time      `json:"finishedAt"`
	Summary    report.Summary `json:"summary"`
	// Controls is each control's rolled-up status.
	Controls map[string]report.Status `json:"controls"`
}

// AuditEntry is one admin action: who did what, when, to what.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`  // token name
	Action string    `json:"action"` // e.g. "scan.trigger"
	Object string    `json:"object"` // e.g. target or scan ID
	Detail string    `json:"detail,omitempty"`
}

// Store is the history. Every method is safe for concurrent use, and every
// write is committed before it returns, so a crash loses nothing that a
// method reported as done.
type Store interface {
	// CreateScan records a queued scan of target.
	CreateScan(ctx context.Context, target, trigger string) (Scan, error)
	// StartScan marks a queued scan running, counts an attempt and sets
	// its heartbeat. A scan that is not queued gives ErrScanState, so two
	// workers never start the same scan.
	StartScan(ctx context.Context, id string) error
	// RequeueScan puts a running scan back to queued (graceful shutdown,
	// or a crashed replica's scan picked up again).
	RequeueScan(ctx context.Context, id string) error
	// FinishScan stores the scan's report and marks it done; with a
	// non-nil scanErr (and a possibly partial or nil report) it marks the
	// scan failed.
	FinishScan(ctx context.Context, id string, rep *report.Report, scanErr error) error
	// GetScan returns one scan, or ErrNotFound.
	GetScan(ctx context.Context, id string) (Scan, error)
	// ListScans returns scans newest first.
	ListScans(ctx context.Context, f ScanFilter) ([]Scan, error)
	// Report returns a done scan's full report, or ErrNotFound.
	Report(ctx context.Context, id string) (*report.Report, error)
	// Results returns a scan's results that match f.
	Results(ctx context.Context, scanID string, f ResultFilter) ([]report.Result, error)
	// ResultsPage returns at most limit of a scan's results that match f,
	// after the cursor after ("" for the first page), and the cursor of
	// the next page ("" after the last). A cursor that is malformed or of
	// another scan gives ErrBadCursor.
	ResultsPage(ctx context.Context, scanID string, f ResultFilter, after string, limit int) ([]report.Result, string, error)
	// RawReport returns a finished scan's report JSON as stored,
	// gzip-compressed when gzipped is true, or ErrNotFound.
	RawReport(ctx context.Context, id string) (body []byte, gzipped bool, err error)
	// LatestDone returns the newest done scan of each target.
	LatestDone(ctx context.Context) ([]Scan, error)
	// Trend returns the summaries of a target's done scans finished at or
	// after since, oldest first; an empty target means every target.
	Trend(ctx context.Context, target string, since time.Time) ([]TrendPoint, error)
	// Diff compares two done scans, from the older (from) to the newer (to).
	Diff(ctx context.Context, from, to string) (Diff, error)
	// AppendAudit records an admin action.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// Audit returns the newest audit entries first, at most limit.
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)
	// Ping reports whether the database answers (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
