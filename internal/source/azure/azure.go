// Package azure reads live Azure: every PostgreSQL flexible server that a
// credential can see, with everything the baseline's rules need (server
// parameters, firewall rules, administrators, private endpoint
// connections, Defender settings, databases, diagnostic settings, the
// delegated subnet and its network security group, the Key Vault key of a
// customer-managed key), and each subscription's Defender plan, policy
// assignments and exemptions.
//
// Servers are found with one Azure Resource Graph query across the
// subscriptions (paged with $skipToken), falling back to Resource Manager
// list calls where Resource Graph is unavailable. Each server's children are
// read with one list call per child type, in parallel, with at most
// Options.Concurrency calls in flight. Throttling (429 with Retry-After),
// transient 5xx and network errors are retried with back-off and jitter by
// azcore's retry policy.
//
// Every SDK model is converted to the ARM JSON shape the REST API returns
// (json.Marshal of the SDK struct), so the rules see the same objects as for
// an export. What a 403 hides is reported, never passed over: the scan goes
// on, each refused read is an error of its subscription's input (the scan
// is incomplete: exit 2), and
//   - a subscription that refuses to be read gives Error results for its
//     rules (AM-2, LT-1) and an AccessRuleID Error result naming the
//     servers it hid;
//   - a refused subscription-level read gives its rule an Error result
//     (the policy assignments for AM-2, the Defender plan for LT-1);
//   - any other refused read (a child type of a server, its diagnostic
//     settings, network or key, the subscription's exemptions or server
//     list) becomes a source.Finding with RuleID AccessRuleID, status
//     Error, on the resource whose evidence it hid; its Evidence names the
//     hidden type under "type", and a source.Refusal of that type marks
//     the resource, so that the rules that need it (the catalog's
//     Rule.Needs) give Error results.
//
// The subscription rules are judged here, from what was read: one finding
// per subscription under AssignmentRuleID (AM-2) and DefenderRuleID
// (LT-1). The policy assignments and exemptions read are resources of the
// inputs, which the scan engine applies to the catalog's built-in rules.
//
// A server deleted while the scan runs (404 on its children) is left out.
package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/schollz/progressbar/v3"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

// Resource types this source emits beside the flexible server's own.
const (
	SubscriptionType     = "Microsoft.Resources/subscriptions"
	PricingType          = "Microsoft.Security/pricings"
	AssignmentType       = "Microsoft.Authorization/policyAssignments"
	ExemptionType        = "Microsoft.Authorization/policyExemptions"
	SubnetType           = "Microsoft.Network/virtualNetworks/subnets"
	NSGType              = "Microsoft.Network/networkSecurityGroups"
	VaultType            = "Microsoft.KeyVault/vaults"
	KeyType              = "Microsoft.KeyVault/vaults/keys"
	DefenderPlan         = "OpenSourceRelationalDatabases"
	AccessRuleID         = "PGB-ACCESS"
	subscriptionsAPI     = "2022-12-01"
	pricingsAPI          = "2024-01-01"
	exemptionsAPI        = "2022-07-01-preview"
	defaultConcurrency   = 16
	resourceGraphMaxSubs = 1000
)

// Options configures a live scan.
type Options struct {
	// Subscriptions narrows the scan to these subscription ids; empty means
	// every subscription the credential can see.
	Subscriptions []string
	// ResourceGroups narrows the server search to these resource groups
	// (in every subscription scanned).
	ResourceGroups []string
	// Tenant is the Microsoft Entra tenant for the default credential, and
	// keeps only that tenant's subscriptions.
	Tenant string
	// Cloud is AzurePublic (default), AzureChina or AzureUSGovernment.
	Cloud string
	// ARMEndpoint replaces the cloud's Resource Manager endpoint (Azure
	// Stack Hub, a test server). Plain http is allowed only on loopback.
	ARMEndpoint string
	// Credential replaces the credential of Credential().
	Credential azcore.TokenCredential
	// Concurrency is the number of calls in flight at once (default 16).
	Concurrency int
	// Progress receives a progress bar; nil for none.
	Progress io.Writer

	transport  policy.Transporter // tests
	retryDelay time.Duration      // tests: base back-off
}

