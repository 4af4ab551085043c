package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// Verdict says how faithfully a firewall rule reproduces a signature.
type Verdict string

const (
	// Exact: the firewall matches the packets Suricata would alert on
	// (per packet; see docs/export.md for the assumptions every
	// translation shares, such as no IP options).
	Exact Verdict = "exact"
	// Approximated: translated, but the notes say what was lost; the
	// firewall rule may match more (or, for TCP, fewer) packets.
	Approximated Verdict = "approximated"
	// NotTranslatable: no firewall rule was written for the signature.
	NotTranslatable Verdict = "not translatable"
)

// Format is a firewall language.
type Format string

const (
	IPTables Format = "iptables"
	NFTables Format = "nftables"
)

// Options tune a translation. The zero value uses Suricata's default
// variables, DROP for alert rules, chain SIGTOOL of table filter jumped
// to from INPUT, FORWARD and OUTPUT (for nftables: table inet sigtool
// with base chains on those hooks).
type Options struct {
	// Vars are rule variables without '$'; nil means rulesets.DefaultVars().
	Vars map[string]string
	// Target is what an alert rule does besides LOG: "DROP" (default),
	// "REJECT", or "LOG" for logging only. drop, reject and pass rules keep
	// their own meaning (DROP, REJECT, RETURN).
	Target string
	Chain  ChainOptions
}

// Result is one signature's translation into one format.
type Result struct {
	File    string   `json:"file,omitempty"`
	Line    int      `json:"line,omitempty"`
	GID     int      `json:"gid"`
	SID     int      `json:"sid"`
	Rev     int      `json:"rev"`
	Msg     string   `json:"msg"`
	Verdict Verdict  `json:"verdict"`
	Notes   []string `json:"notes"`
	// Rules are the firewall rules written for the signature: for
	// iptables the rulespecs (the arguments after "-A CHAIN"), for
	// nftables the statements of one rule each.
	Rules [][]string `json:"rules"`
	// pass rules go to the front of the chain, as Suricata runs them first.
	pass bool
}

// Translation is the result for a whole rule set in one format.
type Translation struct {
	Format  Format    `json:"format"`
	Results []*Result `json:"results"`
	opts    Options
}

// Summary counts the results by verdict.
func (t *Translation) Summary() map[Verdict]int {
	m := map[Verdict]int{Exact: 0, Approximated: 0, NotTranslatable: 0}
	for _, r := range t.Results {
		m[r.Verdict]++
	}
	return m
}

// Translate turns the enabled rules into firewall rules in format f.
// Every rule gets a Result; a rule that cannot be translated gets the
// verdict NotTranslatable and notes saying why, never an error. The error
// is for bad options only.
func Translate(rules []*sigparse.Rule, f Format, opts Options) (*Translation, error) {
	if f != IPTables && f != NFTables {
		return nil, fmt.Errorf("format %q: want iptables or nftables", f)
	}
	if opts.Vars == nil {
		opts.Vars = rulesets.DefaultVars()
	}
	switch t := strings.ToUpper(opts.Target); t {
	case "":
		opts.Target = "DROP"
	case "DROP", "REJECT", "LOG":
		opts.Target = t
	default:
		return nil, fmt.Errorf("target %q: want DROP, REJECT or LOG", opts.Target)
	}
	var err error
	if opts.Chain, err = opts.Chain.normalize(); err != nil {
		return nil, err
	}
	if opts.Target == "REJECT" && opts.Chain.Table != "filter" && f == IPTables {
		return nil, fmt.Errorf("target REJECT: iptables allows REJECT only in table filter, not %s", opts.Chain.Table)
	}
	tr := &Translation{Format: f, opts: opts}
	for _, r := range rules {
		if r.Disabled {
			continue
		}
		res := &Result{GID: r.GID(), SID: r.SID(), Rev: r.Rev(), Msg: r.Msg(), Notes: []string{}, Rules: [][]string{}}
		if r.File != nil {
			p := r.File.Position(r.Pos)
			res.File, res.Line = p.Filename, p.Line
		}
		ir, notes, why := analyze(r, opts)
		switch {
		case why != "":
			res.Verdict, res.Notes = NotTranslatable, append(notes, why)
		default:
			var more []string
			res.Rules, more, why = ir.render(f, opts)
			res.Notes = append(notes, more...)
			res.pass = ir.action == "RETURN"
			switch {
			case why != "":
				res.Verdict, res.Rules = NotTranslatable, [][]string{}
				res.Notes = append(res.Notes, why)
			case ir.lossy || len(more) > 0 && hasLoss(more):
				res.Verdict = Approximated
			default:
				res.Verdict = Exact
			}
		}
		tr.Results = append(tr.Results, res)
	}
	return tr, nil
}

