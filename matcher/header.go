package matcher

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// addrNode is an address expression resolved against the variables: a
// tree of prefixes, lists and negations, evaluated per packet without
// allocating.
type addrNode struct {
	neg    bool
	any    bool
	prefix netip.Prefix
	list   []*addrNode
	isList bool
}

func (n *addrNode) match(ip netip.Addr) bool {
	var m bool
	switch {
	case n.any:
		m = true
	case n.isList:
		// A list is the union of its positive items minus its negated
		// ones; a list of only negations means "anything but".
		hasPos, posHit := false, false
		for _, it := range n.list {
			if it.neg {
				inner := *it
				inner.neg = false
				if inner.match(ip) {
					return n.neg
				}
				continue
			}
			hasPos = true
			if !posHit && it.match(ip) {
				posHit = true
			}
		}
		m = posHit || !hasPos
	default:
		m = n.prefix.Contains(ip.Unmap())
	}
	if n.neg {
		return !m
	}
	return m
}

// portNode is the port counterpart of addrNode.
type portNode struct {
	neg      bool
	any      bool
	lo, hi   int
	list     []*portNode
	isList   bool
	explicit bool // not "any": the rule names ports
}

func (n *portNode) match(port uint16) bool {
	var m bool
	switch {
	case n.any:
		m = true
	case n.isList:
		hasPos, posHit := false, false
		for _, it := range n.list {
			if it.neg {
				inner := *it
				inner.neg = false
				if inner.match(port) {
					return n.neg
				}
				continue
			}
			hasPos = true
			if !posHit && it.match(port) {
				posHit = true
			}
		}
		m = posHit || !hasPos
	default:
		m = int(port) >= n.lo && int(port) <= n.hi
	}
	if n.neg {
		return !m
	}
	return m
}

// resolver resolves header variables, guarding against cycles.
type resolver struct {
	vars map[string]string
}

func newResolver(over map[string]string) *resolver {
	// Suricata 7's default suricata.yaml groups, kept in one place by
	// package rulesets.
	v := rulesets.DefaultVars()
	for k, x := range over {
		v[strings.TrimPrefix(k, "$")] = x
	}
	return &resolver{vars: v}
}

func (r *resolver) addr(a *sigparse.Addr, depth int) (*addrNode, error) {
	if a == nil {
		return &addrNode{any: true}, nil
	}
	if depth > 16 {
		return nil, fmt.Errorf("address variables nest too deep")
	}
	n := &addrNode{neg: a.Negated}
	switch {
	case a.Any:
		n.any = true
	case a.Var != "":
		val, ok := r.vars[a.Var]
		if !ok {
			return nil, fmt.Errorf("undefined address variable $%s", a.Var)
		}
		inner, err := r.addrText(val, depth+1)
		if err != nil {
			return nil, fmt.Errorf("$%s: %v", a.Var, err)
		}
		if a.Negated {
			inner = &addrNode{neg: true, isList: true, list: []*addrNode{inner}}
		}
		return inner, nil
	case a.IsList:
		n.isList = true
		for _, it := range a.List {
			c, err := r.addr(it, depth+1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, c)
		}
	default:
		n.prefix = a.Prefix.Masked()
	}
	return n, nil
}

// addrText parses the address syntax used in variable values.
func (r *resolver) addrText(s string, depth int) (*addrNode, error) {
	s = strings.TrimSpace(s)
	if depth > 16 {
		return nil, fmt.Errorf("address variables nest too deep")
	}
	n := &addrNode{}
	if strings.HasPrefix(s, "!") {
		n.neg = true
		s = strings.TrimSpace(s[1:])
	}
	switch {
	case s == "any":
		n.any = true
	case strings.HasPrefix(s, "$"):
		val, ok := r.vars[s[1:]]
		if !ok {
			return nil, fmt.Errorf("undefined address variable %s", s)
		}
		inner, err := r.addrText(val, depth+1)
		if err != nil {
			return nil, err
		}
		n.isList = true
		n.list = []*addrNode{inner}
	case strings.HasPrefix(s, "["):
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("unterminated list %q", s)
		}
		n.isList = true
		for _, it := range splitList(s[1 : len(s)-1]) {
			c, err := r.addrText(it, depth+1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, c)
		}
	default:
		p, err := parsePrefix(s)
		if err != nil {
			return nil, err
		}
		n.prefix = p
	}
	return n, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err == nil {
			return p.Masked(), nil
		}
		// Netmask form a.b.c.d/255.255.0.0.
		i := strings.IndexByte(s, '/')
		ip, err1 := netip.ParseAddr(s[:i])
		m, err2 := netip.ParseAddr(s[i+1:])
		if err1 != nil || err2 != nil || !m.Is4() {
			return netip.Prefix{}, fmt.Errorf("bad address %q", s)
		}
		b := m.As4()
		bits := 0
		for _, x := range b {
			for x&0x80 != 0 {
				bits++
				x <<= 1
			}
		}
		return netip.PrefixFrom(ip, bits).Masked(), nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address %q", s)
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// splitList splits a bracketed list's inside at top-level commas.
func splitList(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				if t := strings.TrimSpace(s[start:i]); t != "" {
					out = append(out, t)
				}
				start = i + 1
			}
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

func (r *resolver) port(p *sigparse.Port, depth int) (*portNode, error) {
	if p == nil {
		return &portNode{any: true}, nil
	}
	if depth > 16 {
		return nil, fmt.Errorf("port variables nest too deep")
	}
	n := &portNode{neg: p.Negated, explicit: !p.Any}
	switch {
	case p.Any:
		n.any = true
	case p.Var != "":
		val, ok := r.vars[p.Var]
		if !ok {
			return nil, fmt.Errorf("undefined port variable $%s", p.Var)
		}
		inner, err := r.portText(val, depth+1)
		if err != nil {
			return nil, fmt.Errorf("$%s: %v", p.Var, err)
		}
		n.isList = true
		n.list = []*portNode{inner}
	case p.IsList:
		n.isList = true
		for _, it := range p.List {
			c, err := r.port(it, depth+1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, c)
		}
	default:
		n.lo, n.hi = p.Low, p.High
		if !p.IsRange {
			n.hi = p.Low
		}
	}
	return n, nil
}

func (r *resolver) portText(s string, depth int) (*portNode, error) {
	s = strings.TrimSpace(s)
	if depth > 16 {
		return nil, fmt.Errorf("port variables nest too deep")
	}
	n := &portNode{explicit: true}
	if strings.HasPrefix(s, "!") {
		n.neg = true
		s = strings.TrimSpace(s[1:])
	}
	switch {
	case s == "any":
		n.any = true
		n.explicit = false
	case strings.HasPrefix(s, "$"):
		val, ok := r.vars[s[1:]]
		if !ok {
			return nil, fmt.Errorf("undefined port variable %s", s)
		}
		inner, err := r.portText(val, depth+1)
		if err != nil {
			return nil, err
		}
		n.isList = true
		n.list = []*portNode{inner}
	case strings.HasPrefix(s, "["):
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("unterminated list %q", s)
		}
		n.isList = true
		for _, it := range splitList(s[1 : len(s)-1]) {
			c, err := r.portText(it, depth+1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, c)
		}
	default:
		lo, hi := s, s
		if i := strings.IndexByte(s, ':'); i >= 0 {
			lo, hi = s[:i], s[i+1:]
			if lo == "" {
				lo = "0"
			}
			if hi == "" {
				hi = "65535"
			}
		}
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || l < 0 || h > 65535 || l > h {
			return nil, fmt.Errorf("bad port %q", s)
		}
		n.lo, n.hi = l, h
	}
	return n, nil
}