// Result is what a live scan read.
type Result struct {
	// Inputs holds one input per subscription: Kind "azure", Location
	// "/subscriptions/<id>".
	Inputs []*source.Input
	// Assignments and Exemptions are the policy assignments and exemptions
	// that apply to the subscriptions scanned, in the REST shape
	// (policy.Collection.Add reads each). They are also among the inputs'
	// resources, typed AssignmentType and ExemptionType.
	Assignments, Exemptions []json.RawMessage
	// Notes are things worth telling the user that are not errors (a
	// server deleted during the scan, Resource Graph unavailable).
	Notes []string
	// Calls is the number of HTTP requests sent, retries included.
	Calls int64
}

type scanner struct {
	opt      Options
	cloud    cloud.Configuration
	insecure bool
	cred     azcore.TokenCredential
	limit    limiter
	calls    atomic.Int64
	copts    *azarm.ClientOptions
	raw      *azarm.Client

	mu    sync.Mutex
	notes []string
	// shared reads (subnets, NSGs, vault lists, keys) keyed by id.
	once    map[string]*onceResult
	clients map[string]*serverClients
}

type onceResult struct {
	once sync.Once
	objs []map[string]any
	err  error
}

// Scan reads every subscription and server in scope. It fails only when
// nothing can be scanned (bad options, no credential, the subscription list
// unreadable); every other problem is recorded in the inputs.
func Scan(ctx context.Context, o Options) (*Result, error) {
	s, err := newScanner(o)
	if err != nil {
		return nil, err
	}
	return s.run(ctx)
}

func newScanner(o Options) (*scanner, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	s := &scanner{opt: o, once: map[string]*onceResult{}, clients: map[string]*serverClients{}}
	var err error
	if s.cloud, s.insecure, err = cloudConfig(o.Cloud, o.ARMEndpoint); err != nil {
		return nil, err
	}
	s.cred = o.Credential
	if s.cred == nil {
		if s.cred, err = Credential(o.Tenant, s.cloud); err != nil {
			return nil, err
		}
	}
	s.limit = limiter{slots: make(chan struct{}, o.Concurrency), count: &s.calls}
	s.copts = s.clientOptions()
	if s.raw, err = azarm.NewClient("pgbaseline.azure", "v1.0.0", s.cred, s.copts); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *scanner) note(format string, args ...any) {
	s.mu.Lock()
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// shared runs fn once per key for the whole scan and returns its result.
func (s *scanner) shared(key string, fn func() ([]map[string]any, error)) ([]map[string]any, error) {
	s.mu.Lock()
	r := s.once[strings.ToLower(key)]
	if r == nil {
		r = &onceResult{}
		s.once[strings.ToLower(key)] = r
	}
	s.mu.Unlock()
	r.once.Do(func() { r.objs, r.err = fn() })
	return r.objs, r.err
}

// subScan is the state of one subscription.
type subScan struct {
	id      string
	in      *source.Input
	sub     map[string]any // the subscription object; nil when unread
	servers []map[string]any
	mu      sync.Mutex
	objs    []map[string]any
	// findings are kept by resource id until the resources exist.
	findings []pendingFinding
	listed   bool // servers were listed (by Resource Graph or ARM)
	// assignmentsErr and pricingErr are why the subscription rules'
	// data could not be read; nil when it was.
	assignmentsErr, pricingErr error
	// denied is the 403 that refused the subscription itself.
	denied error
}

type pendingFinding struct {
	resource map[string]any
	f        source.Finding
}

func (ss *subScan) add(objs ...map[string]any) {
	ss.mu.Lock()
	ss.objs = append(ss.objs, objs...)
	ss.mu.Unlock()
}

func (ss *subScan) errorf(format string, args ...any) {
	ss.mu.Lock()
	ss.in.Errors = append(ss.in.Errors, &source.Error{Path: ss.in.Location, Msg: fmt.Sprintf(format, args...)})
	ss.mu.Unlock()
}

// hidden records that a read of typ about resource obj failed.
func (ss *subScan) hidden(obj map[string]any, typ, what string, err error) {
	code, ecode := statusOf(err)
	ev := map[string]any{"type": typ}
	if code != 0 {
		ev["statusCode"] = code
	}
	if ecode != "" {
		ev["errorCode"] = ecode
	}
	ss.mu.Lock()
	ss.findings = append(ss.findings, pendingFinding{resource: obj, f: source.Finding{RuleID: AccessRuleID, Status: "Error",
		Message: fmt.Sprintf("could not read %s: %s; the rules that need it cannot be judged", what, describe(err)), Evidence: ev}})
	ss.mu.Unlock()
}

func (s *scanner) run(ctx context.Context) (*Result, error) {
	subs, err := s.subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	bar := s.progress(len(subs))
	s.discover(ctx, subs)
	total := 0
	for _, ss := range subs {
		total += len(ss.servers)
	}
	bar.total(total)

	var wg sync.WaitGroup
	for _, ss := range subs {
		if ss.sub == nil {
			bar.subDone()
			continue
		}
		if ss.denied != nil {
			ss.assignmentsErr, ss.pricingErr = ss.denied, ss.denied
			ss.hidden(ss.sub, flexserver.ServerType, "the flexible servers of the subscription", ss.denied)
			bar.subDone()
			continue
		}
		wg.Add(1)
		go func(ss *subScan) {
			defer wg.Done()
			s.readSubscription(ctx, ss)
			bar.subDone()
		}(ss)
	}
	type job struct {
		ss  *subScan
		srv map[string]any
	}
	jobs := make(chan job)
	for w := 0; w < s.opt.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s.readServer(ctx, j.ss, j.srv)
				bar.serverDone()
			}
		}()
	}
