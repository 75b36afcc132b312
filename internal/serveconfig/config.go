package serveconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pgbaseline/pgbaseline/internal/config"
	"github.com/pgbaseline/pgbaseline/internal/dataplane"
)

// DefaultListen and DefaultDatabase apply when the configuration leaves
// listen and database out.
const (
	DefaultListen   = "127.0.0.1:8080"
	DefaultDatabase = "sqlite:pgbaseline.db"
)

// EventRegression is the webhook event sent when a scan regressed.
const EventRegression = "regression"

// Config is the `pgbaseline serve` configuration: the keys listen,
// database, tokens, targets and webhooks of pgbaseline.yaml (at the top
// level, as docs/contract.md shows, or under a `serve:` key). Secrets never
// appear in it: tokens are SHA-256 hashes, and DSNs and webhook secrets
// come from environment variables or files.
type Config struct {
	// File is the configuration file read ("" when parsed from memory).
	File string `yaml:"-"`
	// Listen is the address to serve on (DefaultListen when absent).
	Listen string `yaml:"listen"`
	// Database is the store URL (DefaultDatabase when absent).
	Database string `yaml:"database"`
	// Tokens are the API's bearer tokens.
	Tokens []Token `yaml:"tokens"`
	// Targets are what is scanned, each on its schedule.
	Targets []Target `yaml:"targets"`
	// Webhooks are told about regressions.
	Webhooks []Webhook `yaml:"webhooks"`
	// Retention is how long finished scans are kept ("90d", "720h"); each
	// target's newest done scan is always kept. Zero keeps everything.
	Retention time.Duration `yaml:"-"`
	// Scan is the scan configuration of the same file (rules and
	// attestations), for the scan engine.
	Scan *config.Config `yaml:"-"`
	// Limits are the `limits:` of the file; zero fields take the
	// defaults (docs/reliability.md).
	Limits Limits `yaml:"-"`
}

// limitKeys are the keys of `limits:`; durations are Go durations.
var limitKeys = []string{"heartbeat", "staleAfter", "authFailures", "authWindow", "authBackoff", "authBackoffMax",
	"heavyRequests", "heavyWait", "resultsPage", "resultsPageMax"}

func (c *Config) decodeLimits(n *yaml.Node, fail failFunc) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if err := knownKeys(n, "limits", fail, limitKeys...); err != nil {
		return err
	}
	l := &c.Limits
	durations := map[string]*time.Duration{"heartbeat": &l.Heartbeat, "staleAfter": &l.StaleAfter, "authWindow": &l.AuthWindow,
		"authBackoff": &l.AuthBackoff, "authBackoffMax": &l.AuthBackoffMax, "heavyWait": &l.HeavyWait}
	counts := map[string]*int{"authFailures": &l.AuthFailures, "heavyRequests": &l.HeavyRequests,
		"resultsPage": &l.ResultsPage, "resultsPageMax": &l.ResultsPageMax}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if d, ok := durations[k.Value]; ok {
			var s string
			err := v.Decode(&s)
			if err == nil {
				*d, err = time.ParseDuration(s)
			}
			if err != nil || *d <= 0 {
				return fail(v.Line, "limits.%s: %q is not a positive duration such as 30s", k.Value, v.Value)
			}
		}
		if p, ok := counts[k.Value]; ok {
			if err := v.Decode(p); err != nil || *p < 1 {
				return fail(v.Line, "limits.%s: %q is not a whole number of at least 1", k.Value, v.Value)
			}
		}
	}
	hb, stale := cmpOr(l.Heartbeat, DefaultHeartbeatInterval), cmpOr(l.StaleAfter, DefaultStaleAfter)
	if stale < 2*hb {
		return fail(n.Line, "limits: staleAfter (%s) must be at least twice heartbeat (%s)", stale, hb)
	}
	if l.ResultsPage > 0 && l.ResultsPageMax > 0 && l.ResultsPage > l.ResultsPageMax {
		return fail(n.Line, "limits: resultsPage (%d) must not exceed resultsPageMax (%d)", l.ResultsPage, l.ResultsPageMax)
	}
	return nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Target is one thing to scan: IaC paths, live Azure subscriptions, a
