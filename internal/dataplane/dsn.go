package dataplane

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// redactedMark replaces every secret RedactDSN removes.
const redactedMark = "xxxxx"

// secretKeys are the connection-string keys whose values are secrets.
var secretKeys = map[string]bool{"password": true, "sslpassword": true}

// RedactDSN returns dsn with every password removed: the password of a URL's
// user information, password= and sslpassword= query parameters, and the same
// keys of a key=value string, quoted or not. Anything it cannot parse is
// redacted from the first secret key to the end, so a password never survives.
func RedactDSN(dsn string) string {
	if isURL(dsn) {
		return redactURL(dsn)
	}
	out, ok := redactKeyValue(dsn)
	if !ok {
		return redactFallback(dsn)
	}
	return out
}

func isURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// queryPassword finds password= and sslpassword= query parameters. The
// value runs to the next '&': a '#' in a DSN is more likely part of a
// password than a fragment, which a DSN has no use for.
var queryPassword = regexp.MustCompile(`(?i)([?&](?:ssl)?password=)[^&]*`)

func redactURL(dsn string) string {
	scheme, rest, _ := strings.Cut(dsn, "://")
	rest = redactURLRest(rest)
	return scheme + "://" + rest
}

// redactURLRest redacts the query's passwords, then the user
// information's: a query password may hold an '@' too.
func redactURLRest(rest string) string {
	rest = queryPassword.ReplaceAllString(rest, "${1}"+redactedMark)
	if start, end, ok := urlPassword(rest); ok {
		rest = rest[:start] + redactedMark + rest[end:]
	}
	return rest
}

// urlPassword finds the password of a URL's user information in rest (the
// URL after "://"): rest[start:end], between the first ':' of the user
// information and its last '@'. A password may hold characters that end
// the authority ('/', '?', '#') or an unescaped '@', which parsers read
// differently (pgx ends the user information at the first '@'). When an
// '@' follows a '/', '?' or '#', it is not clear where the user
// information ends, so the password is taken to end at the last '@' of
// the whole URL: more may be hidden than the password, never less.
func urlPassword(rest string) (start, end int, ok bool) {
	hostEnd := strings.IndexAny(rest, "/?#")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	at := strings.LastIndex(rest[:hostEnd], "@")
	if strings.Contains(rest[hostEnd:], "@") {
		at = strings.LastIndex(rest, "@")
	}
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return 0, 0, false
	}
	return colon + 1, at, true
}

// URLPasswordProblem says why the password written in a postgres:// URL
// cannot be read unambiguously, or "" when it can (or the DSN is not a URL
// with a password). A password holding '@', '/', '?', '#' or white space
// must be percent-encoded; unencoded, drivers split the URL elsewhere than
// the writer meant, and would show a piece of the password as a host name
// in their errors. The message never quotes the password.
func URLPasswordProblem(dsn string) string {
	if !isURL(dsn) {
		return ""
	}
	_, rest, _ := strings.Cut(dsn, "://")
	rest = queryPassword.ReplaceAllString(rest, "${1}"+redactedMark)
	start, end, ok := urlPassword(rest)
	if !ok {
		return ""
	}
	if strings.ContainsAny(rest[start:end], "@/?# \t\r\n\f\v") {
		return "the password in the URL holds '@', '/', '?', '#' or a space, which must be percent-encoded " +
			"(%40, %2F, %3F, %23, %20); or leave it out of the URL and use PGPASSWORD or ~/.pgpass"
	}
	return ""
}

// kvPair is one key=value pair of a libpq keyword/value string.
type kvPair struct{ key, value string }

// parseKeyValue splits a libpq keyword/value string. ok is false when the
// string is malformed (a key without '=', an unterminated quote).
func parseKeyValue(s string) (pairs []kvPair, ok bool) {
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return pairs, true
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' || key == "" {
			return pairs, false
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '\'' {
					closed = true
					i++
					break
				}
				val.WriteByte(c)
				i++
			}
			if !closed {
				return pairs, false
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				val.WriteByte(c)
				i++
			}
		}
		pairs = append(pairs, kvPair{key: key, value: val.String()})
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func redactKeyValue(dsn string) (string, bool) {
	pairs, ok := parseKeyValue(dsn)
	if !ok {
		return "", false
	}
	parts := make([]string, 0, len(pairs))
	for _, p := range pairs {
		v := p.value
		if secretKeys[strings.ToLower(p.key)] {
			v = redactedMark
		} else if fallbackSecret.MatchString(v) {
			// "key= password=x" makes "password=x" the value of key, as libpq
			// reads it; redact it anyway.
			v = redactFallback(v)
		}
		parts = append(parts, p.key+"="+quoteValue(v))
	}
	return strings.Join(parts, " "), true
}

func quoteValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r\f\v'\\") {
		return v
	}
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `'`, `\'`)
	return "'" + v + "'"
}

var fallbackSecret = regexp.MustCompile(`(?is)((?:ssl)?password\s*=).*$`)