feed:
	for _, ss := range subs {
		for _, srv := range ss.servers {
			select {
			case jobs <- job{ss, srv}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	bar.finish()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("azure scan: %w", err)
	}
	res := &Result{Notes: s.notes, Calls: s.calls.Load()}
	for _, ss := range subs {
		in := ss.finish()
		res.Inputs = append(res.Inputs, in)
	}
	res.Assignments, res.Exemptions = Policies(res.Inputs)
	sort.Strings(res.Notes)
	return res, nil
}

// finish turns the objects read into resources and attaches the findings.
func (ss *subScan) finish() *source.Input {
	in := ss.in
	byID := map[string]*arm.Resource{}
	objs := ss.objs
	if ss.sub != nil {
		objs = append([]map[string]any{ss.sub}, objs...)
	}
	sort.SliceStable(objs, func(i, j int) bool { return idOf(objs[i]) < idOf(objs[j]) })
	for _, obj := range objs {
		key := arm.Normalize(idOf(obj))
		if _, dup := byID[key]; dup {
			continue
		}
		r := arm.New(obj, arm.Origin{})
		byID[key] = r
		in.Resources = append(in.Resources, r)
	}
	if ss.sub != nil {
		ss.judgeSubscription(byID[arm.Normalize(idOf(ss.sub))], in.Resources)
	}
	sort.SliceStable(ss.findings, func(i, j int) bool {
		a, b := idOf(ss.findings[i].resource), idOf(ss.findings[j].resource)
		if a != b {
			return a < b
		}
		return ss.findings[i].f.Message < ss.findings[j].f.Message
	})
	for _, pf := range ss.findings {
		f := pf.f
		if r := byID[arm.Normalize(idOf(pf.resource))]; r != nil {
			f.Resource = r
		} else {
			f.Resource = arm.New(pf.resource, arm.Origin{})
		}
		in.Findings = append(in.Findings, f)
	}
	markRefused(in, true)
	return in
}

// judgeSubscription adds the subscription rules' findings: one per rule,
// Error when what the rule needs could not be read.
func (ss *subScan) judgeSubscription(sub *arm.Resource, resources []*arm.Resource) {
	set := arm.NewSet(resources...)
	for _, rule := range []struct {
		id, what string
		err      error
		fn       SubscriptionCheck
	}{
		{AssignmentRuleID, "the policy assignments", ss.assignmentsErr, PolicyAssignmentCheck},
		{DefenderRuleID, "the Defender for Cloud plan " + DefenderPlan, ss.pricingErr, DefenderPlanCheck},
	} {
		f := source.Finding{RuleID: rule.id, Resource: sub}
		if rule.err != nil {
			code, ecode := statusOf(rule.err)
			f.Status = report.Error
			f.Message = fmt.Sprintf("Could not read %s: %s; the rule cannot be judged.", rule.what, describe(rule.err))
			f.Evidence = map[string]any{"statusCode": code}
			if ecode != "" {
				f.Evidence["errorCode"] = ecode
			}
		} else {
			o := rule.fn(sub, set, nil)
			f.Status, f.Message, f.Evidence = o.Status, o.Message, o.Evidence
		}
		ss.findings = append(ss.findings, pendingFinding{resource: sub.Object, f: f})
	}
}

func idOf(obj map[string]any) string {
	v, _ := arm.Lookup(obj, "id")
	s, _ := v.(string)
	return s
}

// toMap converts an SDK model (or any JSON-marshalable value) to the ARM
// JSON object its MarshalJSON writes: the REST shape.
func toMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// isGone reports whether err is a 404: the resource no longer exists.
func isGone(err error) bool {
	code, _ := statusOf(err)
	return code == http.StatusNotFound
}

// isUnavailable reports whether a Resource Graph error means "use ARM
// list calls instead": 403, 404, or the service unreachable.
func isUnavailable(err error) bool {
	code, _ := statusOf(err)
	if errors.Is(err, context.Canceled) {
		return false
	}
	return code == 0 || code == http.StatusForbidden || code == http.StatusNotFound || code == http.StatusBadRequest || code >= 500
}

// Policies returns the policy assignments and exemptions among the inputs'
// resources, as raw JSON objects in the REST shape, each once.
func Policies(inputs []*source.Input) (assignments, exemptions []json.RawMessage) {
	seen := map[string]bool{}
	for _, in := range inputs {
		for _, r := range in.Resources {
			isA, isE := strings.EqualFold(r.Type, AssignmentType), strings.EqualFold(r.Type, ExemptionType)
			if (!isA && !isE) || seen[arm.Normalize(r.ID)] {
				continue
			}
			seen[arm.Normalize(r.ID)] = true
			data, err := json.Marshal(r.Object)
			if err != nil {
				continue
			}
			if isA {
				assignments = append(assignments, data)
			} else {
				exemptions = append(exemptions, data)
			}
		}
	}
	return assignments, exemptions
}

// progress is the stderr progress display.
type progress struct {
	bar              *progressbar.ProgressBar
	mu               sync.Mutex
	subs, subsDone   int
	servers, srvDone int
}

func (s *scanner) progress(subs int) *progress {
	p := &progress{subs: subs}
	if s.opt.Progress == nil {
		return p
	}
	p.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(s.opt.Progress),
		progressbar.OptionSetDescription(p.describe()), progressbar.OptionSpinnerType(14),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	return p
}

func (p *progress) describe() string {
	return fmt.Sprintf("azure: subscriptions %d/%d, servers %d/%d", p.subsDone, p.subs, p.srvDone, p.servers)
}

func (p *progress) update(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	if p.bar != nil {
		p.bar.Describe(p.describe())
		_ = p.bar.Add(1)
	}
}

func (p *progress) total(n int) { p.update(func() { p.servers = n }) }
func (p *progress) subDone()    { p.update(func() { p.subsDone++ }) }
func (p *progress) serverDone() { p.update(func() { p.srvDone++ }) }
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
