package export

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Header lengths xt_string offsets are counted from: --from/--to are
// offsets from the start of the IP header, and fwsnort added the headers
// the same way. IP options are assumed absent; TCP options vary.
const (
	ip4Header    = 20
	tcpHeaderMin = 20
	tcpHeaderMax = 60
	udpHeader    = 8
	icmpHeader   = 8
)

// l4Header returns the transport header length range of proto.
func l4Header(proto string) (lo, hi int) {
	switch proto {
	case "tcp":
		return tcpHeaderMin, tcpHeaderMax
	case "udp":
		return udpHeader, udpHeader
	case "icmp":
		return icmpHeader, icmpHeader
	}
	return 0, 0
}

// iptables renders the rule as rulespecs: for each protocol (a rule for
// dns gives tcp and udp), one LOG rule and one with the action.
func (ir *fwRule) iptables(opts Options) (specs [][]string, notes []string, why string) {
	if len(ir.src.v4) == 0 || len(ir.dst.v4) == 0 {
		return nil, nil, "IPv6 addresses only: iptables output is IPv4 (use --format nftables)"
	}
	src, srcM, why := ipt4Addr(ir.src, "-s", "--src-range")
	if why != "" {
		return nil, nil, "source " + why
	}
	dst, dstM, why := ipt4Addr(ir.dst, "-d", "--dst-range")
	if why != "" {
		return nil, nil, "destination " + why
	}
	protos := ir.protos
	if len(protos) == 0 {
		protos = []string{""}
	}
	for _, p := range protos {
		// In the order iptables -S prints them, so that a read-back
		// compares equal.
		var m []string
		m = append(m, src...)
		m = append(m, dst...)
		if p != "" {
			m = append(m, "-p", p)
		}
		m = append(m, srcM...)
		m = append(m, dstM...)
		if p == "tcp" || p == "udp" {
			ports, why := iptPorts(p, ir.sp, ir.dp)
			if why != "" {
				return nil, nil, why
			}
			m = append(m, ports...)
		}
		if p == "icmp" && ir.itype >= 0 {
			t := strconv.Itoa(ir.itype)
			if ir.icode >= 0 {
				t += "/" + strconv.Itoa(ir.icode)
			}
			m = append(m, "-m", "icmp", "--icmp-type", t)
		}
		switch ir.frag {
		case 1:
			m = append(m, "-f")
		case -1:
			m = append(m, "!", "-f")
		}
		if ir.ttl != nil {
			lo, hi, ok := bounds(*ir.ttl, 255)
			switch {
			case !ok:
				return nil, nil, "ttl range not expressible"
			case lo == hi:
				m = append(m, "-m", "ttl", "--ttl-eq", strconv.Itoa(lo))
			default:
				if lo > 0 {
					m = append(m, "-m", "ttl", "--ttl-gt", strconv.Itoa(lo-1))
				}
				if hi < 255 {
					m = append(m, "-m", "ttl", "--ttl-lt", strconv.Itoa(hi+1))
				}
			}
		}
		if ir.ctState != "" || ir.ctDir != "" {
			m = append(m, "-m", "conntrack")
			if ir.ctState != "" {
				m = append(m, "--ctstate", ir.ctState)
			}
			if ir.ctDir != "" {
				m = append(m, "--ctdir", ir.ctDir)
			}
		}
		hlo, hhi := l4Header(p)
		if ir.dsize != nil {
			lo, hi, ok := bounds(*ir.dsize, 65535)
			if !ok {
				return nil, nil, "dsize:!= is not expressible as one length range"
			}
			lo, hi = lo+ip4Header+hlo, min(hi+ip4Header+hhi, 65535)
			if hlo != hhi {
				notes = appendOnce(notes, fmt.Sprintf("dsize widened by %d bytes to allow for TCP options", hhi-hlo))
			}
			l := strconv.Itoa(lo)
			if hi != lo {
				l += ":" + strconv.Itoa(hi)
			}
			m = append(m, "-m", "length", "--length", l)
		}
		contents := ir.contents
		if len(contents) > maxStrings {
			contents = longest(contents, maxStrings)
			notes = appendOnce(notes, fmt.Sprintf("only the %d longest of %d contents are matched: iptables-nft refuses a rule of more than about 4 KiB", maxStrings, len(ir.contents)))
		}
		for _, c := range contents {
			s, n := iptString(c, hlo, hhi)
			for _, x := range n {
				notes = appendOnce(notes, x)
			}
			m = append(m, s...)
		}
		m = append(m, "-m", "comment", "--comment", comment(ir.gid, ir.sid, ir.msg, 255))
		if ir.log {
			specs = append(specs, append(clone(m), "-j", "LOG", "--log-prefix", logPrefix(ir.gid, ir.sid)))
		}
		switch ir.action {
		case "":
		case "REJECT":
			a := append(clone(m), "-j", "REJECT")
			if p == "tcp" {
				a = append(a, "--reject-with", "tcp-reset")
			}
			specs = append(specs, a)
		default:
			specs = append(specs, append(clone(m), "-j", ir.action))
		}
	}
	return specs, notes, ""
}

