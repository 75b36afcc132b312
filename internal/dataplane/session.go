package dataplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// session is one read-only connection to the assessed server.
type session struct {
	conn    *pgx.Conn
	plan    *connPlan
	timeout time.Duration
}

// ConnectError is a server that could not be reached or that refused the
// login. Its message names the redacted DSN and never holds a password.
type ConnectError struct {
	DSN string // redacted
	Msg string
}

// Error renders the redacted DSN and the problem.
func (e *ConnectError) Error() string { return fmt.Sprintf("postgres %s: %s", e.DSN, e.Msg) }

// connect opens the session and makes it read-only: the startup packet
// already sets default_transaction_read_only and statement_timeout, and the
// session repeats both with SET so that a pooler that drops startup
// parameters still leaves the session read-only.
func connect(ctx context.Context, p *connPlan, o Options) (*session, error) {
	cctx, cancel := context.WithTimeout(ctx, o.connectTimeout())
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, p.cfg)
	if err != nil {
		return nil, &ConnectError{DSN: p.redacted, Msg: connectMessage(cctx, err, p)}
	}
	s := &session{conn: conn, plan: p, timeout: o.statementTimeout()}
	setup := []string{
		"SET default_transaction_read_only = on",
		fmt.Sprintf("SET statement_timeout = %d", o.statementTimeout().Milliseconds()),
	}
	for _, q := range setup {
		if _, err := conn.Exec(cctx, q); err != nil {
			_ = conn.Close(context.Background())
			return nil, &ConnectError{DSN: p.redacted, Msg: "cannot make the session read-only: " + scrub(err.Error(), p.secrets...)}
		}
	}
	return s, nil
}

// connectMessage explains a connection failure in one line.
func connectMessage(ctx context.Context, err error, p *connPlan) string {
	var pgErr *pgconn.PgError
	msg := err.Error()
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "28P01":
		msg = fmt.Sprintf("authentication failed for user %q (SQLSTATE 28P01)", p.cfg.User)
	case errors.As(err, &pgErr):
		msg = fmt.Sprintf("server refused the connection: %s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	case ctx.Err() != nil || isTimeout(err):
		msg = fmt.Sprintf("timed out connecting to %s after %s", hostPort(p.cfg.Host, p.cfg.Port), p.cfg.ConnectTimeout)
	case strings.Contains(msg, "connection refused"):
		msg = fmt.Sprintf("connection refused by %s", hostPort(p.cfg.Host, p.cfg.Port))
	default:
		if inner := errors.Unwrap(err); inner != nil {
			msg = inner.Error()
		}
		msg = "cannot connect: " + msg
	}
	return scrub(msg, p.secrets...)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") {
		return fmt.Sprintf("%s (port %d)", host, port)
	}
	return net.JoinHostPort(host, fmt.Sprint(port))
}

func (s *session) close() { _ = s.conn.Close(context.Background()) }

// readOnly runs fn inside a READ ONLY transaction and always rolls it back.
func (s *session) readOnly(ctx context.Context, fn func(pgx.Tx) error) error {
	qctx, cancel := context.WithTimeout(ctx, s.timeout+5*time.Second)
	defer cancel()
	tx, err := s.conn.BeginTx(qctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	return fn(tx)
}

// query runs one SELECT in its own read-only transaction and scans every
// row with scan.
func (s *session) query(ctx context.Context, sql string, scan func(pgx.Rows) error, args ...any) error {
	return s.readOnly(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// queryRow runs a one-row SELECT in its own read-only transaction.
func (s *session) queryRow(ctx context.Context, sql string, dest any, more ...any) error {
	return s.queryRowArgs(ctx, sql, append([]any{dest}, more...), nil)
}

// queryRowArgs runs a one-row SELECT with arguments in its own read-only transaction.
func (s *session) queryRowArgs(ctx context.Context, sql string, dest, args []any) error {
	return s.readOnly(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, sql, args...).Scan(dest...)
	})
}

// clientTLS is the TLS state of the scanner's own connection, as the client
// sees it.
type clientTLS struct {
	Version     string
	CipherSuite string
	ServerName  string
	Issuer      string
	Subject     string
	NotAfter    time.Time
}

func (s *session) clientTLS() *clientTLS {
	tc, ok := s.conn.PgConn().Conn().(*tls.Conn)
	if !ok {
		return nil
	}
	st := tc.ConnectionState()
	out := &clientTLS{Version: tls.VersionName(st.Version), CipherSuite: tls.CipherSuiteName(st.CipherSuite), ServerName: st.ServerName}
	if len(st.PeerCertificates) > 0 {
		c := st.PeerCertificates[0]
		out.Issuer, out.Subject, out.NotAfter = c.Issuer.String(), c.Subject.String(), c.NotAfter
	}
	return out
}

// isPermissionDenied reports a SQLSTATE 42501 error.
func isPermissionDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}
