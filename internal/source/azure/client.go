package azure

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// TokenEnv is the environment variable whose bearer token, when set, is
// used instead of the default credential chain.
const TokenEnv = "AZURE_ACCESS_TOKEN"

// Clouds are the sovereign clouds --cloud names.
var Clouds = map[string]cloud.Configuration{
	"azurepublic":       cloud.AzurePublic,
	"azurechina":        cloud.AzureChina,
	"azureusgovernment": cloud.AzureGovernment,
}

// StaticToken is an azcore.TokenCredential that returns one bearer token,
// as pipelines that already hold a token (AZURE_ACCESS_TOKEN) need. Its
// String method never shows the token.
type StaticToken struct{ token string }

// NewStaticToken returns a credential that always answers token.
func NewStaticToken(token string) *StaticToken { return &StaticToken{token: strings.TrimSpace(token)} }

// GetToken returns the token, valid for an hour from now as far as azcore
// is concerned (the token's real expiry is the server's business).
func (s *StaticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: s.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// String hides the token.
func (s *StaticToken) String() string { return "StaticToken(REDACTED)" }

// GoString hides the token from %#v too.
func (s *StaticToken) GoString() string { return s.String() }

// Credential returns the credential a scan uses: the bearer token in
// AZURE_ACCESS_TOKEN when it is set, otherwise azidentity's default
// credential chain for tenant (may be empty).
func Credential(tenant string, cfg cloud.Configuration) (azcore.TokenCredential, error) {
	if tok, ok := os.LookupEnv(TokenEnv); ok && strings.TrimSpace(tok) != "" {
		return NewStaticToken(tok), nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
		TenantID:      tenant,
		ClientOptions: policy.ClientOptions{Cloud: cfg},
	})
	if err != nil {
		return nil, fmt.Errorf("azure credential: %w", err)
	}
	return cred, nil
}

// cloudConfig resolves --cloud and --arm-endpoint.
func cloudConfig(name, endpoint string) (cfg cloud.Configuration, insecure bool, err error) {
	cfg = cloud.AzurePublic
	if name != "" {
		c, ok := Clouds[strings.ToLower(name)]
		if !ok {
			return cfg, false, fmt.Errorf("--cloud: %q is not one of AzurePublic, AzureChina, AzureUSGovernment", name)
		}
		cfg = c
	}
	if endpoint == "" {
		return cfg, false, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return cfg, false, fmt.Errorf("--arm-endpoint: %q is not an absolute URL", endpoint)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return cfg, false, fmt.Errorf("--arm-endpoint: plain http is allowed only on loopback (localhost, 127.0.0.0/8, ::1), not %s; use https", u.Hostname())
		}
		insecure = true
	default:
		return cfg, false, fmt.Errorf("--arm-endpoint: scheme %q is not http or https", u.Scheme)
	}
	rm := cfg.Services[cloud.ResourceManager]
	services := map[cloud.ServiceName]cloud.ServiceConfiguration{}
	for k, v := range cfg.Services {
		services[k] = v
	}
	services[cloud.ResourceManager] = cloud.ServiceConfiguration{Endpoint: strings.TrimRight(endpoint, "/"), Audience: rm.Audience}
	cfg.Services = services
	return cfg, insecure, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientOptions are the options every SDK client of one scan shares: the
// cloud, the retry policy (429 Retry-After honoured, transient 5xx and
// network errors retried with exponential backoff and jitter) and a
// per-try policy that bounds the calls in flight.
func (s *scanner) clientOptions() *azarm.ClientOptions {
	retry := policy.RetryOptions{MaxRetries: 4, RetryDelay: 500 * time.Millisecond, MaxRetryDelay: 60 * time.Second,
		StatusCodes: []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}}
	if s.opt.retryDelay > 0 {
		retry.RetryDelay = s.opt.retryDelay
	}
	return &azarm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud:                           s.cloud,
			Retry:                           retry,
			PerRetryPolicies:                []policy.Policy{s.limit},
			InsecureAllowCredentialWithHTTP: s.insecure,
			Transport:                       s.opt.transport,
			// The logging policy redacts every header not listed here and
			// never logs bodies; Authorization is never listed.
			Logging: policy.LogOptions{IncludeBody: false},
		},
		DisableRPRegistration: true,
	}
}

// limiter is a pipeline policy that holds one of n slots for each HTTP
// try, so that at most n calls are in flight across the scan. The retry
// policy's back-off waits outside the slot.
type limiter struct {
	slots chan struct{}
	count *atomic.Int64
}

func (l limiter) Do(req *policy.Request) (*http.Response, error) {
	select {
	case l.slots <- struct{}{}:
	case <-req.Raw().Context().Done():
		return nil, req.Raw().Context().Err()
	}
	defer func() { <-l.slots }()
	l.count.Add(1)
	return req.Next()
}

// rawGet GETs an ARM path (with its query) or an absolute nextLink and
// returns the decoded body.
func (s *scanner) rawGet(ctx context.Context, pathOrURL string) (map[string]any, error) {
	u := pathOrURL
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = runtime.JoinPaths(s.raw.Endpoint(), pathOrURL)
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := s.raw.Pipeline().Do(req)
	if err != nil {
		return nil, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return nil, runtime.NewResponseError(resp)
	}
	var out map[string]any
	if err := runtime.UnmarshalAsJSON(resp, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// rawList follows a REST list's nextLink pages and returns every item.
func (s *scanner) rawList(ctx context.Context, path string) ([]map[string]any, error) {
	var out []map[string]any
	next := path
	for pages := 0; next != "" && pages < 10000; pages++ {
		body, err := s.rawGet(ctx, next)
		if err != nil {
			return out, err
		}
		list, _ := body["value"].([]any)
		for _, it := range list {
			if m, ok := it.(map[string]any); ok {
				out = append(out, m)
			}
		}
		next, _ = body["nextLink"].(string)
	}
	return out, nil
}

// statusOf returns the HTTP status and ARM error code of an SDK error, or
// 0 for a network or context error.
func statusOf(err error) (int, string) {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode, re.ErrorCode
	}
	return 0, ""
}

// describe is a one-line description of an SDK error, without the request
// headers (the multi-line azcore message also names the URL, which is
// harmless but long).
func describe(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		msg := fmt.Sprintf("%d %s", re.StatusCode, http.StatusText(re.StatusCode))
		if re.ErrorCode != "" {
			msg += " (" + re.ErrorCode + ")"
		}
		return msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline exceeded"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "unreachable: " + ue.Err.Error()
	}
	return err.Error()
}
