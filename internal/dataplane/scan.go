package dataplane

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/report"
)

// Assessment is the outcome of scanning one PostgreSQL server.
type Assessment struct {
	// Target is the DSN with the password removed.
	Target string `json:"target"`
	// Resource identifies the server: host:port, or the Azure server name
	// when Azure is detected.
	Resource report.Resource `json:"resource"`
	// Azure is true when the server was detected as Azure Database for
	// PostgreSQL flexible server; AzureSignals lists the evidence.
	Azure        bool     `json:"azure"`
	AzureSignals []string `json:"azureSignals,omitempty"`
	// ServerVersion is server_version; ServerVersionNum is server_version_num.
	ServerVersion    string `json:"serverVersion"`
	ServerVersionNum int    `json:"serverVersionNum"`
	// Database is the database the per-database checks ran in.
	Database string `json:"database"`
	// Privileges is what the connecting role could read.
	Privileges Capabilities `json:"privileges"`
	// ReadOnly is true when the session's transactions were verified to be
	// read-only (transaction_read_only = on).
	ReadOnly bool `json:"readOnly"`
	// SSLMode is the sslmode in force and where it came from.
	SSLMode       string `json:"sslmode"`
	SSLModeSource string `json:"sslmodeSource"`
	// Results holds one result per data-plane rule.
	Results []report.Result `json:"results"`
}

// Scan connects to one server read-only, probes the role's privileges,
// detects Azure, runs every data-plane check and returns one result per
// rule. A server that cannot be reached or refuses the login gives an error
// (a *ConfigError or *ConnectError) whose message never holds a password.
func Scan(ctx context.Context, o Options) (*Assessment, error) {
	p, err := plan(ctx, o)
	if err != nil {
		return nil, err
	}
	s, err := connect(ctx, p, o)
	if err != nil {
		return nil, err
	}
	defer s.close()

	f, err := gather(ctx, s, o)
	if err != nil {
		return nil, &ConnectError{DSN: p.redacted, Msg: err.Error()}
	}
	if !f.readOnly {
		return nil, &ConnectError{DSN: p.redacted, Msg: "the session is not read-only (transaction_read_only is off); refusing to assess"}
	}
	f.unixSocket = strings.HasPrefix(p.cfg.Host, "/")
	signals := azureSignals(ctx, s, f, p.azureHost)
	f.azure = isAzure(signals)
	if o.ProbeTLS {
		f.probes = runProbes(ctx, p, o)
	}
	a := &Assessment{
		Target: p.redacted, Azure: f.azure, AzureSignals: signals,
		ServerVersion: f.serverVersion, ServerVersionNum: f.version, Database: f.database,
		Privileges: f.caps, ReadOnly: f.readOnly, SSLMode: p.sslMode, SSLModeSource: p.sslSource,
	}
	a.Resource = resourceFor(p, f.azure, o.ResourceID)
	a.Results = evaluate(f, a.Resource, p.secrets)
	return a, nil
}

// resourceFor names the assessed server as the contract asks: the Azure
// server name when Azure is detected and the host names it, otherwise
// host:port.
func resourceFor(p *connPlan, azure bool, id string) report.Resource {
	hp := p.cfg.Host + ":" + fmt.Sprint(p.cfg.Port)
	if !strings.HasPrefix(p.cfg.Host, "/") {
		hp = net.JoinHostPort(p.cfg.Host, fmt.Sprint(p.cfg.Port))
	}
	r := report.Resource{ID: hp, Type: TypeSelfHosted, Name: hp}
	if azure {
		r.Type = TypeAzure
		if name, ok := AzureServerName(p.cfg.Host); ok {
			r.Name = name
		}
	}
	if id != "" {
		r.ID = id
	}
	return r
}

// evaluate runs every check on the facts.
func evaluate(f *facts, res report.Resource, secrets []string) []report.Result {
	out := make([]report.Result, 0, len(checks))
	for _, c := range checks {
		var o outcome
		if !f.caps.Has(c.rule.Privilege) && !c.fallback {
			o = unknown(notAssessable(f, c.rule.Privilege), ev{"privilegeMissing": string(c.rule.Privilege)})
		} else {
			o = c.run(f)
		}
		msg := o.Message
		if o.Status == report.Unknown && !strings.HasPrefix(msg, "Not assessable") {
			msg = strings.TrimSpace(msg + " " + factError(f))
		}
		rem := c.rule.Remediation
		out = append(out, report.Result{
			RuleID: c.rule.ID, ControlID: c.rule.Control, Feature: c.rule.Feature, Title: c.rule.Title,
			Severity: c.rule.Severity, ResourceID: res.ID, ResourceType: res.Type, ResourceName: res.Name,
			Status: o.Status, Message: scrub(msg, secrets...), Evidence: scrubEvidence(o.Evidence, secrets),
			Remediation: &rem,
		})
	}
	return out
}

// factError summarises the errors met while reading facts, for Unknown results.
func factError(f *facts) string {
	for _, err := range f.errs {
		if isPermissionDenied(err) {
			return "(permission denied)"
		}
	}
	return ""
}

func scrubEvidence(e map[string]any, secrets []string) map[string]any {
	for k, v := range e {
		if s, ok := v.(string); ok {
			e[k] = scrub(s, secrets...)
		}
	}
	return e
}

// scanOne is Scan; tests replace it to observe ScanMany's concurrency.
var scanOne = Scan

// Outcome is the result of one target of ScanMany: an Assessment or an error.
type Outcome struct {
	Target     string // the redacted DSN
	Assessment *Assessment
	Err        error
}

// ScanMany scans every target with at most concurrency connections open at
// once (1 when concurrency < 1) and returns the outcomes in input order.
func ScanMany(ctx context.Context, targets []Options, concurrency int) []Outcome {
	if concurrency < 1 {
		concurrency = 1
	}
	out := make([]Outcome, len(targets))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, o := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = Outcome{Target: RedactDSN(o.DSN), Err: &ConnectError{DSN: RedactDSN(o.DSN), Msg: ctx.Err().Error()}}
				return
			}
			defer func() { <-sem }()
			a, err := scanOne(ctx, o)
			out[i] = Outcome{Target: RedactDSN(o.DSN), Assessment: a, Err: err}
		}()
	}
	wg.Wait()
	return out
}
