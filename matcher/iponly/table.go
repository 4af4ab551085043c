package iponly

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Rule is one IP-only rule: its index in the caller's evaluation order and
// its source and destination address expressions (nil = any).
type Rule struct {
	Index    int
	Src, Dst *Addr
}

// Table finds the IP-only rules whose source and destination sets hold a
// packet's addresses. It is built once and immutable; lookups are safe
// for concurrent use, each goroutine with its own Scratch.
type Table struct {
	always []int32 // any -> any
	// srcOnly: rules whose destination is any, indexed by source;
	// dstOnly: rules whose source is any, indexed by destination.
	srcOnly, dstOnly index
	// both: rules with both sides set, indexed by each side; a lookup
	// walks the shorter of the two lists and checks the other side of
	// each rule.
	bySrc, byDst index
	src, dst     []set   // by position in rules (both-sided rules)
	posOf        []int32 // rule index -> position in src/dst, -1 if none
}

// index maps every address to the rules whose set holds it: the family's
// address space cut at every range boundary, each piece with its rule
// list (lists with the same rules are shared).
type index struct {
	v4, v6 pieces
}

type pieces struct {
	starts []u128   // ascending; piece i is [starts[i], starts[i+1])
	lists  []uint32 // list id of each piece
	pool   [][]int32
}

func (p *pieces) lookup(k u128) []int32 {
	if len(p.starts) == 0 {
		return nil
	}
	i, found := slices.BinarySearchFunc(p.starts, k, u128.compare)
	if !found {
		i--
	}
	if i < 0 {
		return nil
	}
	return p.pool[p.lists[i]]
}

type event struct {
	at  u128
	pos int32 // index into the rules and ranges given to buildPieces
	add bool
}

// buildPieces sweeps the ranges of every rule (given per rule) into
// pieces.
func buildPieces(rules []int32, ranges [][]rng) pieces {
	n := 0
	for _, rs := range ranges {
		n += 2 * len(rs)
	}
	evs := make([]event, 0, n)
	for i, rs := range ranges {
		for _, r := range rs {
			evs = append(evs, event{r.lo, int32(i), true})
			if r.hi != max6 {
				evs = append(evs, event{r.hi.inc(), int32(i), false})
			}
		}
	}
	slices.SortFunc(evs, func(a, b event) int { return a.at.compare(b.at) })
	var p pieces
	intern := map[string]uint32{}
	single := map[int32]uint32{}
	// The sweep's active set: how many ranges of each rule cover the
	// current point, and the rules with a nonzero count (act, with each
	// one's place in it) so a piece lists them without a map walk.
	count := make([]int32, len(ranges))
	place := make([]int32, len(ranges))
	var act, cur []int32
	var sb strings.Builder
	for i := 0; i < len(evs); {
		at := evs[i].at
		for ; i < len(evs) && evs[i].at == at; i++ {
			k := evs[i].pos
			if evs[i].add {
				if count[k] == 0 {
					place[k] = int32(len(act))
					act = append(act, k)
				}
				count[k]++
			} else if count[k]--; count[k] == 0 {
				last := act[len(act)-1]
				act[place[k]], place[last] = last, place[k]
				act = act[:len(act)-1]
			}
		}
		cur = cur[:0]
		for _, k := range act {
			cur = append(cur, rules[k])
		}
		slices.Sort(cur)
		cur = slices.Compact(cur) // a rule given twice is listed once
		var id uint32
		var ok bool
		if len(cur) == 1 {
			// Most pieces of IP lists belong to one rule: no key string.
			if id, ok = single[cur[0]]; !ok {
				id = uint32(len(p.pool))
				single[cur[0]] = id
				p.pool = append(p.pool, slices.Clone(cur))
			}
		} else {
			sb.Reset()
			for _, r := range cur {
				sb.WriteString(strconv.Itoa(int(r)))
				sb.WriteByte(',')
			}
			if id, ok = intern[sb.String()]; !ok {
				id = uint32(len(p.pool))
				intern[sb.String()] = id
				p.pool = append(p.pool, slices.Clone(cur))
			}
		}
		if n := len(p.lists); n > 0 && p.lists[n-1] == id {
			continue // same rules as the previous piece
		}
		p.starts = append(p.starts, at)
		p.lists = append(p.lists, id)
	}
	return p
}

func buildIndex(rules []int32, sets []set) index {
	r4 := make([][]rng, len(sets))
	r6 := make([][]rng, len(sets))
	for i, s := range sets {
		r4[i], r6[i] = s.v4, s.v6
	}
	return index{v4: buildPieces(rules, r4), v6: buildPieces(rules, r6)}
}

func (ix *index) lookup(k u128, is4 bool) []int32 {
	if is4 {
		return ix.v4.lookup(k)
	}
	return ix.v6.lookup(k)
}

// New builds the table. Rule indexes must be non-negative.
func New(rules []Rule) *Table {
	t := &Table{}
	var soR, doR, bR []int32
	var soS, doS, bS, bD []set
	maxIdx := -1
	for _, r := range rules {
		maxIdx = max(maxIdx, r.Index)
		src, dst := toSet(r.Src), toSet(r.Dst)
		sAny, dAny := isFull(src), isFull(dst)
		i := int32(r.Index)
		switch {
		case sAny && dAny:
			t.always = append(t.always, i)
		case dAny:
			soR, soS = append(soR, i), append(soS, src)
		case sAny:
			doR, doS = append(doR, i), append(doS, dst)
		default:
			bR, bS, bD = append(bR, i), append(bS, src), append(bD, dst)
		}
	}
	slices.Sort(t.always)
	t.srcOnly = buildIndex(soR, soS)
	t.dstOnly = buildIndex(doR, doS)
	t.bySrc = buildIndex(bR, bS)
	t.byDst = buildIndex(bR, bD)
	t.src, t.dst = bS, bD
	t.posOf = make([]int32, maxIdx+1)
	for i := range t.posOf {
		t.posOf[i] = -1
	}
	for p, r := range bR {
		t.posOf[r] = int32(p)
	}
	return t
}

// Scratch holds a lookup's result; reuse it across packets.
type Scratch struct{ out []int32 }

// Lookup returns the rules whose source set holds src and destination set
// holds dst, ascending. The slice belongs to s and is valid until the next
// Lookup with it. It does not allocate once s has grown. Bidirectional
// rules ("<>") are looked up a second time by the caller with the
// addresses swapped.
func (t *Table) Lookup(s *Scratch, src, dst netip.Addr) []int32 {
	out := append(s.out[:0], t.always...)
	ks, s4 := key(src)
	kd, d4 := key(dst)
	out = append(out, t.srcOnly.lookup(ks, s4)...)
	out = append(out, t.dstOnly.lookup(kd, d4)...)
	ls := t.bySrc.lookup(ks, s4)
	ld := t.byDst.lookup(kd, d4)
	if len(ls) <= len(ld) {
		for _, r := range ls {
			d := t.dst[t.posOf[r]]
			if d4 && contains(d.v4, kd) || !d4 && contains(d.v6, kd) {
				out = append(out, r)
			}
		}
	} else {
		for _, r := range ld {
			sr := t.src[t.posOf[r]]
			if s4 && contains(sr.v4, ks) || !s4 && contains(sr.v6, ks) {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	s.out = out
	return out
}
