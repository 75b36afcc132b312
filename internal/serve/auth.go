package serve

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/serveconfig"
)

// Role is what a token may do.
type Role = serveconfig.Role

// The roles.
const (
	// RoleAdmin reads and triggers scans.
	RoleAdmin = serveconfig.RoleAdmin
	// RoleReader only reads.
	RoleReader = serveconfig.RoleReader
)

const (
	roleReader = RoleReader
	roleAdmin  = RoleAdmin
)

// Token is one accepted bearer token, as the configuration holds it: its
// name (shown in the audit log), its role, and the hex SHA-256 of the token.
type Token = serveconfig.Token

// HashToken returns the hex SHA-256 of a token, the form the configuration
// stores.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// principal is an authenticated caller.
type principal struct {
	name string
	role Role
	// session is set for dashboard callers.
	session *session
}

func (p principal) can(r Role) bool { return r == RoleReader || p.role == RoleAdmin }

type tokenEntry struct {
	name string
	role Role
	hash [sha256.Size]byte
}

type authenticator struct{ tokens []tokenEntry }

func newAuthenticator(tokens []Token) (*authenticator, error) {
	a := &authenticator{}
	seen := map[string]bool{}
	for i, t := range tokens {
		where := fmt.Sprintf("tokens[%d]", i)
		if t.Name == "" {
			return nil, fmt.Errorf("%s: a token needs a name", where)
		}
		where = fmt.Sprintf("tokens[%d] (%s)", i, t.Name)
		if seen[t.Name] {
			return nil, fmt.Errorf("%s: duplicate token name", where)
		}
		seen[t.Name] = true
		if t.Role != RoleAdmin && t.Role != RoleReader {
			return nil, fmt.Errorf("%s: role %q is not admin or reader", where, t.Role)
		}
		h, err := hex.DecodeString(strings.TrimSpace(t.SHA256))
		if err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("%s: sha256 must be the 64 hex digits of the token's SHA-256", where)
		}
		e := tokenEntry{name: t.Name, role: t.Role}
		copy(e.hash[:], h)
		a.tokens = append(a.tokens, e)
	}
	return a, nil
}

