package dataplane

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// probePassword is the deliberately wrong password the probes send, so that
// a probe never authenticates with a real secret.
const probePassword = "pgbaseline-probe-not-a-password"

// probeOutcome is what one probe connection attempt showed.
type probeOutcome string

const (
	probeAccepted probeOutcome = "accepted" // the server went on to authentication
	probeRefused  probeOutcome = "refused"  // the server refused the transport
	probeFailed   probeOutcome = "inconclusive"
)

// probeResults are the outcomes of the opt-in protocol probes.
type probeResults struct {
	Skipped   string                  // why the probes did not run ("" when they did)
	Plaintext probeOutcome            // sslmode=disable attempt
	PlainMsg  string                  // the server's answer to it
	TLS       map[string]probeOutcome // TLS version name -> outcome
}

var probeVersions = []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}

// runProbes tries a plaintext connection and one TLS handshake per protocol
// version, each with a wrong password. They run one after another.
func runProbes(ctx context.Context, p *connPlan, o Options) *probeResults {
	base := p.cfg.Config.Copy()
	if strings.HasPrefix(base.Host, "/") {
		return &probeResults{Skipped: "the connection uses a unix socket; the probes need a TCP host"}
	}
	base.Password = probePassword
	base.Fallbacks = nil
	base.ValidateConnect = nil
	base.AfterConnect = nil
	base.ConnectTimeout = o.connectTimeout()
	res := &probeResults{TLS: map[string]probeOutcome{}}

	plain := base.Copy()
	plain.TLSConfig = nil
	res.Plaintext, res.PlainMsg = probeOnce(ctx, plain)

	for _, v := range probeVersions {
		c := base.Copy()
		// The probe sends no secret, so it does not verify the certificate:
		// it only asks which protocol versions the server accepts.
		c.TLSConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v, ServerName: base.Host} //nolint:gosec
		out, _ := probeOnce(ctx, c)
		res.TLS[tls.VersionName(v)] = out
	}
	return res
}

func probeOnce(ctx context.Context, cfg *pgconn.Config) (probeOutcome, string) {
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	conn, err := pgconn.ConnectConfig(cctx, cfg)
	if err == nil {
		_ = conn.Close(context.Background())
		return probeAccepted, "login succeeded without a password"
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		msg := pgErr.Message + " (SQLSTATE " + pgErr.Code + ")"
		if pgErr.Code == "28000" && strings.Contains(pgErr.Message, "no encryption") {
			return probeRefused, msg
		}
		if pgErr.Code == "28000" && strings.Contains(pgErr.Message, "SSL off") {
			return probeRefused, msg
		}
		return probeAccepted, msg
	}
	text := err.Error()
	if strings.Contains(text, "tls:") || strings.Contains(text, "server refused TLS") || strings.Contains(text, "EOF") {
		return probeRefused, "TLS handshake failed"
	}
	return probeFailed, "no answer"
}

// minAcceptedTLS returns the lowest TLS version the probes saw accepted.
func (r *probeResults) minAcceptedTLS() (string, bool) {
	for _, v := range probeVersions {
		if r.TLS[tls.VersionName(v)] == probeAccepted {
			return tls.VersionName(v), true
		}
	}
	return "", false
}
