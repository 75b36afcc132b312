package expr

import (
	"math/big"
	"net/netip"
	"strings"
)

func init() { coreGroups = append(coreGroups, cidrFuncs) }

// cidrFuncs work with IPv4 and IPv6 networks in CIDR notation.
// ipRangeContains is Azure Policy's; the others are template functions.
var cidrFuncs = []*Func{
	{Name: "parseCidr", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		p, err := argPrefix("parseCidr", args, 0)
		if err != nil {
			return nil, err
		}
		first, last := prefixBounds(p)
		out := map[string]any{
			"network": first.String(),
			"netmask": netmask(p).String(),
			"cidr":    int64(p.Bits()),
		}
		firstUsable, lastUsable := first, last
		if p.Addr().Is4() {
			out["broadcast"] = last.String()
			if p.Bits() < 31 {
				firstUsable, lastUsable = first.Next(), last.Prev()
			}
		}
		out["firstUsable"] = firstUsable.String()
		out["lastUsable"] = lastUsable.String()
		return out, nil
	}},
	{Name: "cidrSubnet", MinArgs: 3, MaxArgs: 3, Call: func(c *Context, args []any) (any, error) {
		p, err := argPrefix("cidrSubnet", args, 0)
		if err != nil {
			return nil, err
		}
		bits, err := argInt("cidrSubnet", args, 1)
		if err != nil {
			return nil, err
		}
		index, err := argInt("cidrSubnet", args, 2)
		if err != nil {
			return nil, err
		}
		max := int64(p.Addr().BitLen())
		if bits < int64(p.Bits()) || bits > max {
			return nil, Errorf("cidrSubnet", "the new prefix length %d must be between %d and %d", bits, p.Bits(), max)
		}
		count := new(big.Int).Lsh(big.NewInt(1), uint(bits-int64(p.Bits())))
		if index < 0 || big.NewInt(index).Cmp(count) >= 0 {
			return nil, Errorf("cidrSubnet", "the subnet index %d is out of range: %s has %s subnets of /%d", index, p, count, bits)
		}
		offset := new(big.Int).Lsh(big.NewInt(index), uint(max-bits))
		addr := addOffset(p.Masked().Addr(), offset)
		return netip.PrefixFrom(addr, int(bits)).String(), nil
	}},
	{Name: "cidrHost", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		p, err := argPrefix("cidrHost", args, 0)
		if err != nil {
			return nil, err
		}
		index, err := argInt("cidrHost", args, 1)
		if err != nil {
			return nil, err
		}
		size := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
		usable := new(big.Int).Sub(size, big.NewInt(1)) // the network address is not a host
		if p.Addr().Is4() {
			usable.Sub(usable, big.NewInt(1)) // nor the broadcast address
		}
		if index < 0 || big.NewInt(index).Cmp(usable) >= 0 {
			return nil, Errorf("cidrHost", "the host index %d is out of range for %s", index, p)
		}
		return addOffset(p.Masked().Addr(), big.NewInt(index+1)).String(), nil
	}},
	{Name: "ipRangeContains", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		r, t, err := twoStrings("ipRangeContains", args)
		if err != nil {
			return nil, err
		}
		r1, r2, ok1 := parseIPRange(r)
		t1, t2, ok2 := parseIPRange(t)
		if !ok1 || !ok2 || r1.Is4() != t1.Is4() {
			return nil, Errorf("ipRangeContains", "IP range parameters are invalid: %q, %q", r, t)
		}
		return r1.Compare(t1) <= 0 && t2.Compare(r2) <= 0, nil
	}},
}

func argPrefix(fn string, args []any, i int) (netip.Prefix, error) {
	s, err := argString(fn, args, i)
	if err != nil {
		return netip.Prefix{}, err
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, Errorf(fn, "%q is not a network in CIDR notation", s)
	}
	return p, nil
}

// prefixBounds returns the first and last address of p.
func prefixBounds(p netip.Prefix) (netip.Addr, netip.Addr) {
	first := p.Masked().Addr()
	b := first.AsSlice()
	hostBits := p.Addr().BitLen() - p.Bits()
	for i := len(b) - 1; hostBits > 0; i-- {
		n := min(hostBits, 8)
		b[i] |= byte(1<<n - 1)
		hostBits -= n
	}
	last, _ := netip.AddrFromSlice(b)
	return first, last
}

func netmask(p netip.Prefix) netip.Addr {
	b := make([]byte, p.Addr().BitLen()/8)
	for i := 0; i < p.Bits(); i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func addOffset(a netip.Addr, off *big.Int) netip.Addr {
	n := new(big.Int).SetBytes(a.AsSlice())
	n.Add(n, off)
	b := n.FillBytes(make([]byte, a.BitLen()/8))
	out, _ := netip.AddrFromSlice(b)
	return out
}

// parseIPRange reads an address, a CIDR network or "first-last" and
// returns its first and last addresses.
func parseIPRange(s string) (netip.Addr, netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Addr{}, netip.Addr{}, false
		}
		first, last := prefixBounds(p)
		return first, last, true
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		first, err1 := netip.ParseAddr(strings.TrimSpace(a))
		last, err2 := netip.ParseAddr(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || first.Is4() != last.Is4() || last.Less(first) {
			return netip.Addr{}, netip.Addr{}, false
		}
		return first, last, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, false
	}
	return a, a, true
}