// check returns the principal of a presented token. Every configured hash
// is compared, in constant time, whatever matches.
func (a *authenticator) check(token string) (principal, bool) {
	if token == "" {
		return principal{}, false
	}
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], a.tokens[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return principal{}, false
	}
	return principal{name: a.tokens[found].name, role: a.tokens[found].role}, true
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// requireBearer authenticates API requests by Authorization: Bearer. A
// client address with too many recent failures is answered 429 before its
// token is even looked at, so guessing gets slower and slower.
func (s *Server) requireBearer(min Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			client := clientKey(r)
			if d := s.throttle.wait(client); d > 0 {
				writeThrottled(w, d)
				return
			}
			h := r.Header.Get("Authorization")
			scheme, tok, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				w.Header().Set("WWW-Authenticate", `Bearer realm="pgbaseline"`)
				writeError(w, http.StatusUnauthorized, "authentication required: send Authorization: Bearer <token>")
				return
			}
			p, ok := s.auth.check(strings.TrimSpace(tok))
			if !ok {
				if d := s.throttle.fail(client); d > 0 {
					s.log.Warn("authentication failures: client locked out", "remote", client, "seconds", retryAfter(d))
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="pgbaseline", error="invalid_token"`)
				writeError(w, http.StatusUnauthorized, "invalid token")
				return
			}
			s.throttle.succeed(client)
			if !p.can(min) {
				writeError(w, http.StatusForbidden, "this token's role may not do that")
				return
			}
			next.ServeHTTP(w, r.WithContext(withPrincipal(r.Context(), p)))
		})
	}
}

// requireRole rejects callers below role with 403.
func (s *Server) requireRole(min Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !principalFrom(r.Context()).can(min) {
				if strings.HasPrefix(r.URL.Path, "/api/") {
					writeError(w, http.StatusForbidden, "this token's role may not do that: an admin token is needed")
				} else {
					s.pageError(w, r, http.StatusForbidden, "Your role may not do that: an admin token is needed.")
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Dashboard sessions.

const (
	sessionCookie = "pgbaseline_session"
	loginCookie   = "pgbaseline_login"
	csrfField     = "csrf"
)

type session struct {
	id      string
	name    string
	role    Role
	csrf    string
	expires time.Time
}

// sessionStore holds dashboard sessions in memory under random IDs. A
// restart signs everyone out.
type sessionStore struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]*session
}

func newSessionStore(ttl time.Duration) *sessionStore {
	return &sessionStore{ttl: ttl, m: map[string]*session{}}
}

func randomID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (st *sessionStore) create(p principal) *session {
	now := time.Now()
	sess := &session{id: randomID(), name: p.name, role: p.role, csrf: randomID(), expires: now.Add(st.ttl)}
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, old := range st.m {
		if now.After(old.expires) {
			delete(st.m, id)
		}
	}
	st.m[sess.id] = sess
	return sess
}

func (st *sessionStore) get(id string) (*session, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sess, ok := st.m[id]
	if !ok {
		return nil, false
	}
	if time.Now().After(sess.expires) {
		delete(st.m, id)
		return nil, false
	}
	return sess, true
}

func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.m, id)
}

func (s *Server) secure(r *http.Request) bool { return s.tls || r.TLS != nil }

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r),
	})
}

// requireSession authenticates dashboard requests by the session cookie,
// sending anyone else to the sign-in form, and checks the CSRF token of
// every state-changing request.
func (s *Server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sess *session
		if c, err := r.Cookie(sessionCookie); err == nil {
			sess, _ = s.sessions.get(c.Value)
		}
		if sess == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			s.pageError(w, r, http.StatusUnauthorized, "Your session has ended. Sign in again.")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.sameOrigin(r) || !validCSRF(w, r, sess.csrf) {
				s.log.Warn("csrf check failed", "path", r.URL.Path, "actor", sess.name)
				s.pageError(w, r, http.StatusForbidden, "The form's CSRF token is missing or wrong. Reload the page and try again.")
				return
			}
		}
		p := principal{name: sess.name, role: sess.role, session: sess}
		next.ServeHTTP(w, r.WithContext(withPrincipal(r.Context(), p)))
	})
}

// validCSRF compares the form's CSRF field with want in constant time.
func validCSRF(w http.ResponseWriter, r *http.Request, want string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	got := r.PostFormValue(csrfField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sameOrigin rejects cross-origin form posts where the browser says where
// they come from (Origin, or Sec-Fetch-Site).
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return origin == scheme+"://"+r.Host
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, ok := s.sessions.get(c.Value); ok {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
	}
	// Login CSRF: the form carries a value that must match a cookie only
	// this origin can set.
	nonce := randomID()
	s.setCookie(w, r, loginCookie, nonce, 600)
	s.render(w, r, http.StatusOK, "signin", signinData{CSRF: nonce})
}

type signinData struct {
	CSRF  string
	Error string
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || !s.sameOrigin(r) || !validCSRF(w, r, c.Value) {
		s.log.Warn("sign-in form rejected", "cookie", err == nil, "sameOrigin", s.sameOrigin(r), "origin", r.Header.Get("Origin"),
			"fetchSite", r.Header.Get("Sec-Fetch-Site"))
		s.pageError(w, r, http.StatusForbidden, "The sign-in form expired or did not come from this site. Reload it and try again.")
		return
	}
	client := clientKey(r)
	if d := s.throttle.wait(client); d > 0 {
		w.Header().Set("Retry-After", retryAfter(d))
		s.pageError(w, r, http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins from this address. Try again in %s seconds.", retryAfter(d)))
		return
	}
	p, ok := s.auth.check(strings.TrimSpace(r.PostFormValue("token")))
	if ok {
		s.throttle.succeed(client)
	} else {
		s.throttle.fail(client)
		s.log.Warn("dashboard sign-in failed", "remote", r.RemoteAddr)
		nonce := randomID()
		s.setCookie(w, r, loginCookie, nonce, 600)
		s.render(w, r, http.StatusUnauthorized, "signin", signinData{CSRF: nonce, Error: "That token is not valid."})
		return
	}
	sess := s.sessions.create(p)
	s.setCookie(w, r, loginCookie, "", -1)
	s.setCookie(w, r, sessionCookie, sess.id, int(s.sessions.ttl/time.Second))
	s.audit(r.Context(), p, "session.signin", "dashboard", "role "+string(p.role))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if p.session != nil {
		s.sessions.delete(p.session.id)
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