// PostgreSQL database, or several of these in one report.
type Target struct {
	// Name identifies the target in the API and in the history.
	Name string `yaml:"name"`
	// Paths are files and directories (or git working copies) to scan.
	// Relative paths are relative to the configuration file's directory.
	Paths []string `yaml:"paths"`
	// Vars and VarFiles set Terraform variables in Paths, as scan's --var
	// NAME=VALUE and --var-file do.
	Vars     map[string]string `yaml:"vars"`
	VarFiles []string          `yaml:"varFiles"`
	// ParamFiles are ARM deployment parameter files applied to every
	// template in Paths, as scan's --param-file.
	ParamFiles []string `yaml:"paramFiles"`
	// Azure scans live subscriptions.
	Azure *AzureTarget `yaml:"azure"`
	// Postgres scans a database over a connection.
	Postgres *PostgresTarget `yaml:"postgres"`
	// Schedule is "@every DURATION" or a cron expression (see
	// ParseSchedule); empty means the target is scanned only on demand.
	Schedule string `yaml:"schedule"`
	// Line is the target's line in the file.
	Line int `yaml:"-"`

	schedule Schedule
}

// Sched returns the parsed schedule, or nil for an on-demand target.
func (t *Target) Sched() Schedule { return t.schedule }

// AzureTarget selects live Azure resources, as `pgbaseline scan --azure`.
type AzureTarget struct {
	Subscriptions  []string `yaml:"subscriptions"`
	ResourceGroups []string `yaml:"resourceGroups"`
	Tenant         string   `yaml:"tenant"`
	// Cloud is AzurePublic (default), AzureChina or AzureUSGovernment.
	Cloud string `yaml:"cloud"`
	// ARMEndpoint replaces the cloud's Resource Manager endpoint.
	ARMEndpoint string `yaml:"armEndpoint"`
}

// PostgresTarget says where a database's DSN comes from. The DSN is a URL
// or key=value string as `pgbaseline scan --postgres` takes. An inline dsn
// is allowed only without a password (the password then comes from
// PGPASSWORD, ~/.pgpass or Microsoft Entra).
type PostgresTarget struct {
	DSNEnv  string `yaml:"dsnEnv"`
	DSNFile string `yaml:"dsnFile"`
	DSN     string `yaml:"dsn"`
	// ProbeTLS turns on the TLS protocol probes (see dataplane.Options).
	ProbeTLS bool `yaml:"probeTLS"`
	// Entra authenticates with a Microsoft Entra token.
	Entra bool `yaml:"entra"`
}

// ResolveDSN reads the DSN from its environment variable, its file, or the
// configuration itself, when the target is scanned.
func (p *PostgresTarget) ResolveDSN() (string, error) {
	switch {
	case p.DSNEnv != "":
		v := strings.TrimSpace(os.Getenv(p.DSNEnv))
		if v == "" {
			return "", fmt.Errorf("the environment variable %s (the DSN) is not set", p.DSNEnv)
		}
		return v, nil
	case p.DSNFile != "":
		b, err := os.ReadFile(p.DSNFile)
		if err != nil {
			return "", fmt.Errorf("postgres.dsnFile: %v", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("postgres.dsnFile %s is empty", p.DSNFile)
		}
		return v, nil
	}
	return p.DSN, nil
}

// Webhook is an HTTP endpoint told about events, with an HMAC-SHA256
// signature keyed by the secret in the environment variable SecretEnv.
type Webhook struct {
	URL       string   `yaml:"url"`
	SecretEnv string   `yaml:"secretEnv"`
	Events    []string `yaml:"events"`
	// AllowPrivate lets the webhook reach loopback, private, link-local
	// and other non-public addresses (refused by default: see
	// docs/reliability.md).
	AllowPrivate bool `yaml:"allowPrivate"`
	// Line is the webhook's line in the file.
	Line int `yaml:"-"`
}

// Target returns the configured target named name, or nil.
func (c *Config) Target(name string) *Target {
	for i := range c.Targets {
		if c.Targets[i].Name == name {
			return &c.Targets[i]
		}
	}
	return nil
}

// Load reads and checks the serve configuration in file. Errors name
// the file and the line.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %v", file, pe.Err)
		}
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return Parse(file, data)
}

