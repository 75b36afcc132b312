// Package monitor runs `pgbaseline serve`'s scans: it takes the serve
// configuration (package serveconfig), enqueues a scan for every slot of every target's schedule,
// and works the queue, recording each scan in the store.
//
// The queue is River (riverqueue/river) in the store's own database:
// PostgreSQL (riverpgxv5) for several replicas, or the embedded SQLite
// (riversqlite) for one, so there is one code path. Every replica runs the
// enqueuer; the store creates one scan per (target, slot) whichever replica
// asks first, so a slot is scanned once. A running scan holds a lease: its
// replica renews the scan's heartbeat every heartbeat interval, and every
// replica requeues the running scans whose heartbeat is older than the stale
// threshold (their replica was killed), as a new generation of their job,
// since the dead replica's job stays running in River until River's rescuer
// notices, long after. A graceful Stop waits for running scans, and after
// its deadline cancels them and requeues them for another replica or the
// next start.
//
// After a scan finishes, it is diffed with the target's previous done scan;
// regressions are POSTed to the configured webhooks, signed with HMAC-SHA256.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/serveconfig"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// ErrUnknownTarget is returned by Trigger for a target the configuration
// does not name.
var ErrUnknownTarget = errors.New("unknown target")

// ScanFunc scans one target and returns its report. An error means no
// usable report (the scan is recorded as failed); problems with single
// inputs belong in the report's errors instead. It must return promptly
// when ctx is cancelled.
type ScanFunc func(ctx context.Context, t Target) (*report.Report, error)

type scanIDKey struct{}

// ScanID returns the store ID of the scan a ScanFunc is running, from its
// context.
func ScanID(ctx context.Context) string {
	id, _ := ctx.Value(scanIDKey{}).(string)
	return id
}

// Observer is told about finished scans, for metrics. Its methods must be
// safe for concurrent use and return quickly.
type Observer interface {
	// ScanFinished is called after a scan is recorded, with how long it
	// ran and the error it failed with (nil when done).
	ScanFinished(target string, duration time.Duration, err error)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(target string, duration time.Duration, err error)

// ScanFinished calls f.
func (f ObserverFunc) ScanFinished(target string, duration time.Duration, err error) {
	f(target, duration, err)
}

// Clock tells the scheduler the time and wakes it up. Tests replace it to
// simulate time.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Until returns a channel that receives once the clock reaches t.
	Until(t time.Time) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                     { return time.Now() }
func (realClock) Until(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }

// Defaults of the options.
const (
	DefaultScanTimeout = time.Hour
	DefaultConcurrency = 2
	// DefaultReconcileInterval is how often the scheduler checks that every
	// queued scan has a job and every running scan a live one.
	DefaultReconcileInterval = 30 * time.Second
	// DefaultHeartbeatInterval and DefaultStaleAfter: see serveconfig.
	DefaultHeartbeatInterval = serveconfig.DefaultHeartbeatInterval
	DefaultStaleAfter        = serveconfig.DefaultStaleAfter
)

// Option configures a Monitor.
type Option func(*options)

type options struct {
	scan           ScanFunc
	observer       Observer
	clock          Clock
	logger         *slog.Logger
	scanTimeout    time.Duration
	rescueAfter    time.Duration
	concurrency    int
	reconcile      time.Duration
	toolVersion    string
	httpClient     *http.Client
	webhookBackoff time.Duration
	webhookTries   int
	fetchPoll      time.Duration
	reconcileAge   time.Duration
	heartbeat      time.Duration
	staleAfter     time.Duration
	testOnly       bool
	noScheduler    bool
}

// WithScanFunc replaces the scanner (tests; the default scans paths, Azure
// and PostgreSQL as `pgbaseline scan` does).
func WithScanFunc(f ScanFunc) Option { return func(o *options) { o.scan = f } }

// WithObserver sets the observer told about finished scans.
func WithObserver(obs Observer) Option { return func(o *options) { o.observer = obs } }

// WithClock replaces the scheduler's clock (tests).
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets the logger (default: warnings and errors to stderr).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithScanTimeout bounds one scan (default DefaultScanTimeout).
func WithScanTimeout(d time.Duration) Option { return func(o *options) { o.scanTimeout = d } }

// WithRescueAfter sets how long a scan may stay running before River
// considers its replica dead and runs it again (default: the scan timeout
// plus 10 minutes; it must exceed the scan timeout).
func WithRescueAfter(d time.Duration) Option { return func(o *options) { o.rescueAfter = d } }

// WithHeartbeat sets how often a running scan's heartbeat is renewed (and
// how often stale scans are looked for), and after how long without one a
// running scan is taken as abandoned and queued again (defaults
// DefaultHeartbeatInterval and DefaultStaleAfter). staleAfter must be at
// least twice every, so that one late heartbeat does not requeue a live
// scan.
func WithHeartbeat(every, staleAfter time.Duration) Option {
	return func(o *options) { o.heartbeat, o.staleAfter = every, staleAfter }
}

// WithConcurrency sets how many scans this replica runs at once (default
// DefaultConcurrency).
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = n } }