// Notes that only explain (and lose nothing) start with this.
const infoPrefix = "note: "

func hasLoss(notes []string) bool {
	for _, n := range notes {
		if !strings.HasPrefix(n, infoPrefix) {
			return true
		}
	}
	return false
}

// fwRule is a signature reduced to what firewalls can look at.
type fwRule struct {
	sid, gid int
	msg      string
	protos   []string // "tcp", "udp", "icmp"; empty for any IP packet
	src, dst addrSet
	sp, dp   portSet
	// Conntrack: state "ESTABLISHED", "NEW" or ""; dir "ORIGINAL", "REPLY" or "".
	ctState, ctDir string
	frag           int // 1 fragments only, -1 no fragments
	contents       []payloadMatch
	dsize          *sigparse.SizeRange
	ttl            *sigparse.SizeRange
	itype, icode   int    // -1 when absent
	action         string // "DROP", "REJECT", "RETURN", "" (log only)
	log            bool
	lossy          bool // some notes say what analyze dropped
	bidir          bool // "<>": the rules are written for both directions
}

// render writes the rule in format f; a bidirectional rule is rendered a
// second time with source and destination swapped.
func (ir *fwRule) render(f Format, opts Options) ([][]string, []string, string) {
	do := ir.iptables
	if f == NFTables {
		do = ir.nftables
	}
	rules, notes, why := do(opts)
	if why != "" || !ir.bidir {
		return rules, notes, why
	}
	rev := *ir
	rev.src, rev.dst, rev.sp, rev.dp = ir.dst, ir.src, ir.dp, ir.sp
	if rev.ctDir != "" {
		rev.ctDir = map[string]string{"ORIGINAL": "REPLY", "REPLY": "ORIGINAL"}[rev.ctDir]
	}
	do = rev.iptables
	if f == NFTables {
		do = rev.nftables
	}
	more, notes2, why := do(opts)
	for _, n := range notes2 {
		notes = appendOnce(notes, n)
	}
	return append(rules, more...), notes, why
}

// payloadMatch is one content as a firewall sees it: offsets are
// relative to the start of the transport payload; depth < 0 means to the
// end of the packet.
type payloadMatch struct {
	pattern        []byte
	nocase, negate bool
	offset, depth  int
	raw            bool // from an app-layer buffer: position unknown
}

// anchored reports whether the match has one possible position.
func (c payloadMatch) anchored() bool { return !c.raw && c.depth == len(c.pattern) }

// appProtos maps Suricata's app-layer protocols to the transports they
// run on.
var appProtos = map[string][]string{
	"http": {"tcp"}, "http1": {"tcp"}, "http2": {"tcp"}, "tls": {"tcp"}, "ssl": {"tcp"}, "ssh": {"tcp"},
	"smtp": {"tcp"}, "ftp": {"tcp"}, "ftp-data": {"tcp"}, "imap": {"tcp"}, "pop3": {"tcp"}, "smb": {"tcp"},
	"rdp": {"tcp"}, "rfb": {"tcp"}, "mqtt": {"tcp"}, "modbus": {"tcp"}, "dnp3": {"tcp"}, "telnet": {"tcp"},
	"irc": {"tcp"}, "pgsql": {"tcp"}, "bittorrent-dht": {"udp"}, "ntp": {"udp"}, "dhcp": {"udp"},
	"snmp": {"udp"}, "tftp": {"udp"}, "ike": {"udp"}, "quic": {"udp"}, "syslog": {"udp"},
	"dns": {"tcp", "udp"}, "dcerpc": {"tcp", "udp"}, "nfs": {"tcp", "udp"}, "krb5": {"tcp", "udp"},
	"sip": {"tcp", "udp"}, "enip": {"tcp", "udp"}, "websocket": {"tcp"}, "ldap": {"tcp", "udp"},
}

