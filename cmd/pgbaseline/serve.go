package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pgbaseline/pgbaseline/internal/monitor"
	"github.com/pgbaseline/pgbaseline/internal/serve"
	"github.com/pgbaseline/pgbaseline/internal/serveconfig"
	"github.com/pgbaseline/pgbaseline/internal/store"
)

type serveFlags struct {
	config, listen, database, tlsCert, tlsKey string
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Monitor targets on a schedule, with history, a dashboard, an API and metrics",
		Long: `Scan the configured targets on their schedules, keep the history in a store
(SQLite by default, or PostgreSQL for several replicas), and serve the REST API
under /api/v1, the dashboard at /, Prometheus /metrics, /healthz and /readyz.

The configuration (pgbaseline.yaml) holds targets, schedules and tokens as
SHA-256 hashes; secrets come from environment variables or files. SIGINT or
SIGTERM stops accepting requests, then finishes or requeues running scans.`,
		Example: `  pgbaseline serve --config pgbaseline.yaml
  pgbaseline serve --config pgbaseline.yaml --database postgres://pgbaseline@db/pgbaseline
  pgbaseline serve --tls-cert server.crt --tls-key server.key --listen :8443`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "pgbaseline.yaml", "configuration `FILE`")
	fl.StringVar(&f.listen, "listen", "", "address to listen on, `HOST:PORT` (default: the configuration's listen, else "+serveconfig.DefaultListen+")")
	fl.StringVar(&f.database, "database", "", "history store `URL`: sqlite:FILE or postgres://... (default: the configuration's database, else "+serveconfig.DefaultDatabase+")")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM; needs --tls-key)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the TLS private key `FILE` (PEM)")
	return cmd
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together")
	}
	cfg, err := serveconfig.Load(f.config)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if f.listen != "" {
		cfg.Listen = f.listen
	}
	if f.database != "" {
		cfg.Database = f.database
	}
	if cfg.Listen == "" {
		cfg.Listen = serveconfig.DefaultListen
	}
	if cfg.Database == "" {
		cfg.Database = serveconfig.DefaultDatabase
	}
	stderr := cmd.ErrOrStderr()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	var tlsConfig *tls.Config
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--tls-cert/--tls-key: %v", err)}
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	defer st.Close()

	if len(cfg.Tokens) == 0 {
		log.Warn("no tokens are configured: every API and dashboard request will be refused")
	}
	// The server is built before the monitor so the monitor can report
	// scan durations to it; the monitor is then attached as its scheduler.
	srv, err := serve.New(serve.Options{Store: st, Tokens: cfg.Tokens, TLS: tlsConfig != nil,
		ErrUnknownTarget: monitor.ErrUnknownTarget, Logger: log, Version: version, Limits: cfg.Limits})
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("%s: %w", f.config, err)}
	}
	mon, err := startMonitor(ctx, cfg, st, srv, log)
	if err != nil {
		return err
	}
	srv.SetScheduler(mon)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		stopMonitor(mon, log)
		return &exitError{code: 2, err: fmt.Errorf("listen %s: %v", cfg.Listen, err)}
	}
	hs := &http.Server{
		Handler:           srv,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		ln = tls.NewListener(ln, tlsConfig)
	}
	fmt.Fprintf(stderr, "pgbaseline serve: listening on %s://%s (store %s)\n", scheme, ln.Addr(), redactStore(cfg.Database))

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	// Stop accepting, let requests in flight finish, then stop the
	// monitor: running scans finish or go back to the queue.
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if serr := hs.Shutdown(shutCtx); serr != nil {
		log.Warn("HTTP shutdown", "err", serr)
	}
	stopMonitor(mon, log)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stderr, "pgbaseline serve: stopped")
	return nil
}

// redactStore names the store without a password.
func redactStore(url string) string {
	if u, err := neturl.Parse(url); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = nil
			return u.Redacted()
		}
	}
	return url
}

// startMonitor builds and starts the monitor (job queue, scheduler, scan
// runner, webhooks), reporting every finished scan to srv's metrics.
func startMonitor(ctx context.Context, cfg *serveconfig.Config, st store.Backend, srv *serve.Server, log *slog.Logger) (*monitor.Monitor, error) {
	mon, err := monitor.New(*cfg, st, monitor.WithLogger(log), monitor.WithToolVersion(version),
		monitor.WithObserver(monitor.ObserverFunc(srv.ObserveScan)))
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("%s: %w", cfg.File, err)}
	}
	if err := mon.Start(ctx); err != nil {
		return nil, err
	}
	return mon, nil
}

// stopMonitor stops scheduling and lets running scans finish for up to 30
// seconds; the monitor then cancels and requeues the rest.
func stopMonitor(mon *monitor.Monitor, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := mon.Stop(ctx); err != nil {
		log.Warn("stopping the monitor", "err", err)
	}
}