func clone(s []string) []string { return append([]string(nil), s...) }

func appendOnce(s []string, x string) []string {
	for _, y := range s {
		if y == x {
			return s
		}
	}
	return append(s, x)
}

// ipt4Addr renders the IPv4 part of an address set exactly, as an address
// flag (printed by iptables before -p) and matches (after it): nothing for
// any; "-s a/b" or "! -s a/b" for one block; "-s a,b,c" when that is
// shortest (iptables makes one rule per block); otherwise the hull as one
// block or range with one "-m iprange ! --src-range" per hole, which
// iptables ANDs ("! -s a,b" is refused by iptables).
func ipt4Addr(a addrSet, flag, rangeFlag string) (flags, matches []string, why string) {
	full := fullAddrs().v4
	if len(a.v4) == 1 && a.v4[0] == full[0] {
		return nil, nil, ""
	}
	pos := cidrs(a.v4, true)
	if len(pos) == 1 {
		return []string{flag, pos[0]}, nil, ""
	}
	gaps := a.v4.complement(max32)
	if neg := cidrs(gaps, true); len(neg) == 1 {
		return []string{"!", flag, neg[0]}, nil, ""
	}
	hull := ivset{{a.v4[0].lo, a.v4[len(a.v4)-1].hi}}
	var holes ivset
	for _, g := range gaps {
		if !g.lo.isZero() && g.hi != max32 {
			holes = append(holes, g)
		}
	}
	// iptables-restore takes at most 255 arguments per rule, so the holes
	// are only used while few; "-s a,b,c" has no such limit but becomes
	// one kernel rule per block.
	if len(pos) <= 1+len(holes) || len(holes) > maxHoles {
		if len(pos) > maxBlocks {
			return nil, nil, fmt.Sprintf("address set needs %d blocks (more than %d): use an ipset", len(pos), maxBlocks)
		}
		return []string{flag, strings.Join(pos, ",")}, nil, ""
	}
	switch h := cidrs(hull, true); {
	case len(h) == 1 && h[0] == "0.0.0.0/0":
	case len(h) == 1:
		flags = []string{flag, h[0]}
	default:
		matches = append(matches, "-m", "iprange", rangeFlag, ranges4(hull)[0])
	}
	for _, r := range ranges4(holes) {
		matches = append(matches, "-m", "iprange", "!", rangeFlag, r)
	}
	return flags, matches, ""
}

const (
	maxHoles   = 16  // iprange matches per address side
	maxBlocks  = 256 // CIDR blocks in one -s or -d list
	maxStrings = 16  // string matches per rule (21 with the rest failed with ENOSPC)
)

// longest keeps the n longest matches, in their original order.
func longest(cs []payloadMatch, n int) []payloadMatch {
	idx := make([]int, len(cs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return len(cs[idx[a]].pattern) > len(cs[idx[b]].pattern) })
	keep := idx[:n]
	sort.Ints(keep)
	out := make([]payloadMatch, 0, n)
	for _, i := range keep {
		out = append(out, cs[i])
	}
	return out
}

// iptPorts renders source and destination port sets.
func iptPorts(proto string, sp, dp portSet) ([]string, string) {
	var out []string
	tcp := false
	for _, side := range []struct {
		set        portSet
		one, multi string
	}{{sp, "--sport", "--sports"}, {dp, "--dport", "--dports"}} {
		if portsAny(side.set) {
			continue
		}
		gaps := side.set.complement(maxPort)
		switch {
		case len(side.set) == 1:
			if !tcp {
				out, tcp = append(out, "-m", proto), true
			}
			out = append(out, side.one, portItems(side.set, ":")[0])
		case len(gaps) == 1:
			if !tcp {
				out, tcp = append(out, "-m", proto), true
			}
			out = append(out, "!", side.one, portItems(gaps, ":")[0])
		case multiportCount(side.set) <= 15:
			out = append(out, "-m", "multiport", side.multi, strings.Join(portItems(side.set, ":"), ","))
		case multiportCount(gaps) <= 15:
			out = append(out, "-m", "multiport", "!", side.multi, strings.Join(portItems(gaps, ":"), ","))
		default:
			return nil, "port list longer than multiport's 15 entries"
		}
	}
	return out, ""
}

