package monitor

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRefusedAddress classifies addresses without connecting anywhere.
func TestRefusedAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1":                 "loopback",
		"127.8.9.10":                "loopback",
		"::1":                       "loopback",
		"::ffff:127.0.0.1":          "loopback",
		"169.254.169.254":           "link-local",
		"fe80::1":                   "link-local",
		"10.1.2.3":                  "private",
		"172.16.0.1":                "private",
		"192.168.1.1":               "private",
		"fd00:ec2::254":             "private",
		"fc00::1":                   "private",
		"100.64.0.1":                "shared (CGNAT)",
		"100.127.255.254":           "shared (CGNAT)",
		"0.0.0.0":                   "unspecified",
		"0.1.2.3":                   "unspecified",
		"::":                        "unspecified",
		"224.0.0.1":                 "link-local",
		"ff02::1":                   "link-local",
		"239.1.2.3":                 "multicast",
		"255.255.255.255":           "reserved",
		"64:ff9b::a9fe:a9fe":        "link-local (through NAT64)",
		"2002:7f00:1::1":            "loopback (through 6to4)",
		"8.8.8.8":                   "",
		"100.128.0.1":               "",
		"2606:4700:4700::1111":      "",
		"64:ff9b::808:808":          "",
		"172.32.0.1":                "",
		"::ffff:169.254.169.254":    "link-local",
		"fe80::a9fe:a9fe%eth0":      "link-local",
		"2001:db8::1":               "",
		"192.0.0.170":               "reserved",
		"198.18.0.1":                "reserved",
		"100.63.255.255":            "",
		"fec0::1":                   "",
		"ff05::2":                   "multicast",
		"::ffff:10.0.0.1":           "private",
		"::ffff:100.64.0.1":         "shared (CGNAT)",
		"2002:a9fe:a9fe::1":         "link-local (through 6to4)",
		"64:ff9b:1::a00:1":          "private (through NAT64)",
		"2001:4860:4860::8888":      "",
		"203.0.113.9":               "",
		"fd12:3456:789a:1::1":       "private",
		"::ffff:0.0.0.0":            "unspecified",
		"ff01::1":                   "multicast",
		"fe80::1%lo":                "link-local",
		"169.254.0.1":               "link-local",
		"100.100.100.200":           "shared (CGNAT)",
		"fd00:a9fe:a9fe::a9fe:a9fe": "private",
	} {
		ip, err := netip.ParseAddr(addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if got := refusedAddress(ip); got != want {
			t.Errorf("refusedAddress(%s) = %q, want %q", addr, got, want)
		}
	}
}

// TestWebhookAddressPolicy: a webhook URL naming a non-public address is
// refused when the configuration is read, naming the line; a name that
// resolves to loopback is refused when dialled, without a request; a
// redirect is never followed, so the body and signature reach only the
// configured URL; allowPrivate lets a webhook reach loopback.
func TestWebhookAddressPolicy(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:9/x", "http://169.254.169.254/latest", "http://[::1]/x", "https://10.0.0.8/x",
		"http://100.64.1.1/x", "http://[fd00::1]/x", "http://0.0.0.0/x", "http://[fe80::1]/x"} {
		_, err := ParseConfig("pgbaseline.yaml", []byte("webhooks:\n  - {url: \""+u+"\", secretEnv: S}\n"))
		if err == nil || !strings.Contains(err.Error(), "pgbaseline.yaml:2: webhooks[0]: url ") ||
			!strings.Contains(err.Error(), "unless the webhook sets allowPrivate: true") {
			t.Errorf("%s: err = %v, want a refusal naming the line and allowPrivate", u, err)
		}
		if _, err := ParseConfig("pgbaseline.yaml", []byte("webhooks:\n  - {url: \""+u+"\", secretEnv: S, allowPrivate: true}\n")); err != nil {
			t.Errorf("%s with allowPrivate: %v", u, err)
		}
	}

	t.Setenv("PGB_TEST_SECRET", "k")
	var hits, stolen atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	defer elsewhere.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer hook.Close()
	m := &Monitor{opts: options{httpClient: &http.Client{Timeout: 10 * time.Second}, webhookBackoff: time.Millisecond, webhookTries: 3}}
	body := []byte(`{"event":"regression"}`)

	// "localhost" is a name: it passes the configuration check and is
	// refused at dial time.
	hu, _ := url.Parse(hook.URL)
	byName := "http://localhost:" + hu.Port() + "/hook"
	if _, err := ParseConfig("", []byte("webhooks:\n  - {url: \""+byName+"\", secretEnv: S}\n")); err != nil {
		t.Fatal(err)
	}
	err := m.deliver(bg, Webhook{URL: byName, SecretEnv: "PGB_TEST_SECRET"}, body)
	var blocked *blockedAddressError
	if !errors.As(err, &blocked) || !strings.Contains(err.Error(), "a loopback address (set allowPrivate: true on the webhook to allow it)") {
		t.Errorf("a name resolving to loopback: err = %v, want the address refused", err)
	}
	if hits.Load() != 0 {
		t.Errorf("the refused webhook got %d requests", hits.Load())
	}

	// Allowed, the webhook is reached once, and its redirect is not
	// followed (nor retried).
	err = m.deliver(bg, Webhook{URL: hook.URL + "/hook", SecretEnv: "PGB_TEST_SECRET", AllowPrivate: true}, body)
	var refused *refusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "HTTP 307: redirects are not followed") {
		t.Errorf("a redirecting webhook: err = %v, want the redirect refused", err)
	}
	if hits.Load() != 1 || stolen.Load() != 0 {
		t.Errorf("the webhook got %d requests and the redirect target %d, want 1 and 0", hits.Load(), stolen.Load())
	}
}