func redactFallback(dsn string) string {
	return fallbackSecret.ReplaceAllString(dsn, "${1}"+redactedMark)
}

// dsnSecrets returns the secrets written in dsn (passwords), so that error
// messages from lower layers can be scrubbed of them.
func dsnSecrets(dsn string) []string {
	var out []string
	if isURL(dsn) {
		_, rest, _ := strings.Cut(dsn, "://")
		for _, m := range queryPassword.FindAllString(rest, -1) {
			_, v, _ := strings.Cut(m, "=")
			if v != "" {
				out = append(out, v)
				if dec, err := url.QueryUnescape(v); err == nil && dec != v {
					out = append(out, dec)
				}
			}
		}
		rest = queryPassword.ReplaceAllString(rest, "${1}"+redactedMark)
		if start, end, ok := urlPassword(rest); ok && end > start {
			pw := rest[start:end]
			out = append(out, pw)
			if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
				out = append(out, dec)
			}
			// Parsers that split the password elsewhere show its pieces.
			out = append(out, strings.FieldsFunc(pw, func(r rune) bool { return strings.ContainsRune("@:/?# ", r) })...)
		}
		return out
	}
	pairs, _ := parseKeyValue(dsn)
	for _, p := range pairs {
		if secretKeys[strings.ToLower(p.key)] && p.value != "" {
			out = append(out, p.value)
		}
	}
	// A password written unquoted with spaces is read as the password and
	// more keys: the words after it, up to the next known keyword, are
	// pieces of it that a parser's error may quote.
	for _, loc := range kvSecretKey.FindAllStringIndex(dsn, -1) {
		for i, w := range strings.Fields(dsn[loc[1]:]) {
			if i > 0 && knownKeyword(w) {
				break
			}
			out = append(out, strings.Trim(w, `'"`))
		}
	}
	return out
}

var kvSecretKey = regexp.MustCompile(`(?i)(?:^|\s)(?:ssl)?password\s*=\s*`)

// libpqKeywords are the connection keywords that end a run of password
// pieces.
var libpqKeywords = map[string]bool{"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true,
	"password": true, "passfile": true, "connect_timeout": true, "client_encoding": true, "options": true,
	"application_name": true, "fallback_application_name": true, "keepalives": true, "sslmode": true,
	"sslcert": true, "sslkey": true, "sslrootcert": true, "sslcrl": true, "sslpassword": true, "sslsni": true,
	"sslnegotiation": true, "target_session_attrs": true, "service": true, "channel_binding": true,
	"gssencmode": true, "krbsrvname": true, "require_auth": true, "load_balance_hosts": true,
	"min_read_buffer_size": true, "statement_cache_capacity": true, "default_query_exec_mode": true}

func knownKeyword(word string) bool {
	k, _, ok := strings.Cut(word, "=")
	return ok && libpqKeywords[strings.ToLower(k)]
}

// dsnSetting returns the value of key as written in dsn (a URL query
// parameter or a key=value pair) and whether it is present.
func dsnSetting(dsn, key string) (string, bool) {
	if isURL(dsn) {
		_, rest, _ := strings.Cut(dsn, "://")
		q := strings.IndexByte(rest, '?')
		if q < 0 {
			return "", false
		}
		query := rest[q+1:]
		if h := strings.IndexByte(query, '#'); h >= 0 {
			query = query[:h]
		}
		vals, err := url.ParseQuery(query)
		if err != nil {
			return "", false
		}
		if v, ok := vals[key]; ok && len(v) > 0 {
			return v[len(v)-1], true
		}
		return "", false
	}
	pairs, _ := parseKeyValue(dsn)
	val, found := "", false
	for _, p := range pairs {
		if p.key == key {
			val, found = p.value, true
		}
	}
	return val, found
}

// withDSNSetting returns dsn with key=value added.
func withDSNSetting(dsn, key, value string) string {
	if isURL(dsn) {
		sep := "?"
		base, frag, hasFrag := strings.Cut(dsn, "#")
		if strings.Contains(base, "?") {
			sep = "&"
		}
		out := base + sep + url.QueryEscape(key) + "=" + url.QueryEscape(value)
		if hasFrag {
			out += "#" + frag
		}
		return out
	}
	if strings.TrimSpace(dsn) == "" {
		return key + "=" + quoteValue(value)
	}
	return dsn + " " + key + "=" + quoteValue(value)
}

// scrub removes every secret from msg, longest first (so that a piece of
// a password never leaves the rest of it behind), and the passwords of any
// postgres:// URL that msg quotes.
func scrub(msg string, secrets ...string) string {
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, s := range sorted {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, redactedMark)
		}
	}
	return urlInText.ReplaceAllStringFunc(msg, redactURL)
}

// urlInText finds postgres:// URLs quoted in a message (as net/url's
// errors quote the URL they could not parse).
var urlInText = regexp.MustCompile("postgres(?:ql)?://[^\\s\"'`]*")