// WithReconcileInterval sets how often (on the Clock) the scheduler
// repairs the queue (default DefaultReconcileInterval).
func WithReconcileInterval(d time.Duration) Option { return func(o *options) { o.reconcile = d } }

// WithToolVersion sets the version written into reports.
func WithToolVersion(v string) Option { return func(o *options) { o.toolVersion = v } }

// WithHTTPClient sets the client webhooks are sent with.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// Monitor schedules and runs the scans of one replica.
type Monitor struct {
	cfg    ServeConfig
	st     store.Backend
	opts   options
	log    *slog.Logger
	cat    *baseline.Catalog
	client queue

	mu       sync.Mutex
	started  bool
	stopping atomic.Bool
	stopLoop context.CancelFunc
	loopDone chan struct{}
	reapDone chan struct{}
	bg       context.Context // webhook deliveries
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup

	running sync.Map // IDs of the scans this replica runs now

	guardOnce sync.Once
	guarded   *http.Transport // webhooks' transport that dials public addresses only
}

// queue is what Monitor uses of river.Client, whatever its driver.
type queue interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// scanJob is the River job of one scan: it carries the store's scan ID.
// Jobs are unique by scan ID and generation, so a scan never has two live
// jobs of one generation. A scan reaped from a dead replica is queued
// again in a new generation (its attempts so far), because the dead
// replica's job stays "running" in River until River's rescuer notices.
type scanJob struct {
	ScanID string `json:"scan_id" river:"unique"`
	Target string `json:"target"`
	Gen    int    `json:"gen,omitempty" river:"unique"`
}

const (
	scanJobKind = "pgbaseline_scan"
	scanQueue   = "pgbaseline_scans"
	maxAttempts = 5
)

// Kind names the job kind in River's tables.
func (scanJob) Kind() string { return scanJobKind }

// InsertOpts puts scan jobs on their own queue, unique by scan ID.
func (scanJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: scanQueue, MaxAttempts: maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type scanWorker struct {
	river.WorkerDefaults[scanJob]
	m *Monitor
}

func (w *scanWorker) Work(ctx context.Context, job *river.Job[scanJob]) error {
	return w.m.work(ctx, job.Args.ScanID, job.Args.Target)
}

// retryPolicy retries quickly: a retried scan job is one whose replica
// died or whose store write failed, not one whose scan failed.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := time.Second << min(max(job.Attempt-1, 0), 6)
	return time.Now().Add(min(d, time.Minute))
}

