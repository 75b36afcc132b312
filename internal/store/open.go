package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/pgbaseline/pgbaseline/internal/dataplane"
)

// ErrScanState is returned when a scan is not in a state that allows the
// operation: starting or finishing a scan that already finished, or
// diffing a scan that is not done.
var ErrScanState = errors.New("scan is not in a state that allows this")

// The dialects of Backend.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Backend is implemented by every store Open returns. Beyond Store it gives
// package monitor what it needs to run its job queue in the same database
// and to create scheduled scans exactly once across replicas.
type Backend interface {
	Store
	// Dialect is DialectSQLite or DialectPostgres.
	Dialect() string
	// PgxPool is the PostgreSQL connection pool (nil for SQLite).
	PgxPool() *pgxpool.Pool
	// WriteDB is the database/sql handle for writes. For SQLite it holds a
	// single connection, so that every writer in the process (the store
	// and the job queue) takes turns instead of failing with SQLITE_BUSY.
	WriteDB() *sql.DB
	// CreateScheduledScan records a queued scan of target for one slot of
	// its schedule, with trigger "schedule". The first caller for a
	// (target, slot) pair creates it (created is true); every later caller,
	// from any replica, gets the existing scan and created false.
	CreateScheduledScan(ctx context.Context, target string, slot time.Time) (s Scan, created bool, err error)
	// Prune deletes the done and failed scans that finished before
	// cutoff, with their reports and results, but never a target's newest
	// done scan (the current posture and the base of the next diff). It
	// returns how many scans it deleted.
	Prune(ctx context.Context, cutoff time.Time) (int, error)
	// BeginScan is StartScan returning the started scan, whose Attempts
	// is the lease the worker renews with Heartbeat.
	BeginScan(ctx context.Context, id string) (Scan, error)
	// Heartbeat renews a running scan's lease: attempt is the Attempts
	// BeginScan returned. It reports false when the scan is no longer
	// running under that attempt (it was reaped, requeued or finished),
	// and the worker must then stop.
	Heartbeat(ctx context.Context, id string, attempt int) (bool, error)
	// ReapStale handles the running scans whose heartbeat is older than
	// cutoff (their replica died): those already started maxAttempts
	// times become failed, the others queued again. It returns the scans
	// it changed, as they now are. Replicas may reap at once: each stale
	// scan is changed, and returned, once. The scans named in alive are
	// left alone: the caller runs them itself and knows they live, even
	// when their heartbeats could not be written (a SQLite writer held by
	// a long write).
	ReapStale(ctx context.Context, cutoff time.Time, maxAttempts int, alive ...string) ([]Scan, error)
}

// Open opens (creating if needed) and migrates the store at url:
// "sqlite:FILE" for an embedded SQLite database (WAL mode, a busy timeout,
// foreign keys on) or "postgres://..." / "postgresql://..." for PostgreSQL.
// Migrating is safe from several replicas at once. Errors never show a
// password from url.
func Open(ctx context.Context, url string) (Backend, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite:"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	}
	return nil, fmt.Errorf("database %q: use sqlite:FILE or postgres://...", redactURL(url))
}

func openSQLite(ctx context.Context, path string) (Backend, error) {
	path = strings.TrimPrefix(path, "//")
	if path == "" || path == ":memory:" {
		return nil, errors.New("database sqlite: name a file (sqlite:pgbaseline.db)")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("database sqlite:%s: the file name must not contain ? or #", path)
	}
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	// The writer: one connection, IMMEDIATE transactions (a transaction
	// that reads then writes can then never fail on a lock upgrade).
	w, err := sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("database sqlite:%s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("database sqlite:%s: %w", path, err)
	}
	s := &sqlStore{dialect: DialectSQLite, w: w, name: "sqlite:" + path}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("database sqlite:%s: %w", path, err)
	}
	// Readers: several connections, reading in parallel with the writer
	// (WAL), never writing.
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("database sqlite:%s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	s.r = r
	return s, nil
}

func openPostgres(ctx context.Context, url string) (Backend, error) {
	name := redactURL(url)
	if msg := dataplane.URLPasswordProblem(url); msg != "" {
		return nil, fmt.Errorf("database %s: %s", name, msg)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database %s: invalid URL", name)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default (4 on a small machine) is too few for the job
		// queue's listener and workers next to the API's readers.
		cfg.MaxConns = max(cfg.MaxConns, 16)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database %s: %s", name, scrub(err.Error(), cfg.ConnConfig.Password))
	}
	db := stdlib.OpenDBFromPool(pool)
	s := &sqlStore{dialect: DialectPostgres, w: db, r: db, pool: pool, name: name}
	if err := db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("database %s: %s", name, scrub(err.Error(), cfg.ConnConfig.Password))
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("database %s: %s", name, scrub(err.Error(), cfg.ConnConfig.Password))
	}
	return s, nil
}

// redactURL removes the passwords from a database URL, with the rules of
// dataplane.RedactDSN (a password holding '@', '/', '?' or '#' included),
// whatever its scheme.
func redactURL(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	_, red, _ := strings.Cut(dataplane.RedactDSN("postgres://"+rest), "://")
	return scheme + "://" + red
}

// scrub removes secret from msg.
func scrub(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "xxxxx")
}