// informational keywords change nothing a firewall could check.
var informational = map[string]bool{
	"msg": true, "sid": true, "gid": true, "rev": true, "classtype": true, "priority": true,
	"reference": true, "metadata": true, "target": true, "service": true, "fast_pattern": true,
	"tag": true, "prefilter": true, "requires": true,
}

// untranslatable keywords need state or computation no firewall rule has.
var untranslatable = map[string]string{
	"pcre":          "pcre: firewalls have no regular expressions",
	"byte_test":     "byte_test: no equivalent",
	"byte_jump":     "byte_jump: no equivalent",
	"byte_extract":  "byte_extract: no equivalent",
	"byte_math":     "byte_math: no equivalent",
	"base64_decode": "base64_decode: no equivalent",
	"lua":           "lua: no equivalent",
	"luajit":        "luajit: no equivalent",
	"xbits":         "xbits: needs state across flows",
	"hostbits":      "hostbits: needs state across flows",
	"datarep":       "datarep: needs Suricata datasets",
	"dataset":       "dataset: needs Suricata datasets",
	"iprep":         "iprep: needs Suricata's IP reputation",
	"stream_size":   "stream_size: needs stream tracking",
	"file.name":     "file.name: needs file extraction",
	"filemagic":     "filemagic: needs file extraction",
	"filemd5":       "filemd5: needs file extraction",
	"filesha1":      "filesha1: needs file extraction",
	"filesha256":    "filesha256: needs file extraction",
	"filesize":      "filesize: needs file extraction",
	"ja3.hash":      "ja3.hash: needs TLS parsing",
	"ja3s.hash":     "ja3s.hash: needs TLS parsing",
	"tls.version":   "tls.version: needs TLS parsing",
	"ssl_version":   "ssl_version: needs TLS parsing",
	"ssl_state":     "ssl_state: needs TLS parsing",
	"dns.opcode":    "dns.opcode: needs DNS parsing",
}

// droppable keywords narrow the match; without them the firewall
// matches more packets than Suricata alerts on.
var droppable = map[string]string{
	"threshold":          "threshold ignored: every matching packet is logged",
	"detection_filter":   "detection_filter ignored: every matching packet is acted on",
	"isdataat":           "isdataat dropped",
	"urilen":             "urilen dropped",
	"bsize":              "bsize dropped",
	"app-layer-protocol": "app-layer-protocol dropped",
	"app-layer-event":    "app-layer-event dropped",
	"flowint":            "flowint dropped",
	"id":                 "id dropped",
	"window":             "window dropped",
	"seq":                "seq dropped",
	"ack":                "ack dropped",
	"fragbits":           "fragbits dropped",
	"fragoffset":         "fragoffset dropped",
	"tos":                "tos dropped",
	"ipopts":             "ipopts dropped",
	"sameip":             "sameip dropped",
	"icmp_id":            "icmp_id dropped",
	"icmp_seq":           "icmp_seq dropped",
	"flags":              "flags dropped",
}