// New prepares a Monitor for cfg, recording in st, which must come from
// store.Open. It runs River's migrations in the store's database (under a
// lock, so replicas may start together) and checks that every webhook's
// secret and every target's DSN source is present. Nothing runs until
// Start; Trigger works before Start (the scan waits for a started replica).
func New(cfg ServeConfig, st store.Store, opts ...Option) (*Monitor, error) {
	b, ok := st.(store.Backend)
	if !ok {
		return nil, errors.New("monitor: the store must come from store.Open")
	}
	m := &Monitor{cfg: cfg, st: b}
	m.opts = options{clock: realClock{}, scanTimeout: DefaultScanTimeout, concurrency: DefaultConcurrency,
		reconcile: DefaultReconcileInterval, httpClient: &http.Client{Timeout: 30 * time.Second},
		webhookBackoff: time.Second, webhookTries: 4, reconcileAge: time.Minute}
	m.opts.heartbeat, m.opts.staleAfter = cfg.Limits.Heartbeat, cfg.Limits.StaleAfter
	for _, o := range opts {
		o(&m.opts)
	}
	if m.opts.rescueAfter == 0 {
		m.opts.rescueAfter = m.opts.scanTimeout + 10*time.Minute
	}
	if m.opts.rescueAfter <= m.opts.scanTimeout {
		return nil, fmt.Errorf("monitor: the rescue threshold (%s) must exceed the scan timeout (%s)", m.opts.rescueAfter, m.opts.scanTimeout)
	}
	if m.opts.concurrency < 1 {
		return nil, errors.New("monitor: concurrency must be at least 1")
	}
	if m.opts.heartbeat == 0 {
		m.opts.heartbeat = DefaultHeartbeatInterval
	}
	if m.opts.staleAfter == 0 {
		m.opts.staleAfter = DefaultStaleAfter
	}
	if m.opts.heartbeat < 0 || m.opts.staleAfter < 2*m.opts.heartbeat {
		return nil, fmt.Errorf("monitor: the stale threshold (%s) must be at least twice the heartbeat interval (%s)", m.opts.staleAfter, m.opts.heartbeat)
	}
	m.log = m.opts.logger
	if m.log == nil {
		m.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if err := m.checkSecrets(); err != nil {
		return nil, err
	}
	if m.opts.scan == nil {
		cat, err := baseline.Load()
		if err != nil {
			return nil, err
		}
		m.cat = cat
		m.opts.scan = m.runTarget
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := m.openQueue(ctx); err != nil {
		return nil, err
	}
	m.bg, m.bgCancel = context.WithCancel(context.Background())
	return m, nil
}

// checkSecrets fails early when a webhook secret or a DSN source is
// missing, naming the configuration entry (never the secret).
func (m *Monitor) checkSecrets() error {
	where := func(line int) string {
		if m.cfg.File != "" && line > 0 {
			return fmt.Sprintf("%s:%d: ", m.cfg.File, line)
		}
		return ""
	}
	for i, w := range m.cfg.Webhooks {
		if os.Getenv(w.SecretEnv) == "" {
			return fmt.Errorf("%swebhooks[%d]: the environment variable %s (the HMAC secret) is not set", where(w.Line), i, w.SecretEnv)
		}
	}
	for _, t := range m.cfg.Targets {
		if p := t.Postgres; p != nil {
			switch {
			case p.DSNEnv != "" && os.Getenv(p.DSNEnv) == "":
				return fmt.Errorf("%starget %s: the environment variable %s (the DSN) is not set", where(t.Line), t.Name, p.DSNEnv)
			case p.DSNFile != "":
				if _, err := os.Stat(p.DSNFile); err != nil {
					return fmt.Errorf("%starget %s: postgres.dsnFile: %v", where(t.Line), t.Name, err)
				}
			}
		}
	}
	return nil
}

// migrationLockKey serializes River's migrations across replicas on
// PostgreSQL.
const migrationLockKey = 0x7067627276 // "pgbrv"

func (m *Monitor) riverConfig() *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, &scanWorker{m: m})
	river.AddWorker(workers, &webhookWorker{m: m})
	return &river.Config{
		Queues: map[string]river.QueueConfig{scanQueue: {MaxWorkers: m.opts.concurrency},
			webhookQueue: {MaxWorkers: 2}},
		Workers:              workers,
		JobTimeout:           m.opts.scanTimeout,
		RescueStuckJobsAfter: m.opts.rescueAfter,
		MaxAttempts:          maxAttempts,
		RetryPolicy:          retryPolicy{},
		Logger:               m.log,
		FetchPollInterval:    m.opts.fetchPoll,
		TestOnly:             m.opts.testOnly,
	}
}

