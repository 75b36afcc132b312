package terraform

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

var (
	funcsOnce sync.Once
	funcs     map[string]function.Function
)

// functions returns the Terraform functions pgbaseline evaluates. Functions
// that read files or the clock, or that make random values, return unknown
// values: their results are not known before apply (or are not read).
func functions(string) map[string]function.Function {
	funcsOnce.Do(func() {
		funcs = map[string]function.Function{
			"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc, "log": stdlib.LogFunc,
			"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc,
			"signum": stdlib.SignumFunc,
			"chomp":  stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
			"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc,
			"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "replace": replaceFunc,
			"split": stdlib.SplitFunc, "strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
			"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
			"trimspace": stdlib.TrimSpaceFunc, "startswith": startsWithFunc, "endswith": endsWithFunc,
			"strcontains": strContainsFunc, "strlen": stdlib.StrlenFunc,
			"alltrue": allTrueFunc, "anytrue": anyTrueFunc, "chunklist": stdlib.ChunklistFunc,
			"coalesce": coalesceFunc, "coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
			"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc,
			"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "index": stdlib.IndexFunc,
			"keys": stdlib.KeysFunc, "length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc,
			"one": oneFunc, "range": stdlib.RangeFunc, "reverse": stdlib.ReverseListFunc,
			"setintersection": stdlib.SetIntersectionFunc, "setproduct": stdlib.SetProductFunc,
			"setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc,
			"sort": stdlib.SortFunc, "sum": sumFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
			"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": jsonDecodeFunc, "csvdecode": stdlib.CSVDecodeFunc,
			"base64encode": base64EncodeFunc, "base64decode": base64DecodeFunc, "urlencode": urlEncodeFunc,
			"formatdate": stdlib.FormatDateFunc, "timeadd": stdlib.TimeAddFunc,
			"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
			"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
			"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
			"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
			"cidrsubnet": cidrSubnetFunc, "cidrhost": cidrHostFunc, "cidrnetmask": cidrNetmaskFunc,
			"md5":      hashFunc(func(b []byte) []byte { s := md5.Sum(b); return s[:] }),
			"sha1":     hashFunc(func(b []byte) []byte { s := sha1.Sum(b); return s[:] }),
			"sha256":   hashFunc(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }),
			"basename": pathFunc(path.Base), "dirname": pathFunc(path.Dir),
			"sensitive": sensitiveFunc, "nonsensitive": nonsensitiveFunc,
			"uuid": unknownFunc("uuid() gives a new value on every run", 0), "timestamp": unknownFunc("timestamp() is read at apply", 0),
			"file": unknownFunc("file contents are not read", 1), "filebase64": unknownFunc("file contents are not read", 1),
			"templatefile": unknownFunc("template files are not read", 2), "fileexists": unknownFunc("files are not read", 1),
		}
	})
	return funcs
}

// sensitiveFunc is sensitive(): its value is masked wherever it flows.
var sensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowMarked: true, AllowUnknown: true, AllowNull: true, AllowDynamicType: true}},
	Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return args[0].Mark(sensitiveMark{name: "sensitive()"}), nil
	},
})

// nonsensitiveFunc is nonsensitive(): the value is no longer masked (the
// configuration says it may be shown).
var nonsensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowMarked: true, AllowUnknown: true, AllowNull: true, AllowDynamicType: true}},
	Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		for m := range marks {
			if _, ok := m.(sensitiveMark); !ok {
				v = v.Mark(m)
			}
		}
		return v, nil
	},
})

// jsonDecodeFunc is jsondecode, refusing a document nested deeper than
// MaxNesting (decoding recurses once per level).
var jsonDecodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type: func(args []cty.Value) (cty.Type, error) {
		if args[0].IsKnown() && !args[0].IsNull() && jsonNestingLine([]byte(args[0].AsString()), MaxNesting) > 0 {
			return cty.NilType, function.NewArgErrorf(0, "the JSON nests deeper than %d levels", MaxNesting)
		}
		return stdlib.JSONDecodeFunc.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return stdlib.JSONDecodeFunc.Call(args) },
})

