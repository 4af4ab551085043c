package export

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// nftables has no string match (iptables-nft borrows xt_string, which nft
// itself cannot write), but its raw payload expression @ih,OFFSET,LEN
// reads the bytes right after the transport header. A content with one
// possible position (startswith, or depth equal to its length) is
// therefore exact, compared in 16-byte pieces (the size of an nft
// register), with a mask for nocase; any other content is not
// translatable to nft.

const nftChunk = 16

// nftables renders the rule as nft statements, one rule per address
// family the header needs.
func (ir *fwRule) nftables(opts Options) (rules [][]string, notes []string, why string) {
	var common []string
	switch {
	case len(ir.protos) == 1 && ir.protos[0] == "icmp":
		// Per family below.
	case len(ir.protos) == 1:
		if portsAny(ir.sp) && portsAny(ir.dp) {
			common = append(common, "meta", "l4proto", ir.protos[0])
		}
		common = append(common, nftPorts(ir.protos[0], ir.sp, ir.dp)...)
	case len(ir.protos) > 1:
		common = append(common, "meta", "l4proto", "{", strings.Join(ir.protos, ", "), "}")
		common = append(common, nftPorts("th", ir.sp, ir.dp)...)
	}
	if ir.frag != 0 {
		return nil, nil, "flow:only_frag/no_frag: nft sees reassembled packets only"
	}
	if ir.ctState != "" {
		common = append(common, "ct", "state", map[string]string{"ESTABLISHED": "established", "NEW": "new"}[ir.ctState])
	}
	if ir.ctDir != "" {
		common = append(common, "ct", "direction", strings.ToLower(ir.ctDir))
	}
	hlo, hhi := l4Header(first(ir.protos))
	for _, c := range ir.contents {
		s, why := nftPayload(c)
		if why != "" {
			return nil, nil, why
		}
		common = append(common, s...)
	}

	for _, fam := range []string{"ip", "ip6"} {
		src, dst := ir.src.v4, ir.dst.v4
		full := fullAddrs().v4
		if fam == "ip6" {
			src, dst = ir.src.v6, ir.dst.v6
			full = fullAddrs().v6
		}
		if len(src) == 0 || len(dst) == 0 {
			continue
		}
		var m []string
		anyAddr := slices.Equal(src, full) && slices.Equal(dst, full)
		bothFamilies := ir.src.isAny() && ir.dst.isAny()
		if !anyAddr {
			m = append(m, nftAddr(fam, "saddr", src, full)...)
			m = append(m, nftAddr(fam, "daddr", dst, full)...)
		} else if !bothFamilies {
			m = append(m, "meta", "nfproto", map[string]string{"ip": "ipv4", "ip6": "ipv6"}[fam])
		}
		if ir.protos != nil && ir.protos[0] == "icmp" && len(ir.protos) == 1 {
			icmp := map[string]string{"ip": "icmp", "ip6": "icmpv6"}[fam]
			switch {
			case ir.itype >= 0:
				m = append(m, icmp, "type", strconv.Itoa(ir.itype))
				if ir.icode >= 0 {
					m = append(m, icmp, "code", strconv.Itoa(ir.icode))
				}
			default:
				m = append(m, "meta", "l4proto", map[string]string{"ip": "icmp", "ip6": "ipv6-icmp"}[fam])
			}
		}
		m = append(m, common...)
		if ir.ttl != nil {
			lo, hi, ok := bounds(*ir.ttl, 255)
			if !ok {
				return nil, nil, "ttl range not expressible"
			}
			field := map[string][]string{"ip": {"ip", "ttl"}, "ip6": {"ip6", "hoplimit"}}[fam]
			m = append(m, field[0], field[1], nftRange(lo, hi))
		}
		if ir.dsize != nil {
			lo, hi, ok := bounds(*ir.dsize, 65535)
			if !ok {
				return nil, nil, "dsize:!= is not expressible as one length range"
			}
			if first(ir.protos) == "udp" && len(ir.protos) == 1 {
				m = append(m, "udp", "length", nftRange(lo+udpHeader, min(hi+udpHeader, 65535)))
			} else {
				ih := ip4Header
				if fam == "ip6" {
					ih = 40
				}
				if hlo != hhi {
					notes = appendOnce(notes, fmt.Sprintf("dsize widened by %d bytes to allow for TCP options", hhi-hlo))
				}
				m = append(m, "meta", "length", nftRange(lo+ih+hlo, min(hi+ih+hhi, 65535)))
			}
		}
		if ir.log {
			m = append(m, "log", "prefix", strconv.Quote(logPrefix(ir.gid, ir.sid)))
		}
		switch ir.action {
		case "DROP":
			m = append(m, "drop")
		case "REJECT":
			if first(ir.protos) == "tcp" && len(ir.protos) == 1 {
				m = append(m, "reject", "with", "tcp", "reset")
			} else {
				m = append(m, "reject")
			}
		case "RETURN":
			m = append(m, "return")
		}
		m = append(m, "comment", strconv.Quote(comment(ir.gid, ir.sid, ir.msg, 127)))
		rules = append(rules, m)
		if bothFamilies && first(ir.protos) != "icmp" {
			break
		}
	}
	if len(rules) == 0 {
		return nil, nil, "the address sets leave no packet to match"
	}
	return rules, notes, ""
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func nftRange(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
}

// nftAddr matches a family's address set with whichever of the blocks or
// the gaps is shorter.
func nftAddr(fam, field string, s, full ivset) []string {
	if slices.Equal(s, full) {
		return nil
	}
	max := max32
	if fam == "ip6" {
		max = max128
	}
	pos := cidrs(s, fam == "ip")
	neg := cidrs(s.complement(max), fam == "ip")
	if len(neg) < len(pos) {
		return append([]string{fam, field, "!="}, nftSet(neg)...)
	}
	return append([]string{fam, field}, nftSet(pos)...)
}

func nftSet(items []string) []string {
	if len(items) == 1 {
		return items
	}
	return []string{"{", strings.Join(items, ", "), "}"}
}

// nftPorts matches port sets on "tcp", "udp" or "th".
func nftPorts(proto string, sp, dp portSet) []string {
	var out []string
	for _, side := range []struct {
		set   portSet
		field string
	}{{sp, "sport"}, {dp, "dport"}} {
		if portsAny(side.set) {
			continue
		}
		pos := portItems(side.set, "-")
		neg := portItems(side.set.complement(maxPort), "-")
		if len(neg) < len(pos) {
			out = append(out, proto, side.field, "!=")
			out = append(out, nftSet(neg)...)
		} else {
			out = append(out, proto, side.field)
			out = append(out, nftSet(pos)...)
		}
	}
	return out
}

// nftPayload compares an anchored content with raw payload expressions.
func nftPayload(c payloadMatch) ([]string, string) {
	if !c.anchored() {
		if c.raw {
			return nil, "content in an app-layer buffer has no fixed position: nft has no string match (use --format iptables)"
		}
		return nil, "content without a fixed position (startswith, or depth equal to its length): nft has no string match (use --format iptables)"
	}
	if c.offset+len(c.pattern) > 65535 {
		return nil, "content lies beyond the largest IP packet"
	}
	if c.negate && len(c.pattern) > nftChunk {
		return nil, "negated content longer than 16 bytes: nft compares at most 16 bytes at once"
	}
	var out []string
	for i := 0; i < len(c.pattern); i += nftChunk {
		p := c.pattern[i:min(i+nftChunk, len(c.pattern))]
		expr := fmt.Sprintf("@ih,%d,%d", (c.offset+i)*8, len(p)*8)
		out = append(out, expr)
		if c.nocase && hasLetter(p) {
			mask := make([]byte, len(p))
			val := make([]byte, len(p))
			for j, b := range p {
				mask[j], val[j] = 0xff, b
				if isLetter(b) {
					mask[j], val[j] = 0xdf, b&0xdf
				}
			}
			out = append(out, "&", hex0x(mask))
			p = val
		}
		if c.negate {
			out = append(out, "!=")
		}
		out = append(out, hex0x(p))
	}
	return out, ""
}

func isLetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

func hasLetter(p []byte) bool {
	for _, b := range p {
		if isLetter(b) {
			return true
		}
	}
	return false
}

func hex0x(p []byte) string { return fmt.Sprintf("0x%x", p) }

// WriteNFT writes the translation as an nft -f file: table inet sigtool
// (replaced as a whole, atomically, on every load) with the signatures in
// chain "signatures" and one base chain per hook jumping to it.
func (t *Translation) WriteNFT(w io.Writer, version string) error {
	o := t.opts.Chain
	table := strings.ToLower(o.Chain)
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by sigtool %s from %s: %s.\n", version, Plural(len(t.Results), "signature"), summaryText(t.Summary()))
	fmt.Fprintf(&b, "# Load with: nft -f FILE   (remove: nft delete table inet %s)\n", table)
	fmt.Fprintf(&b, "table inet %s\ndelete table inet %s\ntable inet %s {\n\tchain signatures {\n", table, table, table)
	for _, r := range t.ordered() {
		fmt.Fprintf(&b, "\t\t# %d:%d rev %d %s: %s\n", r.GID, r.SID, r.Rev, r.Verdict, oneLine(r.Msg))
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "\t\t#   %s\n", n)
		}
		for _, s := range r.Rules {
			fmt.Fprintf(&b, "\t\t%s\n", strings.Join(s, " "))
		}
	}
	b.WriteString("\t}\n")
	for _, h := range o.Hooks {
		hook := strings.ToLower(h)
		prio := "filter"
		switch o.Table {
		case "mangle":
			prio = "mangle"
		case "raw":
			prio = "raw"
		}
		fmt.Fprintf(&b, "\n\tchain %s {\n\t\ttype filter hook %s priority %s; policy accept;\n\t\tjump signatures\n\t}\n", hook, hook, prio)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