// openQueue migrates River's tables and creates the client for the
// store's database.
func (m *Monitor) openQueue(ctx context.Context) error {
	switch m.st.Dialect() {
	case store.DialectPostgres:
		pool := m.st.PgxPool()
		driver := riverpgxv5.New(pool)
		migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: m.log})
		if err != nil {
			return fmt.Errorf("job queue: %w", err)
		}
		// River's migrations cannot share one transaction (an enum value
		// is added, then used), so a session lock on a connection of its
		// own keeps replicas from migrating at the same time.
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("job queue: migrate: %w", err)
		}
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockKey)); err != nil {
			conn.Release()
			return fmt.Errorf("job queue: migrate: %w", err)
		}
		_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockKey)); uerr != nil {
			conn.Conn().Close(context.WithoutCancel(ctx)) // closing the session releases the lock
		}
		conn.Release()
		if err != nil {
			return fmt.Errorf("job queue: migrate: %w", err)
		}
		c, err := river.NewClient(driver, m.riverConfig())
		if err != nil {
			return fmt.Errorf("job queue: %w", err)
		}
		m.client = c
	case store.DialectSQLite:
		db := m.st.WriteDB()
		driver := riversqlite.New(db)
		migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: m.log})
		if err != nil {
			return fmt.Errorf("job queue: %w", err)
		}
		tx, err := db.BeginTx(ctx, nil) // IMMEDIATE: one migrator at a time
		if err != nil {
			return fmt.Errorf("job queue: migrate: %w", err)
		}
		if _, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
			tx.Rollback()
			return fmt.Errorf("job queue: migrate: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("job queue: migrate: %w", err)
		}
		c, err := river.NewClient(driver, m.riverConfig())
		if err != nil {
			return fmt.Errorf("job queue: %w", err)
		}
		m.client = c
	default:
		return fmt.Errorf("monitor: unsupported store dialect %q", m.st.Dialect())
	}
	return nil
}

// Targets returns the configured target names, sorted.
func (m *Monitor) Targets() []string {
	out := make([]string, 0, len(m.cfg.Targets))
	for _, t := range m.cfg.Targets {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return out
}

// NextScan returns when target's schedule next fires after now (on the
// Monitor's clock), or the zero time for an on-demand or unknown target.
func (m *Monitor) NextScan(target string) time.Time {
	t := m.cfg.Target(target)
	if t == nil || t.Sched() == nil {
		return time.Time{}
	}
	return t.Sched().Next(m.opts.clock.Now())
}

// Ready reports whether the Monitor is started and not stopping.
func (m *Monitor) Ready() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.started && !m.stopping.Load()
}

// Start starts working the queue and the scheduler, and returns. The
// Monitor runs until Stop (ctx only bounds starting).
func (m *Monitor) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return errors.New("monitor: already started")
	}
	if m.stopping.Load() {
		return errors.New("monitor: stopped")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	m.stopLoop = cancel
	m.loopDone = make(chan struct{})
	m.reapDone = make(chan struct{})
	if m.opts.noScheduler {
		close(m.loopDone)
		close(m.reapDone)
	} else {
		go m.loop(loopCtx)
		go m.reaper(loopCtx)
	}
	m.started = true
	return nil
}

// Stop stops scheduling and waits for running scans to finish until ctx
// is done; then it cancels them, and each is put back to queued for
// another replica or the next start. Stop does not close the store.
func (m *Monitor) Stop(ctx context.Context) error {
	m.mu.Lock()
	if !m.started || m.stopping.Load() {
		m.stopping.Store(true)
		m.mu.Unlock()
		return nil
	}
	m.stopping.Store(true)
	m.mu.Unlock()
	m.stopLoop()
	<-m.loopDone
	<-m.reapDone
	err := m.client.Stop(ctx)
	if err != nil {
		// Past the deadline: cancel the running scans; each requeues itself.
		hard, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if herr := m.client.StopAndCancel(hard); herr != nil {
			m.log.Error("stopping the job queue", "error", herr)
		}
		err = nil
	}
	done := make(chan struct{})
	go func() { m.bgWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		m.bgCancel()
		<-done
	}
	m.bgCancel()
	return err
}