var identityFunc = function.New(&function.Spec{
	Params:       []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true}},
	Type:         func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl:         func(args []cty.Value, _ cty.Type) (cty.Value, error) { return args[0], nil },
	RefineResult: nil,
})

func unknownFunc(reason string, nargs int) function.Function {
	params := make([]function.Parameter, nargs)
	for i := range params {
		params[i] = function.Parameter{Name: fmt.Sprintf("arg%d", i), Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true}
	}
	return function.New(&function.Spec{
		Params: params,
		Type:   func([]cty.Value) (cty.Type, error) { return cty.DynamicPseudoType, nil },
		Impl:   func([]cty.Value, cty.Type) (cty.Value, error) { return unknown(reason), nil },
	})
}

func stringPairFunc(f func(a, b string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "part", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

var (
	startsWithFunc  = stringPairFunc(strings.HasPrefix)
	endsWithFunc    = stringPairFunc(strings.HasSuffix)
	strContainsFunc = stringPairFunc(strings.Contains)
)

// replaceFunc is Terraform's replace: a substring wrapped in slashes is a
// regular expression.
var replaceFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}, {Name: "replace", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		str, sub, rep := args[0].AsString(), args[1].AsString(), args[2].AsString()
		if len(sub) > 1 && sub[0] == '/' && sub[len(sub)-1] == '/' {
			re, err := regexp.Compile(sub[1 : len(sub)-1])
			if err != nil {
				return cty.NilVal, fmt.Errorf("invalid regular expression")
			}
			return cty.StringVal(re.ReplaceAllString(str, rep)), nil
		}
		return cty.StringVal(strings.ReplaceAll(str, sub, rep)), nil
	},
})

func boolListFunc(all bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			res := all
			for it := args[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				if !v.IsKnown() {
					return cty.UnknownVal(cty.Bool), nil
				}
				if v.IsNull() {
					continue
				}
				if all && v.False() {
					res = false
				}
				if !all && v.True() {
					res = true
				}
			}
			return cty.BoolVal(res), nil
		},
	})
}

var (
	allTrueFunc = boolListFunc(true)
	anyTrueFunc = boolListFunc(false)
)

var oneFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty.IsListType() || ty.IsSetType():
			return ty.ElementType(), nil
		case ty.IsTupleType():
			if n := len(ty.TupleElementTypes()); n == 1 {
				return ty.TupleElementTypes()[0], nil
			}
			return cty.DynamicPseudoType, nil
		}
		return cty.NilType, fmt.Errorf("one() needs a list, set or tuple")
	},
	Impl: func(args []cty.Value, ty cty.Type) (cty.Value, error) {
		v := args[0]
		switch n := v.LengthInt(); n {
		case 0:
			return cty.NullVal(ty), nil
		case 1:
			it := v.ElementIterator()
			it.Next()
			_, e := it.Element()
			return e, nil
		}
		return cty.NilVal, fmt.Errorf("one() needs at most one element")
	},
})

var sumFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		if !v.CanIterateElements() {
			return cty.NilVal, fmt.Errorf("sum() needs a list or set of numbers")
		}
		total := cty.Zero
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			n, err := convertNumber(e)
			if err != nil {
				return cty.NilVal, err
			}
			total = total.Add(n)
		}
		return total, nil
	},
})

func convertNumber(v cty.Value) (cty.Value, error) {
	if !v.IsKnown() || v.IsNull() || !v.Type().Equals(cty.Number) {
		return cty.NilVal, fmt.Errorf("sum() needs known numbers")
	}
	return v, nil
}

var base64EncodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.NilVal, fmt.Errorf("invalid base64 data")
		}
		return cty.StringVal(string(b)), nil
	},
})

var urlEncodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(url.QueryEscape(args[0].AsString())), nil
	},
})

func hashFunc(h func([]byte) []byte) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(hex.EncodeToString(h([]byte(args[0].AsString())))), nil
		},
	})
}

func pathFunc(f func(string) string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(f(args[0].AsString())), nil
		},
	})
}

func parseCIDR(s string) (*net.IPNet, error) {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("invalid CIDR address")
	}
	return n, nil
}

func intArg(v cty.Value) (int64, error) {
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return 0, fmt.Errorf("a whole number is needed")
	}
	i, acc := bf.Int64()
	if acc != big.Exact {
		return 0, fmt.Errorf("number out of range")
	}
	return i, nil
}

var cidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "newbits", Type: cty.Number}, {Name: "netnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		n, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.NilVal, err
		}
		newbits, err := intArg(args[1])
		if err != nil {
			return cty.NilVal, err
		}
		netnum, err := intArg(args[2])
		if err != nil {
			return cty.NilVal, err
		}
		ones, bits := n.Mask.Size()
		if newbits < 0 || int64(ones)+newbits > int64(bits) {
			return cty.NilVal, fmt.Errorf("not enough remaining address space for a subnet with a prefix of %d bits", int64(ones)+newbits)
		}
		if netnum < 0 || (newbits < 63 && netnum >= int64(1)<<uint(newbits)) {
			return cty.NilVal, fmt.Errorf("netnum does not fit in %d bits", newbits)
		}
		ip := new(big.Int).SetBytes(n.IP)
		ip.Or(ip, new(big.Int).Lsh(big.NewInt(netnum), uint(int64(bits)-int64(ones)-newbits)))
		out := toIP(ip, len(n.IP))
		return cty.StringVal(fmt.Sprintf("%s/%d", out, int64(ones)+newbits)), nil
	},
})

var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "hostnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		n, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.NilVal, err
		}
		host, err := intArg(args[1])
		if err != nil {
			return cty.NilVal, err
		}
		ones, bits := n.Mask.Size()
		size := new(big.Int).Lsh(big.NewInt(1), uint(bits-ones))
		h := big.NewInt(host)
		if host < 0 {
			h.Add(size, h)
		}
		if h.Sign() < 0 || h.Cmp(size) >= 0 {
			return cty.NilVal, fmt.Errorf("prefix has no host number %d", host)
		}
		ip := new(big.Int).SetBytes(n.IP)
		ip.Add(ip, h)
		return cty.StringVal(toIP(ip, len(n.IP)).String()), nil
	},
})

var cidrNetmaskFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		n, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.NilVal, err
		}
		if len(n.Mask) != net.IPv4len {
			return cty.NilVal, fmt.Errorf("only IPv4 prefixes have a netmask")
		}
		return cty.StringVal(net.IP(n.Mask).String()), nil
	},
})

func toIP(i *big.Int, size int) net.IP {
	b := i.Bytes()
	if len(b) > size {
		b = b[len(b)-size:]
	}
	out := make(net.IP, size)
	copy(out[size-len(b):], b)
	return out
}

// coalesceFunc is Terraform's coalesce: the first argument that is neither
// null nor an empty string.
var coalesceFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "vals", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.CoalesceFunc.ReturnType(argTypes(args))
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var keep []cty.Value
		for _, a := range args {
			if a.IsKnown() && !a.IsNull() && a.Type() == cty.String && a.AsString() == "" {
				continue
			}
			keep = append(keep, a)
		}
		if len(keep) == 0 {
			return cty.NilVal, fmt.Errorf("no non-null, non-empty-string arguments")
		}
		return stdlib.CoalesceFunc.Call(keep)
	},
})

func argTypes(args []cty.Value) []cty.Type {
	out := make([]cty.Type, len(args))
	for i, a := range args {
		out[i] = a.Type()
	}
	return out
}
