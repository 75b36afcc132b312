// Package serve is the HTTP layer of pgbaseline serve: the REST API under
// /api/v1, the server-rendered dashboard, Prometheus /metrics, /healthz and
// /readyz, bearer-token and session authentication, CSRF protection and the
// secure headers. It answers from a store.Store and triggers scans through a
// Scheduler (package monitor provides one); it runs no scan itself.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/store"
)

// Scheduler triggers scans and reports on the job queue. monitor.Monitor
// satisfies it.
type Scheduler interface {
	// Trigger queues a scan of the configured target now. trigger says why
	// ("api:<token name>").
	Trigger(ctx context.Context, target, trigger string) (store.Scan, error)
	// Targets lists the configured targets' names.
	Targets() []string
	// Ready reports whether the scheduler is running and can take scans.
	Ready() bool
}

// Options configures a Server.
type Options struct {
	// Store is the history the server answers from. Required.
	Store store.Store
	// Scheduler triggers scans. When nil, triggering answers 503 and
	// /readyz answers 503 until SetScheduler attaches one.
	Scheduler Scheduler
	// Tokens are the accepted bearer tokens (by hash) and their roles.
	Tokens []Token
	// Catalog gives control titles and domains; nil loads the embedded one.
	Catalog *baseline.Catalog
	// TLS says the server is reached over HTTPS: the session cookie is
	// Secure and responses carry Strict-Transport-Security. Requests that
	// arrive over TLS get both anyway.
	TLS bool
	// ErrUnknownTarget, when set, is the error the Scheduler returns (or
	// wraps) for a target it does not know; such triggers answer 400.
	ErrUnknownTarget error
	// Logger receives request errors and security events; nil discards.
	Logger *slog.Logger
	// Version is shown in the dashboard's footer.
	Version string
	// SessionTTL is how long a dashboard session lasts; zero means 12 hours.
	SessionTTL time.Duration
	// Limits bounds authentication failures, heavy requests and page
	// sizes; zero fields take the defaults.
	Limits Limits
}

// Server is the HTTP handler of pgbaseline serve. Create it with New; it is
// safe for concurrent use.
type Server struct {
	store    store.Store
	sched    atomic.Pointer[Scheduler] // see SetScheduler
	unknown  error
	cat      *baseline.Catalog
	tls      bool
	log      *slog.Logger
	version  string
	auth     *authenticator
	sessions *sessionStore
	metrics  *metrics
	posture  *postureCache
	cache    *responseCache
	pages    *pages
	router   chi.Router

	limits    Limits
	throttle  *authThrottle
	heavyGate *heavyGate
}

// New builds a Server. It fails on a missing store or a malformed token
// entry (naming the token, never printing a hash).
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("serve: no store")
	}
	auth, err := newAuthenticator(o.Tokens)
	if err != nil {
		return nil, err
	}
	cat := o.Catalog
	if cat == nil {
		if cat, err = baseline.Load(); err != nil {
			return nil, fmt.Errorf("serve: loading the baseline catalog: %w", err)
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ttl := o.SessionTTL
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		store:    o.Store,
		unknown:  o.ErrUnknownTarget,
		cat:      cat,
		tls:      o.TLS,
		log:      log,
		version:  o.Version,
		auth:     auth,
		sessions: newSessionStore(ttl),
		pages:    pg,
	}
	s.limits = limitsWithDefaults(o.Limits)
	s.throttle = newAuthThrottle(s.limits)
	s.heavyGate = newHeavyGate(s.limits)
	s.posture = newPostureCache(o.Store, cat)
	s.cache = newResponseCache(64 << 20)
	s.metrics = newMetrics(s.posture)
	s.router = s.routes()
	if o.Scheduler != nil {
		s.SetScheduler(o.Scheduler)
	}
	return s, nil
}

// SetScheduler attaches the scheduler after New: the late binding that
// `pgbaseline serve` needs, because its scheduler (package monitor) reports
// every finished scan to this server's metrics (ObserveScan) and so is
// built after it. Until a scheduler is attached the server is not ready
// (/readyz and triggers answer 503) and lists the targets of the scans in
// the store. It is safe to call while the server answers requests.
func (s *Server) SetScheduler(sch Scheduler) {
	if sch == nil {
		s.sched.Store(nil)
		return
	}
	s.sched.Store(&sch)
}