// Trigger records a scan of target and queues it. trigger says why
// ("api:<token name>", "startup"). An unconfigured target gives
// ErrUnknownTarget. When queueing fails the scan stays queued in the
// store, and the scheduler's next reconcile queues it.
func (m *Monitor) Trigger(ctx context.Context, target, trigger string) (store.Scan, error) {
	if m.cfg.Target(target) == nil {
		return store.Scan{}, fmt.Errorf("%q: %w", target, ErrUnknownTarget)
	}
	sc, err := m.st.CreateScan(ctx, target, trigger)
	if err != nil {
		return store.Scan{}, err
	}
	if err := m.enqueue(ctx, sc); err != nil {
		return sc, err
	}
	return sc, nil
}

func (m *Monitor) enqueue(ctx context.Context, sc store.Scan) error {
	if _, err := m.client.Insert(ctx, scanJob{ScanID: sc.ID, Target: sc.Target, Gen: sc.Attempts}, nil); err != nil {
		return fmt.Errorf("queue scan %s: %w", sc.ID, err)
	}
	return nil
}

// work runs one scan job.
func (m *Monitor) work(ctx context.Context, id, targetName string) error {
	sc, err := m.st.GetScan(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	switch sc.Status {
	case store.ScanDone, store.ScanFailed:
		return nil // finished by an earlier attempt
	case store.ScanRunning:
		if sc.HeartbeatAt != nil && time.Since(*sc.HeartbeatAt) < m.opts.staleAfter {
			// A live replica holds the scan (this is an older job of it,
			// rescued by River): leave it alone.
			return nil
		}
		// An earlier attempt's replica died mid-scan: the scan goes back
		// to queued, then runs again.
		m.log.Warn("rerunning a scan whose replica stopped", "scan", id, "target", targetName, "attempts", sc.Attempts)
		if err := m.st.RequeueScan(ctx, id); err != nil && !errors.Is(err, store.ErrScanState) {
			return err
		}
	}
	finishCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	}
	target := m.cfg.Target(targetName)
	if target == nil {
		fctx, cancel := finishCtx()
		defer cancel()
		return m.finish(fctx, id, nil, fmt.Errorf("target %q is no longer configured", targetName))
	}
	started, err := m.st.BeginScan(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrScanState) {
			return nil // another job started it
		}
		return err
	}
	m.running.Store(id, struct{}{})
	defer m.running.Delete(id)
	scanCtx, cancelScan := context.WithCancel(ctx)
	defer cancelScan()
	var lost atomic.Bool
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		m.keepAlive(scanCtx, id, started.Attempts, func() { lost.Store(true); cancelScan() })
	}()
	began := time.Now()
	rep, scanErr := m.opts.scan(context.WithValue(scanCtx, scanIDKey{}, id), *target)
	cancelScan()
	<-beatDone
	if lost.Load() {
		// The scan was reaped while this replica ran it (it could not
		// renew the heartbeat in time): another attempt owns it now.
		m.log.Warn("abandoning a scan another replica took over", "scan", id, "target", targetName)
		return nil
	}
	if scanErr == nil && rep == nil {
		scanErr = errors.New("the scan produced no report")
	}
	fctx, cancel := finishCtx()
	defer cancel()
	if scanErr != nil && ctx.Err() != nil {
		if m.stopping.Load() {
			// Graceful shutdown ran out of time: hand the scan back.
			if err := m.st.RequeueScan(fctx, id); err != nil {
				m.log.Error("requeueing a cancelled scan", "scan", id, "error", err)
			}
			return river.JobSnooze(0)
		}
		scanErr = fmt.Errorf("the scan did not finish within %s", m.opts.scanTimeout)
	}
	if err := m.finish(fctx, id, rep, scanErr); err != nil {
		return err
	}
	if m.opts.observer != nil {
		m.opts.observer.ScanFinished(target.Name, time.Since(began), scanErr)
	}
	if scanErr == nil && len(m.cfg.Webhooks) > 0 {
		// The deliveries are jobs of their own, committed before this
		// scan's job completes: they survive a crash and are retried.
		m.notifyRegressions(ctx, target.Name, id)
	}
	return nil
}