// analyze reduces r to a fwRule. It returns notes on what was lost and,
// when the rule cannot be translated at all, why.
func analyze(r *sigparse.Rule, opts Options) (ir *fwRule, notes []string, why string) {
	ir = &fwRule{sid: r.SID(), gid: r.GID(), msg: r.Msg(), itype: -1, icode: -1, log: true}
	lose := func(s string) {
		if !slices.Contains(notes, s) {
			notes = append(notes, s)
		}
		ir.lossy = true
	}
	switch a := strings.ToLower(r.Action); a {
	case "alert":
		if opts.Target != "LOG" {
			ir.action = opts.Target
		}
	case "drop":
		ir.action = "DROP"
	case "sdrop":
		ir.action, ir.log = "DROP", false
	case "reject", "rejectsrc", "rejectdst", "rejectboth":
		ir.action = "REJECT"
		if opts.Chain.Table != "filter" {
			// iptables has REJECT in filter only; nft's reject is fine
			// in a filter-type chain at any priority, but keep the two alike.
			return nil, notes, "reject: REJECT is only allowed in table filter"
		}
	case "pass":
		ir.action, ir.log = "RETURN", false
	case "log":
	default:
		return nil, notes, fmt.Sprintf("action %q has no firewall equivalent", r.Action)
	}

	proto := strings.ToLower(r.Protocol)
	switch {
	case proto == "tcp" || proto == "udp" || proto == "icmp":
		ir.protos = []string{proto}
	case proto == "ip" || proto == "pkthdr":
	case strings.HasPrefix(proto, "tcp-") || strings.HasSuffix(proto, "-tcp"):
		ir.protos = []string{"tcp"}
	case appProtos[proto] != nil:
		ir.protos = appProtos[proto]
		lose(fmt.Sprintf("%s recognised by transport (%s) and the rule's ports only, not by protocol detection", proto, strings.Join(ir.protos, "/")))
	default:
		return nil, notes, fmt.Sprintf("protocol %q has no firewall equivalent", r.Protocol)
	}

	raw := func(a *sigparse.Addr) string {
		if a == nil {
			return ""
		}
		return a.Raw
	}
	rawp := func(p *sigparse.Port) string {
		if p == nil {
			return ""
		}
		return p.Raw
	}
	var err error
	if ir.src, err = evalAddrs(opts.Vars, raw(r.Src)); err != nil {
		return nil, notes, "source address: " + err.Error()
	}
	if ir.dst, err = evalAddrs(opts.Vars, raw(r.Dst)); err != nil {
		return nil, notes, "destination address: " + err.Error()
	}
	if ir.sp, err = evalPorts(opts.Vars, rawp(r.SrcPort)); err != nil {
		return nil, notes, "source port: " + err.Error()
	}
	if ir.dp, err = evalPorts(opts.Vars, rawp(r.DstPort)); err != nil {
		return nil, notes, "destination port: " + err.Error()
	}
	if len(ir.protos) == 0 && (!portsAny(ir.sp) || !portsAny(ir.dp)) {
		lose("ports dropped: protocol ip has no ports")
		ir.sp, ir.dp = fullPorts(), fullPorts()
	}
	ir.bidir = r.Bidirectional

	hasPayload := false
	for _, o := range r.Options {
		if o.Invalid {
			return nil, notes, fmt.Sprintf("option %s has an invalid value", o.Name)
		}
		switch v := o.Value.(type) {
		case *sigparse.Content:
			hasPayload = true
			m, n := contentMatch(v, proto)
			for _, s := range n {
				lose(s)
			}
			ir.contents = append(ir.contents, m...)
			continue
		case *sigparse.Modifier, *sigparse.StickyBuffer, *sigparse.FastPattern:
			continue // folded into the contents
		case *sigparse.Transform:
			lose(fmt.Sprintf("transform %s not applied: contents are matched on the untransformed bytes", v.Name))
			continue
		case *sigparse.Flow:
			if v.Established {
				ir.ctState = "ESTABLISHED"
			}
			if v.NotEstablished {
				ir.ctState = "NEW"
				lose("flow:not_established becomes conntrack state NEW, which ends at the first reply rather than at the end of the handshake")
			}
			if v.ToServer {
				ir.ctDir = "ORIGINAL"
			}
			if v.ToClient {
				ir.ctDir = "REPLY"
			}
			if v.OnlyFrag {
				ir.frag = 1
			}
			if v.NoFrag {
				ir.frag = -1
			}
			if v.OnlyStream || v.NoStream {
				lose("flow:only_stream/no_stream dropped: firewalls see packets only")
			}
			continue
		case *sigparse.Flowbits:
			switch v.Cmd {
			case "noalert":
				return nil, notes, "flowbits:noalert: the rule only sets state for other rules and never alerts"
			case "isset", "isnotset":
				return nil, notes, "flowbits:" + v.Cmd + ": needs state set by other rules"
			default:
				notes = append(notes, infoPrefix+"flowbits:"+v.Cmd+" dropped (it changes no match of this rule)")
			}
			continue
		case *sigparse.Dsize:
			sr := v.SizeRange
			ir.dsize = &sr
			hasPayload = true
			continue
		case *sigparse.Flag:
			if o.Name == "noalert" {
				return nil, notes, "noalert: the rule never alerts"
			}
		}
		name := o.Name
		switch {
		case informational[name]:
		case untranslatable[name] != "":
			return nil, notes, untranslatable[name]
		case name == "ttl":
			sr, ok := parseCompare(o.Arg)
			if !ok {
				return nil, notes, fmt.Sprintf("ttl:%s not understood", o.Arg)
			}
			ir.ttl = &sr
		case name == "itype" || name == "icode":
			n, err := strconv.Atoi(strings.TrimSpace(o.Arg))
			if err != nil || n < 0 || n > 255 {
				lose(name + ":" + o.Arg + " dropped: only a single number is translated")
				continue
			}
			if name == "itype" {
				ir.itype = n
			} else {
				ir.icode = n
			}
		case droppable[name] != "":
			lose(droppable[name])
		default:
			return nil, notes, fmt.Sprintf("keyword %s has no firewall equivalent", name)
		}
	}
	if ir.icode >= 0 && ir.itype < 0 {
		lose("icode dropped: iptables needs the type with the code")
		ir.icode = -1
	}
	if (ir.itype >= 0) && !slices.Equal(ir.protos, []string{"icmp"}) {
		return nil, notes, "itype/icode in a rule whose protocol is not icmp"
	}
	if (ir.ctState != "" || ir.ctDir != "") && opts.Chain.Table == "raw" {
		return nil, notes, "flow: table raw runs before connection tracking, so conntrack matches never hold there"
	}
	if ir.ctState == "ESTABLISHED" && slices.Contains(ir.protos, "tcp") {
		lose("flow:established becomes conntrack ESTABLISHED, which also covers the SYN-ACK and connections picked up mid-stream, where Suricata waits for the handshake")
	}
	if hasPayload && slices.Contains(ir.protos, "tcp") {
		lose("TCP payload matched per packet, not on the reassembled stream: a match split across segments is missed")
	}
	if hasPayload && len(ir.protos) == 0 {
		lose("payload offsets assume a 20-byte IP header and no transport header (protocol ip)")
	}
	return ir, notes, ""
}

