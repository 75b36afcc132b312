package dataplane

import (
	"net/url"
	"regexp"
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

var queryPassword = regexp.MustCompile(`(?i)([?&](?:ssl)?password=)[^&#]*`)

func redactURL(dsn string) string {
	scheme, rest, _ := strings.Cut(dsn, "://")
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo, hosts := authority[:at], authority[at+1:]
		if user, _, hasPW := strings.Cut(userinfo, ":"); hasPW {
			userinfo = user + ":" + redactedMark
		}
		authority = userinfo + "@" + hosts
	}
	tail = queryPassword.ReplaceAllString(tail, "${1}"+redactedMark)
	return scheme + "://" + authority + tail
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
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok && pw != "" {
				out = append(out, pw)
				if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
					out = append(out, dec)
				}
			}
		}
		for _, m := range queryPassword.FindAllString(rest[end:], -1) {
			_, v, _ := strings.Cut(m, "=")
			if v != "" {
				out = append(out, v)
				if dec, err := url.QueryUnescape(v); err == nil && dec != v {
					out = append(out, dec)
				}
			}
		}
		return out
	}
	pairs, _ := parseKeyValue(dsn)
	for _, p := range pairs {
		if secretKeys[strings.ToLower(p.key)] && p.value != "" {
			out = append(out, p.value)
		}
	}
	return out
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

// scrub removes every secret from msg.
func scrub(msg string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, redactedMark)
		}
	}
	return msg
}