// keepAlive renews scan id's heartbeat every heartbeat interval until ctx
// ends. When the store says the scan is no longer this attempt's, it calls
// lost and returns. A failed write is logged and retried at the next tick:
// the scan is reaped only after the stale threshold without a heartbeat.
func (m *Monitor) keepAlive(ctx context.Context, id string, attempt int, lost func()) {
	t := time.NewTicker(m.opts.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hctx, cancel := context.WithTimeout(ctx, m.opts.heartbeat)
		held, err := m.st.Heartbeat(hctx, id, attempt)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			m.log.Warn("renewing a scan's heartbeat", "scan", id, "error", err)
		case err == nil && !held:
			lost()
			return
		}
	}
}

// reaper looks for running scans whose heartbeat is stale, every heartbeat
// interval (on the wall clock: heartbeats are wall-clock times), until ctx
// ends.
func (m *Monitor) reaper(ctx context.Context) {
	defer close(m.reapDone)
	t := time.NewTicker(m.opts.heartbeat)
	defer t.Stop()
	for {
		m.reap(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reap queues again the scans whose replica stopped renewing their
// heartbeat, as a new generation of their job, or marks them failed when
// they were already started maxAttempts times (a scan that kills its
// replica every time must not kill the fleet's replicas forever).
func (m *Monitor) reap(ctx context.Context) {
	// This replica's own scans are alive whatever their heartbeats say:
	// a heartbeat that could not be written (the database busy or away)
	// is another replica's reason to take the scan, not this one's.
	var mine []string
	m.running.Range(func(k, _ any) bool { mine = append(mine, k.(string)); return true })
	scans, err := m.st.ReapStale(ctx, time.Now().Add(-m.opts.staleAfter), maxAttempts, mine...)
	if err != nil && ctx.Err() == nil {
		m.log.Error("reaping stale scans", "error", err)
	}
	for _, sc := range scans {
		if sc.Status == store.ScanFailed {
			m.log.Error("a scan's replica stopped too often: failed", "scan", sc.ID, "target", sc.Target, "attempts", sc.Attempts)
			continue
		}
		m.log.Warn("requeueing a scan whose replica stopped (stale heartbeat)", "scan", sc.ID, "target", sc.Target, "attempts", sc.Attempts)
		if err := m.enqueue(ctx, sc); err != nil && ctx.Err() == nil {
			m.log.Error("queueing a reaped scan", "scan", sc.ID, "error", err)
		}
	}
}

func (m *Monitor) finish(ctx context.Context, id string, rep *report.Report, scanErr error) error {
	err := m.st.FinishScan(ctx, id, rep, scanErr)
	if errors.Is(err, store.ErrScanState) {
		return nil // another attempt finished it
	}
	return err
}

// loop is the scheduler: at every slot of every target it makes sure the
// slot's scan exists and is queued, and every reconcile interval it
// repairs the queue.
func (m *Monitor) loop(ctx context.Context) {
	defer close(m.loopDone)
	var lastReconcile, lastPrune time.Time
	for {
		now := m.opts.clock.Now()
		m.enqueueDue(ctx, now)
		if lastReconcile.IsZero() || now.Sub(lastReconcile) >= m.opts.reconcile {
			m.reconcile(ctx)
			lastReconcile = now
		}
		if m.cfg.Retention > 0 && (lastPrune.IsZero() || now.Sub(lastPrune) >= pruneInterval) {
			m.prune(ctx, now)
			lastPrune = now
		}
		wake := now.Add(m.opts.reconcile)
		for _, t := range m.cfg.Targets {
			if s := t.Sched(); s != nil {
				if next := s.Next(now); !next.IsZero() && next.Before(wake) {
					wake = next
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-m.opts.clock.Until(wake):
		}
	}
}

// enqueueDue creates (once, across replicas) the scan of each target's
// current slot and queues it.
func (m *Monitor) enqueueDue(ctx context.Context, now time.Time) {
	for _, t := range m.cfg.Targets {
		s := t.Sched()
		if s == nil {
			continue
		}
		slot := s.Slot(now)
		if slot.IsZero() {
			continue
		}
		sc, created, err := m.st.CreateScheduledScan(ctx, t.Name, slot)
		if err != nil {
			if ctx.Err() == nil {
				m.log.Error("creating a scheduled scan", "target", t.Name, "error", err)
			}
			continue
		}
		if !created {
			continue
		}
		if err := m.enqueue(ctx, sc); err != nil && ctx.Err() == nil {
			m.log.Error("queueing a scheduled scan", "target", t.Name, "scan", sc.ID, "error", err)
		}
	}
}

// reconcile repairs what a crash can leave behind: a queued scan without
// a job (a replica died between recording and queueing it) gets one once
// it is a minute old; a running scan whose job River rescued goes back to
// queued; a scan whose job River gave up on is marked failed.
// pruneInterval is how often the scheduler deletes scans older than the
// configured retention.
const pruneInterval = time.Hour

// pruner is the store method retention needs (every store.Open backend
// has it).
type pruner interface {
	Prune(ctx context.Context, cutoff time.Time) (int, error)
}

// prune deletes the finished scans older than the retention, keeping each
// target's newest done scan. Every replica may run it; deleting twice is
// harmless.
func (m *Monitor) prune(ctx context.Context, now time.Time) {
	p, ok := m.st.(pruner)
	if !ok {
		return
	}
	n, err := p.Prune(ctx, now.Add(-m.cfg.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		m.log.Error("retention: pruning old scans", "error", err)
	case n > 0:
		m.log.Info("retention: pruned old scans", "scans", n, "retention", m.cfg.Retention.String())
	}
}

func (m *Monitor) reconcile(ctx context.Context) {
	var active []store.Scan
	for _, st := range []store.ScanStatus{store.ScanQueued, store.ScanRunning} {
		scans, err := m.st.ListScans(ctx, store.ScanFilter{Status: st, Limit: 1000})
		if err != nil {
			if ctx.Err() == nil {
				m.log.Error("reconcile: listing scans", "error", err)
			}
			return
		}
		active = append(active, scans...)
	}
	if len(active) == 0 {
		return
	}
	res, err := m.client.JobList(ctx, river.NewJobListParams().Kinds(scanJobKind).First(10000).States(
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning,
		rivertype.JobStateScheduled, rivertype.JobStateDiscarded, rivertype.JobStateCancelled))
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("reconcile: listing jobs", "error", err)
		}
		return
	}
	jobs := map[string]*rivertype.JobRow{}
	for _, j := range res.Jobs {
		var args scanJob
		if err := decodeArgs(j.EncodedArgs, &args); err != nil {
			continue
		}
		if prev, ok := jobs[args.ScanID]; !ok || j.ID > prev.ID {
			jobs[args.ScanID] = j
		}
	}
	for _, sc := range active {
		j := jobs[sc.ID]
		switch {
		case j == nil && sc.Status == store.ScanQueued && time.Since(sc.QueuedAt) > m.opts.reconcileAge:
			if err := m.enqueue(ctx, sc); err != nil {
				m.log.Error("reconcile: queueing a scan", "scan", sc.ID, "error", err)
			}
		case j == nil:
		case sc.Status == store.ScanQueued && j.State == rivertype.JobStateRunning:
			// Reaped from a dead replica, whose job River still shows
			// running, but not queued again (the insert failed): queue
			// the new generation (a duplicate insert is a no-op).
			if err := m.enqueue(ctx, sc); err != nil {
				m.log.Error("reconcile: queueing a reaped scan", "scan", sc.ID, "error", err)
			}
		case j.State == rivertype.JobStateDiscarded || j.State == rivertype.JobStateCancelled:
			err := m.finish(ctx, sc.ID, nil, fmt.Errorf("gave up after %d attempts", j.Attempt))
			if err != nil {
				m.log.Error("reconcile: failing an abandoned scan", "scan", sc.ID, "error", err)
			}
		case sc.Status == store.ScanRunning && j.State != rivertype.JobStateRunning:
			if err := m.st.RequeueScan(ctx, sc.ID); err != nil && !errors.Is(err, store.ErrScanState) {
				m.log.Error("reconcile: requeueing a rescued scan", "scan", sc.ID, "error", err)
			}
		}
	}
}
