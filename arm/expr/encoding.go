package expr

import (
	"encoding/base64"
	"net/url"
	"strings"
)

func init() { coreGroups = append(coreGroups, encodingFuncs) }

// encodingFuncs convert strings to and from base64, data URIs and URI
// components, and build URIs.
var encodingFuncs = []*Func{
	{Name: "base64", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("base64", args, 0)
		return base64.StdEncoding.EncodeToString([]byte(s)), err
	}},
	{Name: "base64ToString", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		b, err := decodeBase64("base64ToString", args)
		return string(b), err
	}},
	{Name: "base64ToJson", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		b, err := decodeBase64("base64ToJson", args)
		if err != nil {
			return nil, err
		}
		if err := c.decodeRoom("base64ToJson", string(b)); err != nil {
			return nil, err
		}
		v, err := DecodeJSON(b)
		if err != nil {
			return nil, Errorf("base64ToJson", "the decoded value is not valid JSON: %v", err)
		}
		return v, nil
	}},
	{Name: "dataUri", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("dataUri", args, 0)
		return "data:text/plain;charset=utf8;base64," + base64.StdEncoding.EncodeToString([]byte(s)), err
	}},
	{Name: "dataUriToString", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("dataUriToString", args, 0)
		if err != nil {
			return nil, err
		}
		rest, ok := strings.CutPrefix(s, "data:")
		comma := strings.IndexByte(rest, ',')
		if !ok || comma < 0 {
			return nil, Errorf("dataUriToString", "%q is not a data URI", s)
		}
		meta, data := rest[:comma], rest[comma+1:]
		if strings.HasSuffix(strings.ToLower(meta), ";base64") {
			b, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				return nil, Errorf("dataUriToString", "the data URI has invalid base64 content")
			}
			return string(b), nil
		}
		out, err := url.PathUnescape(data)
		if err != nil {
			return nil, Errorf("dataUriToString", "the data URI has invalid escapes")
		}
		return out, nil
	}},
	{Name: "uri", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		base, rel, err := twoStrings("uri", args)
		if err != nil {
			return nil, err
		}
		b, err := url.Parse(base)
		if err != nil || !b.IsAbs() || b.Host == "" {
			return nil, Errorf("uri", "invalid URI format: %s", base)
		}
		r, err := url.Parse(rel)
		if err != nil {
			return nil, Errorf("uri", "unable to create a URI from %q", rel)
		}
		return b.ResolveReference(r).String(), nil
	}},
	{Name: "uriComponent", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("uriComponent", args, 0)
		return EscapeDataString(s), err
	}},
	{Name: "uriComponentToString", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("uriComponentToString", args, 0)
		if err != nil {
			return nil, err
		}
		out, err := url.PathUnescape(s)
		if err != nil {
			return nil, Errorf("uriComponentToString", "%q has an invalid escape", s)
		}
		return out, nil
	}},
	{Name: "join", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		a, err := argArray("join", args, 0)
		if err != nil {
			return nil, err
		}
		sep, err := argString("join", args, 1)
		if err != nil {
			return nil, err
		}
		n := len(sep) * len(a)
		for _, x := range a {
			if s, ok := x.(string); ok {
				n += len(s)
			}
		}
		if err := c.room("join", 0, int64(n)); err != nil {
			return nil, err
		}
		parts := make([]string, len(a))
		for i, x := range a {
			switch v := x.(type) {
			case string:
				parts[i] = v
			case []any, map[string]any:
				return nil, Errorf("join", "the array element %d is %s; only strings, numbers and booleans can be joined", i, TypeName(x))
			default:
				parts[i] = ToString(v)
			}
		}
		return strings.Join(parts, sep), nil
	}},
}

func decodeBase64(fn string, args []any) ([]byte, error) {
	s, err := argString(fn, args, 0)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err2 == nil {
			return b, nil
		}
		return nil, Errorf(fn, "%q is not valid base64", s)
	}
	return b, nil
}

// EscapeDataString percent-encodes every byte except the RFC 3986
// unreserved characters, as .NET's Uri.EscapeDataString does: the result
// of the template function uriComponent().
func EscapeDataString(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