// Parse parses and checks a serve configuration; file names it in
// errors, and relative target paths are resolved against its directory.
func Parse(file string, data []byte) (*Config, error) {
	name := file
	if name == "" {
		name = "configuration"
	}
	fail := func(line int, format string, args ...any) error {
		if line > 0 {
			return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
		}
		return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	scanCfg, err := config.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: invalid YAML: %v", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c := &Config{File: file, Scan: scanCfg}
	var root *yaml.Node
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root != nil && root.Kind != yaml.MappingNode {
		return nil, fail(root.Line, "the configuration must be a mapping of keys")
	}
	if serve := mapValue(root, "serve"); serve != nil {
		for _, k := range []string{"listen", "database", "retention", "tokens", "targets", "webhooks", "limits"} {
			if v := mapValue(root, k); v != nil {
				return nil, fail(v.Line, "%s is both at the top level and under serve: keep one", k)
			}
		}
		if serve.Kind != yaml.MappingNode {
			return nil, fail(serve.Line, "serve must be a mapping")
		}
		root = serve
	}
	if err := c.decode(root, fail); err != nil {
		return nil, err
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if err := c.check(fail); err != nil {
		return nil, err
	}
	dir := filepath.Dir(file)
	if file == "" {
		dir = "."
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		for _, list := range [][]string{t.Paths, t.VarFiles, t.ParamFiles} {
			for j, p := range list {
				if !filepath.IsAbs(p) {
					list[j] = filepath.Join(dir, p)
				}
			}
		}
	}
	return c, nil
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

type failFunc func(line int, format string, args ...any) error

// knownKeys rejects a key of mapping n not in allowed (a misspelt key
// would otherwise be silently ignored), and names an inline secret.
func knownKeys(n *yaml.Node, what string, fail failFunc, allowed ...string) error {
	if n.Kind != yaml.MappingNode {
		return fail(n.Line, "%s must be a mapping", what)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch strings.ToLower(k.Value) {
		case "password", "token", "secret", "key":
			return fail(k.Line, "%s: %s: secrets must not be written in the configuration; use an environment variable or a file", what, k.Value)
		}
		ok := false
		for _, a := range allowed {
			ok = ok || k.Value == a
		}
		if !ok {
			return fail(k.Line, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func (c *Config) decode(root *yaml.Node, fail failFunc) error {
	if root == nil {
		return nil
	}
	decode := func(n *yaml.Node, v any, what string) error {
		if err := n.Decode(v); err != nil {
			return fail(n.Line, "%s: %v", what, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil
	}
	if n := mapValue(root, "listen"); n != nil {
		if err := decode(n, &c.Listen, "listen"); err != nil {
			return err
		}
	}
	if n := mapValue(root, "database"); n != nil {
		if err := decode(n, &c.Database, "database"); err != nil {
			return err
		}
	}
	if n := mapValue(root, "retention"); n != nil {
		var v string
		if err := decode(n, &v, "retention"); err != nil {
			return err
		}
		d, err := ParseRetention(v)
		if err != nil {
			return fail(n.Line, "retention: %v", err)
		}
		c.Retention = d
	}
	if n := mapValue(root, "limits"); n != nil {
		if err := c.decodeLimits(n, fail); err != nil {
			return err
		}
	}
	seq := func(key string) ([]*yaml.Node, error) {
		n := mapValue(root, key)
		if n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil, nil
		}
		if n.Kind != yaml.SequenceNode {
			return nil, fail(n.Line, "%s must be a list", key)
		}
		return n.Content, nil
	}
	items, err := seq("tokens")
	if err != nil {
		return err
	}
	for i, n := range items {
		what := fmt.Sprintf("tokens[%d]", i)
		if err := knownKeys(n, what, fail, "name", "role", "sha256"); err != nil {
			return err
		}
		var tok Token
		if err := decode(n, &tok, what); err != nil {
			return err
		}
		tok.Line = n.Line
		c.Tokens = append(c.Tokens, tok)
	}
	if items, err = seq("targets"); err != nil {
		return err
	}
	for i, n := range items {
		what := fmt.Sprintf("targets[%d]", i)
		if err := knownKeys(n, what, fail, "name", "paths", "vars", "varFiles", "paramFiles", "azure", "postgres", "schedule"); err != nil {
			return err
		}
		if a := mapValue(n, "azure"); a != nil {
			if err := knownKeys(a, what+".azure", fail, "subscriptions", "resourceGroups", "tenant", "cloud", "armEndpoint"); err != nil {
				return err
			}
		}
		if p := mapValue(n, "postgres"); p != nil {
			if err := knownKeys(p, what+".postgres", fail, "dsnEnv", "dsnFile", "dsn", "probeTLS", "entra"); err != nil {
				return err
			}
		}
		var t Target
		if err := decode(n, &t, what); err != nil {
			return err
		}
		t.Line = n.Line
		c.Targets = append(c.Targets, t)
	}
	if items, err = seq("webhooks"); err != nil {
		return err
	}
	for i, n := range items {
		what := fmt.Sprintf("webhooks[%d]", i)
		if err := knownKeys(n, what, fail, "url", "secretEnv", "events", "allowPrivate"); err != nil {
			return err
		}
		var w Webhook
		if err := decode(n, &w, what); err != nil {
			return err
		}
		w.Line = n.Line
		c.Webhooks = append(c.Webhooks, w)
	}
	return nil
}

var (
	hexSHA256   = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	targetName  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	envVariable = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (c *Config) check(fail failFunc) error {
	if strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://") {
		if dataplane.RedactDSN(c.Database) != c.Database {
			return fail(0, "database: the URL holds a password; pass it with --database or PGPASSWORD instead of writing it in the configuration")
		}
	}
	tokens := map[string]int{}
	for i, t := range c.Tokens {
		what := fmt.Sprintf("tokens[%d]", i)
		switch {
		case t.Name == "":
			return fail(t.Line, "%s: name is required", what)
		case tokens[t.Name] > 0:
			return fail(t.Line, "%s: duplicate token name %q (first at line %d)", what, t.Name, tokens[t.Name])
		case t.Role != RoleAdmin && t.Role != RoleReader:
			return fail(t.Line, "%s (%s): role %q is unknown: use admin or reader", what, t.Name, t.Role)
		case !hexSHA256.MatchString(t.SHA256):
			return fail(t.Line, "%s (%s): sha256 must be the 64 hex digits of the token's SHA-256 (echo -n TOKEN | sha256sum)", what, t.Name)
		}
		c.Tokens[i].SHA256 = strings.ToLower(t.SHA256)
		tokens[t.Name] = t.Line
	}
	targets := map[string]int{}
	for i := range c.Targets {
		t := &c.Targets[i]
		what := fmt.Sprintf("targets[%d]", i)
		if t.Name != "" {
			what += " (" + t.Name + ")"
		}
		switch {
		case t.Name == "":
			return fail(t.Line, "%s: name is required", what)
		case !targetName.MatchString(t.Name):
			return fail(t.Line, "%s: a name is letters, digits, '.', '_' and '-', at most 63", what)
		case targets[t.Name] > 0:
			return fail(t.Line, "%s: duplicate target name (first at line %d)", what, targets[t.Name])
		case len(t.Paths) == 0 && t.Azure == nil && t.Postgres == nil:
			return fail(t.Line, "%s: say what to scan: paths, azure or postgres", what)
		}
		targets[t.Name] = t.Line
		for _, p := range t.Paths {
			if p == "" {
				return fail(t.Line, "%s: an empty path", what)
			}
		}
		if p := t.Postgres; p != nil {
			n := 0
			for _, s := range []string{p.DSNEnv, p.DSNFile, p.DSN} {
				if s != "" {
					n++
				}
			}
			switch {
			case n != 1:
				return fail(t.Line, "%s: postgres needs exactly one of dsnEnv, dsnFile and dsn", what)
			case p.DSN != "" && dataplane.RedactDSN(p.DSN) != p.DSN:
				return fail(t.Line, "%s: postgres.dsn holds a password; put the DSN in an environment variable (dsnEnv) or a file (dsnFile)", what)
			case p.DSNEnv != "" && !envVariable.MatchString(p.DSNEnv):
				return fail(t.Line, "%s: postgres.dsnEnv %q is not an environment variable name", what, p.DSNEnv)
			}
		}
		if t.Schedule != "" {
			s, err := ParseSchedule(t.Schedule)
			if err != nil {
				return fail(t.Line, "%s: %v", what, err)
			}
			t.schedule = s
		}
	}
	for i, w := range c.Webhooks {
		what := fmt.Sprintf("webhooks[%d]", i)
		u, err := url.Parse(w.URL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return fail(w.Line, "%s: url must be an http:// or https:// URL", what)
		case u.User != nil:
			return fail(w.Line, "%s: url must not hold credentials", what)
		case !w.AllowPrivate && checkWebhookHost(u.Hostname()) != "":
			return fail(w.Line, "%s: url %s is a %s address: webhooks reach public addresses only, unless the webhook sets allowPrivate: true",
				what, u.Hostname(), checkWebhookHost(u.Hostname()))
		case w.SecretEnv == "":
			return fail(w.Line, "%s: secretEnv is required: the environment variable holding the HMAC secret", what)
		case !envVariable.MatchString(w.SecretEnv):
			return fail(w.Line, "%s: secretEnv %q is not an environment variable name", what, w.SecretEnv)
		}
		if len(w.Events) == 0 {
			c.Webhooks[i].Events = []string{EventRegression}
		}
		for _, e := range c.Webhooks[i].Events {
			if e != EventRegression {
				return fail(w.Line, "%s: event %q is unknown (known: %s)", what, e, EventRegression)
			}
		}
	}
	return nil
}

// ParseRetention reads a retention period: a Go duration ("720h") or a
// whole number of days ("90d"). It must be at least one hour.
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days such as 90d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 90d or 720h", s)
		}
	}
	if d < time.Hour {
		return 0, fmt.Errorf("%q is shorter than an hour", s)
	}
	return d, nil
}
