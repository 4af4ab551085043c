package iponly

import (
	"math"
	"net/netip"
	"slices"
)

// Addr is an address expression of a rule header after variables are
// resolved, with the matcher's semantics: Any matches everything; a list
// is the union of its positive items minus its negated ones (only
// negations: everything but them); Neg inverts the result. A Prefix of the
// other family than the address never matches (IPv4-mapped IPv6
// addresses count as IPv4).
type Addr struct {
	Neg    bool
	Any    bool
	Prefix netip.Prefix
	List   []*Addr
	IsList bool
}

// u128 is an address as a number: IPv4 in lo (hi = 0), IPv6 in both.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

// compare orders addresses for slices.SortFunc and BinarySearchFunc.
func (a u128) compare(b u128) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

func (a u128) inc() u128 {
	if a.lo == math.MaxUint64 {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func (a u128) dec() u128 {
	if a.lo == 0 {
		return u128{a.hi - 1, math.MaxUint64}
	}
	return u128{a.hi, a.lo - 1}
}

// rng is an inclusive range of one family.
type rng struct{ lo, hi u128 }

// set is a union of disjoint, sorted, non-adjacent ranges per family.
type set struct{ v4, v6 []rng }

var (
	max4 = u128{0, math.MaxUint32}
	max6 = u128{math.MaxUint64, math.MaxUint64}
)

func full() set { return set{v4: []rng{{u128{}, max4}}, v6: []rng{{u128{}, max6}}} }

func key(a netip.Addr) (u128, bool) {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}, true
	}
	b := a.As16()
	var k u128
	for i := range 8 {
		k.hi = k.hi<<8 | uint64(b[i])
		k.lo = k.lo<<8 | uint64(b[8+i])
	}
	return k, false
}

func prefixSet(p netip.Prefix) set {
	if !p.IsValid() {
		return set{}
	}
	p = p.Masked()
	lo, is4 := key(p.Addr())
	bits := p.Bits()
	var hi u128
	if is4 {
		hostBits := 32 - bits
		hi = u128{0, lo.lo | (uint64(1)<<hostBits - 1)}
		return set{v4: []rng{{lo, hi}}}
	}
	hostBits := 128 - bits
	hi = lo
	switch {
	case hostBits >= 64:
		hi.lo = math.MaxUint64
		if hostBits == 128 {
			hi.hi = math.MaxUint64
		} else {
			hi.hi |= uint64(1)<<(hostBits-64) - 1
		}
	case hostBits > 0:
		hi.lo |= uint64(1)<<hostBits - 1
	}
	return set{v6: []rng{{lo, hi}}}
}

// normalize sorts and merges overlapping or adjacent ranges.
func normalize(rs []rng) []rng {
	if len(rs) == 0 {
		return nil
	}
	slices.SortFunc(rs, func(a, b rng) int { return a.lo.compare(b.lo) })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if last.hi == max6 || !last.hi.inc().less(r.lo) {
			if last.hi.less(r.hi) {
				last.hi = r.hi
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func union(a, b set) set {
	return set{
		v4: normalize(append(slices.Clone(a.v4), b.v4...)),
		v6: normalize(append(slices.Clone(a.v6), b.v6...)),
	}
}

func complementRanges(rs []rng, max u128) []rng {
	var out []rng
	next := u128{}
	done := false
	for _, r := range rs {
		if next.less(r.lo) {
			out = append(out, rng{next, r.lo.dec()})
		}
		if r.hi == max {
			done = true
			break
		}
		next = r.hi.inc()
	}
	if !done {
		out = append(out, rng{next, max})
	}
	return out
}

func complement(s set) set {
	return set{v4: complementRanges(s.v4, max4), v6: complementRanges(s.v6, max6)}
}

func subtract(a, b set) set {
	// a - b = a ∩ ¬b = ¬(¬a ∪ b)
	return complement(union(complement(a), b))
}

// toSet flattens an address expression into ranges.
func toSet(n *Addr) set {
	var s set
	switch {
	case n == nil || n.Any:
		s = full()
	case n.IsList:
		// Gather every item's ranges and normalize once: ET's lists
		// have hundreds of items.
		var pos, neg set
		hasPos := false
		for _, it := range n.List {
			dst := &pos
			var is set
			if it.Neg {
				inner := *it
				inner.Neg = false
				is, dst = toSet(&inner), &neg
			} else {
				hasPos = true
				is = toSet(it)
			}
			dst.v4 = append(dst.v4, is.v4...)
			dst.v6 = append(dst.v6, is.v6...)
		}
		pos.v4, pos.v6 = normalize(pos.v4), normalize(pos.v6)
		neg.v4, neg.v6 = normalize(neg.v4), normalize(neg.v6)
		if !hasPos {
			pos = full()
		}
		if len(neg.v4)+len(neg.v6) > 0 {
			pos = subtract(pos, neg)
		}
		s = pos
	default:
		s = prefixSet(n.Prefix)
	}
	if n != nil && n.Neg {
		return complement(s)
	}
	return s
}

func isFull(s set) bool {
	return len(s.v4) == 1 && s.v4[0] == rng{u128{}, max4} && len(s.v6) == 1 && s.v6[0] == rng{u128{}, max6}
}

// contains reports whether k (of the family is4) is in rs.
func contains(rs []rng, k u128) bool {
	i, _ := slices.BinarySearchFunc(rs, k, func(r rng, k u128) int {
		if r.hi.less(k) {
			return -1
		}
		if k.less(r.lo) {
			return 1
		}
		return 0
	})
	return i < len(rs) && !k.less(rs[i].lo) && !rs[i].hi.less(k)
}