// multiportCount counts entries as xt_multiport does: a range takes two.
func multiportCount(s portSet) int {
	n := 0
	for _, iv := range s {
		n++
		if iv.lo != iv.hi {
			n++
		}
	}
	return n
}

// iptString renders one content as an xt_string match. Offsets are moved
// from the payload to the IP header by adding the header lengths; for TCP
// the window is widened to cover any TCP option length.
func iptString(c payloadMatch, hlo, hhi int) ([]string, []string) {
	var notes []string
	out := []string{"-m", "string"}
	if c.negate {
		out = append(out, "!")
	}
	if printable(c.pattern) {
		out = append(out, "--string", string(c.pattern))
	} else {
		out = append(out, "--hex-string", hexString(c.pattern))
	}
	out = append(out, "--algo", "bm")
	if !c.raw {
		// xt_string offsets are 16-bit, as is an IP packet's length.
		from := min(ip4Header+hlo+c.offset, 65535)
		out = append(out, "--from", strconv.Itoa(from))
		if c.depth >= 0 {
			out = append(out, "--to", strconv.Itoa(min(ip4Header+hhi+c.offset+c.depth, 65535)))
			if hhi != hlo {
				notes = append(notes, fmt.Sprintf("offset/depth window widened by %d bytes to allow for TCP options", hhi-hlo))
			}
		}
	}
	if c.nocase {
		out = append(out, "--icase")
	}
	return out, notes
}

// printable reports whether p can be given to --string as it is: ASCII
// letters, digits and punctuation that survives iptables-restore quoting.
func printable(p []byte) bool {
	for _, b := range p {
		if b < 0x20 || b >= 0x7f || b == '"' || b == '\\' || b == '|' || b == '\'' {
			return false
		}
	}
	return true
}

// hexString writes p in --hex-string form: letters and digits as text,
// everything else as |hex| runs.
func hexString(p []byte) string {
	var b strings.Builder
	inHex := false
	for _, c := range p {
		plain := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '.' || c == '-' || c == '_'
		if plain {
			if inHex {
				b.WriteByte('|')
				inHex = false
			}
			b.WriteByte(c)
			continue
		}
		if !inHex {
			b.WriteByte('|')
			inHex = true
		} else {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	if inHex {
		b.WriteByte('|')
	}
	return b.String()
}

// WriteIPTablesRestore writes the translation as an iptables-restore
// file meant for "iptables-restore --noflush": it declares (and so
// flushes) sigtool's chain, fills it, and adds the jumps from the hooks.
// Each signature's rules follow a comment with its verdict.
func (t *Translation) WriteIPTablesRestore(w io.Writer, version string) error {
	o := t.opts.Chain
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by sigtool %s from %s: %s.\n", version, Plural(len(t.Results), "signature"), summaryText(t.Summary()))
	fmt.Fprintf(&b, "# Load with: iptables-restore --noflush < FILE (each load adds the jumps again; sigtool iptables apply replaces cleanly, sigtool iptables remove --chain %s removes)\n", o.Chain)
	fmt.Fprintf(&b, "*%s\n:%s - [0:0]\n", o.Table, o.Chain)
	for _, r := range t.ordered() {
		fmt.Fprintf(&b, "# %d:%d rev %d %s: %s\n", r.GID, r.SID, r.Rev, r.Verdict, oneLine(r.Msg))
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "#   %s\n", n)
		}
		for _, s := range r.Rules {
			fmt.Fprintf(&b, "-A %s %s\n", o.Chain, restoreJoin(s))
		}
	}
	for _, h := range o.Hooks {
		fmt.Fprintf(&b, "-I %s 1 -j %s\n", h, o.Chain)
	}
	b.WriteString("COMMIT\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// IPTablesRules returns every rulespec in chain order (pass rules first).
func (t *Translation) IPTablesRules() [][]string {
	var out [][]string
	for _, r := range t.ordered() {
		out = append(out, r.Rules...)
	}
	return out
}

// ordered returns the results with pass rules first: Suricata runs pass
// rules before the others, and RETURN only helps before them.
func (t *Translation) ordered() []*Result {
	var pass, rest []*Result
	for _, r := range t.Results {
		if r.pass {
			pass = append(pass, r)
		} else {
			rest = append(rest, r)
		}
	}
	return append(pass, rest...)
}

func summaryText(m map[Verdict]int) string {
	return fmt.Sprintf("%d exact, %d approximated, %d not translatable", m[Exact], m[Approximated], m[NotTranslatable])
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, s)
}

// restoreJoin quotes arguments for iptables-restore, which splits on
// spaces and understands double quotes.
func restoreJoin(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \t\"'|#") {
			b.WriteString(`"` + strings.ReplaceAll(a, `"`, `\"`) + `"`)
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}
