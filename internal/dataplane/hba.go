package dataplane

import (
	"fmt"
	"net"
	"slices"
	"strings"
)

// hbaRule is one valid row of pg_hba_file_rules.
type hbaRule struct {
	Line      int
	Type      string
	Databases []string
	Users     []string
	Address   string
	Netmask   string
	Method    string
}

// String renders the rule as a pg_hba.conf line with its line number.
func (r hbaRule) String() string {
	addr := r.Address
	if r.Netmask != "" {
		if ones, ok := maskBits(r.Netmask); ok {
			addr = fmt.Sprintf("%s/%d", r.Address, ones)
		} else {
			addr += " " + r.Netmask
		}
	}
	s := fmt.Sprintf("line %d: %s %s %s", r.Line, r.Type, strings.Join(r.Databases, ","), strings.Join(r.Users, ","))
	if addr != "" {
		s += " " + addr
	}
	return s + " " + r.Method
}

// connClass is a kind of client connection that pg_hba.conf tells apart.
type connClass uint8

const (
	classLocal connClass = 1 << iota // unix socket
	classSSL                         // TCP with TLS
	classGSS                         // TCP with GSSAPI encryption
	classPlain                       // TCP without encryption
)

func typeClasses(t string) connClass {
	switch t {
	case "local":
		return classLocal
	case "host":
		return classSSL | classGSS | classPlain
	case "hostssl":
		return classSSL
	case "hostnossl":
		return classGSS | classPlain
	case "hostgssenc":
		return classGSS
	case "hostnogssenc":
		return classSSL | classPlain
	}
	return 0
}

// hbaReach is a rule with the connection classes that can still reach it
// once every earlier rule has had its chance to match first.
type hbaReach struct {
	Rule    hbaRule
	Classes connClass
}

// reachable evaluates rules in first-match order. An earlier rule whose
// databases, users and addresses include a later rule's takes the
// connection classes it matches away from the later rule: a `host ... md5`
// line behind `hostnossl all all 0.0.0.0/0 reject` is reachable only over
// TLS. Rules that are only partly covered stay reachable (the analysis errs
// toward reporting).
func reachable(rules []hbaRule) []hbaReach {
	out := make([]hbaReach, 0, len(rules))
	for i, r := range rules {
		cls := typeClasses(r.Type)
		for _, e := range rules[:i] {
			if cls == 0 {
				break
			}
			if hbaCovers(e, r) {
				cls &^= typeClasses(e.Type)
			}
		}
		out = append(out, hbaReach{Rule: r, Classes: cls})
	}
	return out
}

// hbaCovers reports whether every connection that matches l's databases,
// users and address also matches e's.
func hbaCovers(e, l hbaRule) bool {
	return listCovers(e.Databases, l.Databases, true) && listCovers(e.Users, l.Users, false) && addrCovers(e, l)
}

func listCovers(e, l []string, databases bool) bool {
	if slices.Contains(e, "all") {
		// "all" does not match replication connections.
		return !databases || !slices.Contains(l, "replication") || slices.Contains(e, "replication")
	}
	if slices.Contains(l, "all") {
		return false
	}
	for _, x := range l {
		if !slices.Contains(e, x) {
			return false
		}
	}
	return true
}

func addrCovers(e, l hbaRule) bool {
	if e.Type == "local" || l.Type == "local" {
		return true // no address; the classes decide
	}
	if e.Address == "all" {
		return true
	}
	if l.Address == "all" {
		return false
	}
	en, eok := ipNet(e.Address, e.Netmask)
	ln, lok := ipNet(l.Address, l.Netmask)
	if !eok || !lok {
		return e.Address == l.Address && e.Netmask == l.Netmask
	}
	eOnes, eBits := en.Mask.Size()
	lOnes, lBits := ln.Mask.Size()
	return eBits == lBits && eOnes <= lOnes && en.Contains(ln.IP)
}

func ipNet(addr, mask string) (*net.IPNet, bool) {
	ip := net.ParseIP(addr)
	m := net.ParseIP(mask)
	if ip == nil || m == nil {
		return nil, false
	}
	if v4 := ip.To4(); v4 != nil {
		m4 := m.To4()
		if m4 == nil {
			return nil, false
		}
		return &net.IPNet{IP: v4.Mask(net.IPMask(m4)), Mask: net.IPMask(m4)}, true
	}
	return &net.IPNet{IP: ip.Mask(net.IPMask(m.To16())), Mask: net.IPMask(m.To16())}, true
}

func maskBits(mask string) (int, bool) {
	m := net.ParseIP(mask)
	if m == nil {
		return 0, false
	}
	if m4 := m.To4(); m4 != nil {
		ones, bits := net.IPMask(m4).Size()
		return ones, bits != 0
	}
	ones, bits := net.IPMask(m.To16()).Size()
	return ones, bits != 0
}

// hbaFindings lists the reachable rules that satisfy bad, as strings.
func hbaFindings(rules []hbaRule, bad func(hbaReach) bool) []string {
	out := []string{}
	for _, r := range reachable(rules) {
		if r.Classes != 0 && bad(r) {
			out = append(out, r.Rule.String())
		}
	}
	return out
}
