package expr

import (
	"math"
	"strconv"
	"strings"
)

// formatFunc implements format(formatString, args...): .NET composite
// formatting, with items {index[,alignment][:formatString]} and "{{", "}}"
// for literal braces. Numbers take the standard .NET numeric format
// specifiers (N, D, F, X, P, E, G, C) with the invariant culture, and
// simple custom patterns such as "0.00" and "#,##0".
func formatFunc(c *Context, args []any) (any, error) {
	f, err := argString("format", args, 0)
	if err != nil {
		return nil, err
	}
	vals := args[1:]
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		ch := f[i]
		switch ch {
		case '{':
			if i+1 < len(f) && f[i+1] == '{' {
				b.WriteByte('{')
				i++
				continue
			}
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return nil, Errorf("format", "the format string %q has an unclosed '{'", f)
			}
			item := f[i+1 : i+end]
			i += end
			s, err := formatItem(c, item, vals)
			if err != nil {
				return nil, err
			}
			if err := c.room("format", 0, int64(b.Len()+len(s))); err != nil {
				return nil, err
			}
			b.WriteString(s)
		case '}':
			if i+1 < len(f) && f[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return nil, Errorf("format", "the format string %q has an unmatched '}'", f)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

func formatItem(c *Context, item string, vals []any) (string, error) {
	spec := ""
	if k := strings.IndexByte(item, ':'); k >= 0 {
		item, spec = item[:k], item[k+1:]
	}
	align := 0
	if k := strings.IndexByte(item, ','); k >= 0 {
		a, err := strconv.Atoi(strings.TrimSpace(item[k+1:]))
		if err != nil {
			return "", Errorf("format", "invalid alignment in {%s}", item)
		}
		align, item = a, item[:k]
	}
	idx, err := strconv.Atoi(strings.TrimSpace(item))
	if err != nil || idx < 0 {
		return "", Errorf("format", "invalid format item {%s}", item)
	}
	if idx >= len(vals) {
		return "", Errorf("format", "the format item {%d} has no argument: %d given", idx, len(vals))
	}
	s, err := formatValue(c, vals[idx], spec)
	if err != nil {
		return "", err
	}
	if a := int64(max(align, -align)); a > int64(len(s)) {
		if err := c.room("format", 0, a); err != nil {
			return "", err
		}
	}
	if n := utf16Len(s); align > n {
		s = strings.Repeat(" ", align-n) + s
	} else if -align > n {
		s += strings.Repeat(" ", -align-n)
	}
	return s, nil
}

func formatValue(c *Context, v any, spec string) (string, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return "True", nil
		}
		return "False", nil
	case string:
		return x, nil
	case nil:
		return "", nil
	}
	f, ok := AsFloat(v)
	if !ok || spec == "" {
		return c.toString("format", v)
	}
	return formatNumber(c, v, f, spec)
}

func formatNumber(c *Context, v any, f float64, spec string) (string, error) {
	letter := spec[0]
	prec := -1
	if len(spec) > 1 {
		p, err := strconv.Atoi(spec[1:])
		if err != nil {
			return formatCustom(f, spec), nil
		}
		prec = p
		if prec > 64 {
			if err := c.room("format", 0, int64(prec)); err != nil {
				return "", err
			}
		}
	}
	if !((letter >= 'a' && letter <= 'z') || (letter >= 'A' && letter <= 'Z')) {
		return formatCustom(f, spec), nil
	}
	def := func(d int) int {
		if prec < 0 {
			return d
		}
		return prec
	}
	i, isInt := AsInt(v)
	switch letter {
	case 'N', 'n':
		return group(strconv.FormatFloat(f, 'f', def(2), 64)), nil
	case 'F', 'f':
		return strconv.FormatFloat(f, 'f', def(2), 64), nil
	case 'D', 'd':
		if !isInt {
			return "", Errorf("format", "the format %q needs an integer", spec)
		}
		neg := i < 0
		s := strconv.FormatUint(absU(i), 10)
		if len(s) < prec {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		if neg {
			s = "-" + s
		}
		return s, nil
	case 'X', 'x':
		if !isInt {
			return "", Errorf("format", "the format %q needs an integer", spec)
		}
		s := strconv.FormatUint(uint64(i), 16)
		if letter == 'X' {
			s = strings.ToUpper(s)
		}
		if len(s) < prec {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		return s, nil
	case 'P', 'p':
		return group(strconv.FormatFloat(f*100, 'f', def(2), 64)) + " %", nil
	case 'C', 'c':
		s := group(strconv.FormatFloat(math.Abs(f), 'f', def(2), 64))
		if f < 0 {
			return "(¤" + s + ")", nil
		}
		return "¤" + s, nil
	case 'E', 'e':
		s := strconv.FormatFloat(f, 'e', def(6), 64)
		// .NET writes at least three exponent digits: 1.234568E+003.
		if k := strings.LastIndexAny(s, "+-"); k > 0 {
			exp := s[k+1:]
			for len(exp) < 3 {
				exp = "0" + exp
			}
			s = s[:k+1] + exp
		}
		if letter == 'E' {
			s = strings.ToUpper(s)
		}
		return s, nil
	case 'G', 'g', 'R', 'r':
		if isInt {
			return strconv.FormatInt(i, 10), nil
		}
		return strconv.FormatFloat(f, 'g', prec, 64), nil
	}
	return formatCustom(f, spec), nil
}

func absU(i int64) uint64 {
	if i < 0 {
		return uint64(-i)
	}
	return uint64(i)
}

// group inserts thousands separators into a decimal number.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	if k := strings.IndexByte(s, '.'); k >= 0 {
		intPart, frac = s[:k], s[k:]
	}
	var b strings.Builder
	for i, ch := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	out := b.String() + frac
	if neg {
		out = "-" + out
	}
	return out
}

// formatCustom handles simple custom numeric patterns: '0' and '#' digit
// placeholders, ',' grouping, one '.', and literal text around them.
func formatCustom(f float64, spec string) string {
	start := strings.IndexAny(spec, "0#")
	if start < 0 {
		return spec
	}
	end := start
	for end < len(spec) && strings.IndexByte("0#,.", spec[end]) >= 0 {
		end++
	}
	prefix, pat, suffix := spec[:start], spec[start:end], spec[end:]
	intPat, fracPat := pat, ""
	if k := strings.IndexByte(pat, '.'); k >= 0 {
		intPat, fracPat = pat[:k], pat[k+1:]
	}
	grouping := strings.Contains(intPat, ",")
	minInt := strings.Count(intPat, "0")
	minFrac := strings.Count(fracPat, "0")
	maxFrac := minFrac + strings.Count(fracPat, "#")
	s := strconv.FormatFloat(math.Abs(f), 'f', maxFrac, 64)
	ip, fp := s, ""
	if k := strings.IndexByte(s, '.'); k >= 0 {
		ip, fp = s[:k], s[k+1:]
	}
	for len(fp) > minFrac && strings.HasSuffix(fp, "0") {
		fp = fp[:len(fp)-1]
	}
	if ip == "0" && minInt == 0 {
		ip = ""
	}
	for len(ip) < minInt {
		ip = "0" + ip
	}
	if grouping {
		ip = group(ip)
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if f < 0 && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return prefix + out + suffix
}
