package matcher

import (
	"fmt"
	"net/netip"
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
		inner, err := r.addrValue(val, depth+1)
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

// addrValue resolves a variable's value, which has the header's address
// syntax: sigparse reads it, so there is one parser of that syntax.
func (r *resolver) addrValue(val string, depth int) (*addrNode, error) {
	a, err := sigparse.ParseAddr(val)
	if err != nil {
		return nil, err
	}
	return r.addr(a, depth)
}

// portValue is addrValue for port variables.
func (r *resolver) portValue(val string, depth int) (*portNode, error) {
	p, err := sigparse.ParsePort(val)
	if err != nil {
		return nil, err
	}
	return r.port(p, depth)
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
		inner, err := r.portValue(val, depth+1)
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