// scheduler returns the attached scheduler, or nil.
func (s *Server) scheduler() Scheduler {
	if p := s.sched.Load(); p != nil {
		return *p
	}
	return nil
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// ObserveScan records one finished scan of target for /metrics: its
// duration in pgbaseline_scan_duration_seconds, and a failure (err != nil)
// in pgbaseline_scan_errors_total. The monitor calls it after every scan.
func (s *Server) ObserveScan(target string, d time.Duration, err error) {
	s.metrics.observeScan(target, d, err)
}

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.recoverer, s.secureHeaders)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Handle("/static/*", staticHandler())

	r.With(s.requireBearer(roleReader)).Get("/metrics", s.metrics.ServeHTTP)

	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.requireBearer(roleReader))
		r.Get("/scans", s.apiListScans)
		r.With(s.requireRole(roleAdmin)).Post("/scans", s.apiTriggerScan)
		r.Get("/scans/{id}", s.apiGetScan)
		r.Get("/scans/{id}/results", s.apiResults)
		r.Get("/scans/{id}/report", s.apiReport)
		r.Get("/scans/{id}/diff/{otherId}", s.apiDiff)
		r.Get("/controls", s.apiControls)
		r.Get("/resources", s.apiResources)
		r.Get("/trend", s.apiTrend)
		r.With(s.requireRole(roleAdmin)).Get("/audit", s.apiAudit)
	})

	r.Get("/signin", s.signInForm)
	r.Post("/signin", s.signIn)
	r.Group(func(r chi.Router) {
		r.Use(s.requireSession)
		r.Post("/signout", s.signOut)
		r.Get("/", s.pageOverview)
		r.Get("/trend", s.pageTrend)
		r.Get("/scans", s.pageScans)
		r.Post("/scans", s.pageTrigger)
		r.Get("/scans/{id}", s.pageScan)
		r.Get("/scans/{id}/diff/{otherId}", s.pageDiff)
		r.Get("/scans/{id}/report/{format}", s.heavy(s.pageDownload))
		r.Get("/diff", s.pageDiffForm)
		r.Get("/finding", s.pageFinding)
		r.Get("/resources", s.pageResources)
		r.Get("/resource", s.pageResource)
	})
	return r
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readyz: store not answering", "err", err)
		writeError(w, http.StatusServiceUnavailable, "the store is not answering")
		return
	}
	if sch := s.scheduler(); sch == nil || !sch.Ready() {
		writeError(w, http.StatusServiceUnavailable, "the scheduler is not ready")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// knownTarget reports whether the scheduler has a target named name.
func (s *Server) knownTarget(name string) bool {
	sch := s.scheduler()
	return sch != nil && slices.Contains(sch.Targets(), name)
}

// trigger queues a scan for an authenticated admin and writes the audit entry.
func (s *Server) trigger(ctx context.Context, p principal, target string) (store.Scan, int, error) {
	sch := s.scheduler()
	if sch == nil || !sch.Ready() {
		return store.Scan{}, http.StatusServiceUnavailable, errors.New("the scheduler is not ready")
	}
	if !s.knownTarget(target) {
		return store.Scan{}, http.StatusBadRequest, fmt.Errorf("unknown target %q", target)
	}
	sc, err := sch.Trigger(ctx, target, "api:"+p.name)
	if err != nil {
		if s.unknown != nil && errors.Is(err, s.unknown) {
			return store.Scan{}, http.StatusBadRequest, fmt.Errorf("unknown target %q", target)
		}
		s.log.Error("trigger failed", "target", target, "err", err)
		return store.Scan{}, http.StatusInternalServerError, errors.New("the scan could not be queued")
	}
	s.audit(ctx, p, "scan.trigger", target, "scan "+sc.ID)
	return sc, http.StatusAccepted, nil
}

// audit appends an audit entry; a failure is logged, not returned, so an
// action that happened is never reported as failed.
func (s *Server) audit(ctx context.Context, p principal, action, object, detail string) {
	e := store.AuditEntry{At: time.Now().UTC(), Actor: p.name, Action: action, Object: object, Detail: detail}
	if err := s.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit log write failed", "action", action, "err", err)
	}
}
