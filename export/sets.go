package export

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"

	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// A header's address and port expressions are evaluated to exact sets
// (sorted, disjoint intervals) before translation, so that negation,
// nested lists and variables such as EXTERNAL_NET = !$HOME_NET come out
// as whichever of "these blocks" or "anything but these blocks" is
// shorter, with nothing lost.

// u128 is an address as a 128-bit number (IPv4 uses the low 32 bits).
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) add1() u128 {
	lo, c := bits.Add64(a.lo, 1, 0)
	return u128{a.hi + c, lo}
}

func (a u128) sub1() u128 {
	lo, b := bits.Sub64(a.lo, 1, 0)
	return u128{a.hi - b, lo}
}

// mask returns the address with the low n bits set.
func lowBits(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{0, 1<<uint(n) - 1}
	case n == 64:
		return u128{0, ^uint64(0)}
	case n < 128:
		return u128{1<<uint(n-64) - 1, ^uint64(0)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

func (a u128) or(b u128) u128  { return u128{a.hi | b.hi, a.lo | b.lo} }
func (a u128) and(b u128) u128 { return u128{a.hi & b.hi, a.lo & b.lo} }
func (a u128) isZero() bool    { return a.hi == 0 && a.lo == 0 }

type interval struct{ lo, hi u128 } // inclusive

// ivset is a sorted list of disjoint, non-adjacent intervals.
type ivset []interval

func (s ivset) union(t ivset) ivset {
	all := append(slices.Clone(s), t...)
	slices.SortFunc(all, func(a, b interval) int {
		if a.lo.less(b.lo) {
			return -1
		}
		if b.lo.less(a.lo) {
			return 1
		}
		return 0
	})
	var out ivset
	for _, iv := range all {
		if n := len(out); n > 0 {
			last := &out[n-1]
			// Merge overlapping or adjacent intervals.
			if !last.hi.add1().less(iv.lo) || last.hi == (u128{^uint64(0), ^uint64(0)}) {
				if last.hi.less(iv.hi) {
					last.hi = iv.hi
				}
				continue
			}
		}
		out = append(out, iv)
	}
	return out
}

// complement within [0, max].
func (s ivset) complement(max u128) ivset {
	var out ivset
	next := u128{}
	for _, iv := range s {
		if next.less(iv.lo) {
			out = append(out, interval{next, iv.lo.sub1()})
		}
		if iv.hi == max {
			return out
		}
		next = iv.hi.add1()
	}
	return append(out, interval{next, max})
}

func (s ivset) minus(t ivset, max u128) ivset {
	// s \ t = complement(complement(s) ∪ t)
	return s.complement(max).union(t).complement(max)
}

// prefixes splits each interval into the fewest CIDR blocks of a
// bits-wide address space.
func (s ivset) prefixes(width int) []prefix {
	var out []prefix
	for _, iv := range s {
		lo := iv.lo
		for {
			// The largest block starting at lo that stays within iv.hi.
			n := 0
			for n < width {
				m := lowBits(n + 1)
				if !lo.and(m).isZero() {
					break
				}
				if iv.hi.less(lo.or(m)) {
					break
				}
				n++
			}
			out = append(out, prefix{lo, width - n})
			end := lo.or(lowBits(n))
			if end == iv.hi {
				break
			}
			lo = end.add1()
		}
	}
	return out
}

type prefix struct {
	addr u128
	bits int
}

var (
	max32  = lowBits(32)
	max128 = lowBits(128)
)

// addrSet is an address expression evaluated per family.
type addrSet struct{ v4, v6 ivset }

func fullAddrs() addrSet {
	return addrSet{ivset{{u128{}, max32}}, ivset{{u128{}, max128}}}
}

func (a addrSet) union(b addrSet) addrSet { return addrSet{a.v4.union(b.v4), a.v6.union(b.v6)} }
func (a addrSet) minus(b addrSet) addrSet {
	return addrSet{a.v4.minus(b.v4, max32), a.v6.minus(b.v6, max128)}
}
func (a addrSet) isAny() bool {
	f := fullAddrs()
	return slices.Equal(a.v4, f.v4) && slices.Equal(a.v6, f.v6)
}

func prefixSet(p netip.Prefix) addrSet {
	p = p.Masked()
	b := p.Addr().As16()
	var a u128
	for i := 0; i < 8; i++ {
		a.hi = a.hi<<8 | uint64(b[i])
		a.lo = a.lo<<8 | uint64(b[8+i])
	}
	if p.Addr().Is4() {
		lo := u128{0, a.lo & 0xffffffff}
		return addrSet{v4: ivset{{lo, lo.or(lowBits(32 - p.Bits()))}}}
	}
	return addrSet{v6: ivset{{a, a.or(lowBits(128 - p.Bits()))}}}
}

// cidrs prints a family's set as CIDR blocks ("10.0.0.0/8", "::1/128").
func cidrs(s ivset, v4 bool) []string {
	width := 128
	if v4 {
		width = 32
	}
	var out []string
	for _, p := range s.prefixes(width) {
		var addr netip.Addr
		if v4 {
			x := uint32(p.addr.lo)
			addr = netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
		} else {
			var b [16]byte
			for i := 0; i < 8; i++ {
				b[i] = byte(p.addr.hi >> (56 - 8*i))
				b[8+i] = byte(p.addr.lo >> (56 - 8*i))
			}
			addr = netip.AddrFrom16(b)
		}
		out = append(out, netip.PrefixFrom(addr, p.bits).String())
	}
	return out
}

// ranges prints an IPv4 set as "a.b.c.d-e.f.g.h" ranges for -m iprange.
func ranges4(s ivset) []string {
	var out []string
	for _, iv := range s {
		out = append(out, ip4(iv.lo)+"-"+ip4(iv.hi))
	}
	return out
}

func ip4(a u128) string {
	x := uint32(a.lo)
	return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}).String()
}