// httpBuffers are the buffers whose bytes also appear verbatim in the
// packet carrying them (before any normalisation).
func bufferNote(buf string) string {
	switch {
	case strings.HasPrefix(buf, "http."), buf == "file.data":
		norm := ""
		switch buf {
		case "http.uri", "http.host", "http.header", "http.cookie", "file.data", "http.response_body", "http.request_body":
			norm = ", without Suricata's normalisation or decoding"
		}
		return fmt.Sprintf("%s content becomes a raw packet match (anywhere in the packet, not only in the %s buffer%s)", buf, buf, norm)
	}
	return fmt.Sprintf("%s content becomes a raw packet match", buf)
}

// contentMatch turns one content into payload matches and loss notes.
func contentMatch(c *sigparse.Content, proto string) ([]payloadMatch, []string) {
	var notes []string
	m := payloadMatch{pattern: c.Pattern, nocase: c.Nocase, negate: c.Negated, depth: -1}
	if len(c.Pattern) == 0 {
		return nil, []string{"empty content dropped"}
	}
	if c.Buffer != "" {
		m.raw = true
		notes = append(notes, bufferNote(c.Buffer))
		if c.Offset != nil || c.Depth != nil || c.Startswith || c.Endswith {
			notes = append(notes, "offset/depth/startswith/endswith inside a buffer dropped")
		}
	} else {
		if c.Offset != nil {
			if c.Offset.Var != "" {
				notes = append(notes, "offset from a byte_extract variable dropped")
			} else {
				m.offset = c.Offset.N
			}
		}
		if c.Depth != nil {
			if c.Depth.Var != "" {
				notes = append(notes, "depth from a byte_extract variable dropped")
			} else {
				m.depth = c.Depth.N
			}
		}
		if c.Startswith {
			m.offset, m.depth = 0, len(c.Pattern)
		}
		if c.Endswith {
			notes = append(notes, "endswith dropped: the end of the payload is not known to a string match")
		}
	}
	if c.Distance != nil || c.Within != nil {
		notes = append(notes, "distance/within dropped: contents are matched independently of their order")
	}
	if c.Negated && len(notes) > 0 {
		// A negated match with a widened window or position excludes more
		// than Suricata would: that is a different rule, not an approximation.
		return nil, append(notes, "negated content with the above dropped instead of translated")
	}
	if len(c.Transforms) > 0 {
		notes = append(notes, "transforms "+strings.Join(c.Transforms, ",")+" not applied")
	}
	// xt_string patterns are at most 128 bytes; iptables 1.8 refuses a
	// 128-byte --hex-string that ends in a |hex| run, so binary patterns
	// stop at 127.
	maxPattern := 128
	if !printable(m.pattern) {
		maxPattern = 127
	}
	if len(m.pattern) > maxPattern {
		if m.negate {
			return nil, append(notes, fmt.Sprintf("negated content longer than %d bytes dropped", maxPattern))
		}
		notes = append(notes, fmt.Sprintf("content longer than %d bytes split into pieces matched independently", maxPattern))
		var out []payloadMatch
		for i := 0; i < len(m.pattern); i += maxPattern {
			p := m
			p.pattern = m.pattern[i:min(i+maxPattern, len(m.pattern))]
			if m.depth >= 0 {
				p.offset = m.offset + i
				p.depth = m.depth - i
			}
			out = append(out, p)
		}
		return out, notes
	}
	return []payloadMatch{m}, notes
}

