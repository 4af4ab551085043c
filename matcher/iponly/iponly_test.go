package iponly

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// matchRef is the matcher's address semantics, written the direct way.
func matchRef(n *Addr, ip netip.Addr) bool {
	if n == nil {
		return true
	}
	var m bool
	switch {
	case n.Any:
		m = true
	case n.IsList:
		hasPos, posHit := false, false
		for _, it := range n.List {
			if it.Neg {
				inner := *it
				inner.Neg = false
				if matchRef(&inner, ip) {
					return n.Neg
				}
				continue
			}
			hasPos = true
			if matchRef(it, ip) {
				posHit = true
			}
		}
		m = posHit || !hasPos
	default:
		m = n.Prefix.Contains(ip.Unmap())
	}
	if n.Neg {
		return !m
	}
	return m
}

// Small spaces so random prefixes overlap: 10.0.0.0/28-ish and
// 2001:db8::/124-ish, plus the edges of both families.
func randAddr(r *rand.Rand) netip.Addr {
	switch r.IntN(8) {
	case 0:
		return netip.MustParseAddr("0.0.0.0")
	case 1:
		return netip.MustParseAddr("255.255.255.255")
	case 2:
		return netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	case 3:
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(r.IntN(16))})
	case 4:
		return netip.AddrFrom16(netip.AddrFrom4([4]byte{10, 0, 0, byte(r.IntN(16))}).As16()) // v4-mapped
	default:
		return netip.AddrFrom4([4]byte{10, 0, 0, byte(r.IntN(16))})
	}
}

func randTree(r *rand.Rand, depth int) *Addr {
	n := &Addr{Neg: r.IntN(4) == 0}
	switch x := r.IntN(10); {
	case x == 0:
		n.Any = true
	case x < 4 && depth < 3:
		n.IsList = true
		for k := 1 + r.IntN(4); k > 0; k-- {
			n.List = append(n.List, randTree(r, depth+1))
		}
	default:
		a := randAddr(r)
		bits := a.BitLen() - r.IntN(5)
		if r.IntN(10) == 0 {
			bits = 0
		}
		n.Prefix = netip.PrefixFrom(a.Unmap(), min(bits, a.Unmap().BitLen()))
	}
	return n
}

func TestLookupProperty(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 3))
		var rules []Rule
		for i := range 1 + r.IntN(30) {
			rl := Rule{Index: i * 2} // sparse indexes
			if r.IntN(5) != 0 {
				rl.Src = randTree(r, 0)
			}
			if r.IntN(5) != 0 {
				rl.Dst = randTree(r, 0)
			}
			rules = append(rules, rl)
		}
		tab := New(rules)
		var s Scratch
		for range 50 {
			src, dst := randAddr(r), randAddr(r)
			var want []int32
			for _, rl := range rules {
				if matchRef(rl.Src, src) && matchRef(rl.Dst, dst) {
					want = append(want, int32(rl.Index))
				}
			}
			got := tab.Lookup(&s, src, dst)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("seed %d: Lookup(%v, %v) = %v, want %v", seed, src, dst, got, want)
			}
		}
	}
}

func TestPrefixEdges(t *testing.T) {
	for _, tc := range []struct {
		prefix, in, out string
	}{
		{"0.0.0.0/0", "255.255.255.255", "::1"},
		{"::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1.2.3.4"},
		{"2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", "2001:db8:0:1::"},
		{"2001:db8::/65", "2001:db8::7fff:ffff:ffff:ffff", "2001:db8::8000:0:0:0"},
		{"192.168.0.0/16", "::ffff:192.168.3.4", "192.169.0.0"},
		{"1.2.3.4/32", "1.2.3.4", "1.2.3.5"},
	} {
		tab := New([]Rule{{Index: 0, Src: &Addr{Prefix: netip.MustParsePrefix(tc.prefix)}}})
		var s Scratch
		any := netip.MustParseAddr("9.9.9.9")
		if got := tab.Lookup(&s, netip.MustParseAddr(tc.in), any); len(got) != 1 {
			t.Errorf("%s does not hold %s", tc.prefix, tc.in)
		}
		if got := tab.Lookup(&s, netip.MustParseAddr(tc.out), any); len(got) != 0 {
			t.Errorf("%s holds %s", tc.prefix, tc.out)
		}
	}
}

// etLike builds n rules in the shape of ET's IP-list rules: a list of
// per addresses public addresses -> $HOME_NET.
func etLike(n, per int) []Rule {
	r := rand.New(rand.NewPCG(1, 1))
	home := &Addr{IsList: true, List: []*Addr{
		{Prefix: netip.MustParsePrefix("192.168.0.0/16")},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		{Prefix: netip.MustParsePrefix("172.16.0.0/12")},
	}}
	var rules []Rule
	for i := range n {
		l := &Addr{IsList: true}
		for range per {
			a := netip.AddrFrom4([4]byte{byte(11 + r.IntN(200)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
			bits := 32
			if r.IntN(10) == 0 {
				bits = 24
			}
			l.List = append(l.List, &Addr{Prefix: netip.PrefixFrom(a, bits)})
		}
		if i%2 == 0 {
			rules = append(rules, Rule{Index: i, Src: l, Dst: home})
		} else {
			rules = append(rules, Rule{Index: i, Src: home, Dst: l})
		}
	}
	return rules
}

func TestLookupAllocs(t *testing.T) {
	tab := New(etLike(200, 50))
	var s Scratch
	src, dst := netip.MustParseAddr("192.168.1.2"), netip.MustParseAddr("8.8.8.8")
	tab.Lookup(&s, src, dst)
	if n := testing.AllocsPerRun(100, func() { tab.Lookup(&s, src, dst) }); n != 0 {
		t.Errorf("Lookup allocates %v times, want 0", n)
	}
}

func BenchmarkLookup(b *testing.B) {
	rules := etLike(1200, 100)
	tab := New(rules)
	r := rand.New(rand.NewPCG(2, 2))
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{byte(r.IntN(224)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	home := netip.MustParseAddr("192.168.1.10")
	var s Scratch
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tab.Lookup(&s, addrs[i&1023], home)
		tab.Lookup(&s, home, addrs[i&1023])
		i++
	}
}

func BenchmarkBuild(b *testing.B) {
	rules := etLike(1200, 100)
	b.ReportAllocs()
	for b.Loop() {
		New(rules)
	}
}