// addrSetOf evaluates a parsed address expression (variables already
// expanded): lists subtract their negated items from the union of the others
// (from "any" when all are negated), as Suricata does.
func addrSetOf(a *sigparse.Addr) (addrSet, error) {
	set, err := addrBase(a)
	if err == nil && a.Negated {
		set = fullAddrs().minus(set)
	}
	return set, err
}

// addrBase is the set of a without its own leading '!'.
func addrBase(a *sigparse.Addr) (addrSet, error) {
	var set addrSet
	switch {
	case a.Any:
		set = fullAddrs()
	case a.Var != "":
		return addrSet{}, fmt.Errorf("undefined variable $%s", a.Var)
	case a.IsList:
		var pos, neg addrSet
		havePos := false
		for _, c := range a.List {
			cs, err := addrBase(c)
			if err != nil {
				return addrSet{}, err
			}
			if c.Negated {
				neg = neg.union(cs)
			} else {
				pos, havePos = pos.union(cs), true
			}
		}
		if !havePos {
			pos = fullAddrs()
		}
		set = pos.minus(neg)
	default:
		pf := a.Prefix
		if pf.Addr().Is4In6() && pf.Bits() >= 96 {
			pf = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits()-96)
		}
		set = prefixSet(pf)
	}
	return set, nil
}

// portSetOf is addrSetOf for port expressions.
func portSetOf(p *sigparse.Port) (portSet, error) {
	set, err := portBase(p)
	if err == nil && p.Negated {
		set = fullPorts().minus(set, maxPort)
	}
	return set, err
}

// portBase is the set of p without its own leading '!'.
func portBase(p *sigparse.Port) (portSet, error) {
	var set portSet
	switch {
	case p.Any:
		set = fullPorts()
	case p.Var != "":
		return nil, fmt.Errorf("undefined variable $%s", p.Var)
	case p.IsList:
		var pos, neg portSet
		havePos := false
		for _, c := range p.List {
			cs, err := portBase(c)
			if err != nil {
				return nil, err
			}
			if c.Negated {
				neg = neg.union(cs)
			} else {
				pos, havePos = pos.union(cs), true
			}
		}
		if !havePos {
			pos = fullPorts()
		}
		set = pos.minus(neg, maxPort)
	default:
		hi := p.High
		if !p.IsRange {
			hi = p.Low
		}
		set = ivset{{u128{0, uint64(p.Low)}, u128{0, uint64(hi)}}}
	}
	return set, nil
}

// portSet is a set of ports as intervals in the low 16 bits.
type portSet = ivset

var maxPort = u128{0, 65535}

func fullPorts() portSet { return ivset{{u128{}, maxPort}} }

// evalAddrs expands variables in raw and evaluates it.
func evalAddrs(vars map[string]string, raw string) (addrSet, error) {
	if raw == "" {
		return fullAddrs(), nil
	}
	s, err := rulesets.Expand(vars, raw)
	if err != nil {
		return addrSet{}, err
	}
	a, err := sigparse.ParseAddr(s)
	if err != nil {
		return addrSet{}, fmt.Errorf("%q: %v", s, err)
	}
	return addrSetOf(a)
}

// evalPorts expands variables in raw and evaluates it.
func evalPorts(vars map[string]string, raw string) (portSet, error) {
	if raw == "" {
		return fullPorts(), nil
	}
	s, err := rulesets.Expand(vars, raw)
	if err != nil {
		return nil, err
	}
	p, err := sigparse.ParsePort(s)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", s, err)
	}
	return portSetOf(p)
}

func portsAny(ps portSet) bool { return slices.Equal(ps, fullPorts()) }

// portItems prints a port set as "80", "1024:65535" items (sep is ":" for
// iptables, "-" for nft).
func portItems(ps portSet, sep string) []string {
	var out []string
	for _, iv := range ps {
		if iv.lo == iv.hi {
			out = append(out, strconv.FormatUint(iv.lo.lo, 10))
		} else {
			out = append(out, strconv.FormatUint(iv.lo.lo, 10)+sep+strconv.FormatUint(iv.hi.lo, 10))
		}
	}
	return out
}