// parseCompare reads "N", "<N", ">N", "<=N", ">=N", "N-M" (ttl).
func parseCompare(s string) (sigparse.SizeRange, bool) {
	s = strings.TrimSpace(s)
	for _, op := range []string{"<=", ">=", "<", ">", "="} {
		if strings.HasPrefix(s, op) {
			n, err := strconv.Atoi(strings.TrimSpace(s[len(op):]))
			return sigparse.SizeRange{Op: op, Min: n}, err == nil && n >= 0 && n <= 255
		}
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		x, err1 := strconv.Atoi(strings.TrimSpace(a))
		y, err2 := strconv.Atoi(strings.TrimSpace(b))
		return sigparse.SizeRange{Op: "<>", Min: x - 1, Max: y + 1}, err1 == nil && err2 == nil && x <= y
	}
	n, err := strconv.Atoi(s)
	return sigparse.SizeRange{Op: "=", Min: n}, err == nil && n >= 0 && n <= 255
}

// bounds returns the inclusive range a SizeRange accepts within [0, max],
// and whether it is one range (false for "!=").
func bounds(sr sigparse.SizeRange, max int) (lo, hi int, ok bool) {
	switch sr.Op {
	case "=", "":
		return sr.Min, sr.Min, true
	case "<":
		return 0, sr.Min - 1, sr.Min > 0
	case "<=":
		return 0, sr.Min, true
	case ">":
		return sr.Min + 1, max, sr.Min < max
	case ">=":
		return sr.Min, max, true
	case "<>":
		return sr.Min + 1, sr.Max - 1, sr.Min+1 <= sr.Max-1
	}
	return 0, 0, false
}

// logPrefix is what LOG writes before each packet; at most 29 bytes.
func logPrefix(gid, sid int) string {
	p := fmt.Sprintf("sigtool %d:%d ", gid, sid)
	if len(p) > 29 {
		p = p[:29]
	}
	return p
}

// comment is the rule's comment: gid:sid and msg, safe for both
// iptables-restore and nft quoting, at most n bytes.
func comment(gid, sid int, msg string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%d %s", gid, sid, msg)
	s := []byte(b.String())
	for i, c := range s {
		switch {
		case c == '"':
			s[i] = '\''
		case c == '\\':
			s[i] = '/'
		case c < 0x20 || c >= 0x7f:
			s[i] = '?'
		}
	}
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(string(s), " ")
}
