package sigparse

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unsafe"
)

// ParseFile parses the rules in src. Every rule that has a readable header
// and option list is returned, even when some option values are bad (the
// option is then marked Invalid); the errors are returned in source order
// and also kept in File.Errors. Errors in '#'-disabled rules have
// InDisabled set. ParseFile never panics on any input.
//
// The File keeps src and the strings of its rules (Raw, Arg, comment
// text) are views of it, not copies: src must not be modified once
// ParseFile is called.
func ParseFile(filename string, src []byte, opts Options) (*File, ErrorList) {
	f := &File{Name: filename, Src: src}
	f.lines = lineStarts(src)
	// Viewing src as a string instead of copying it saves a copy of every
	// rule file (20 MB for ET Open) for as long as its rules live.
	p := &parser{file: f, src: unsafe.String(unsafe.SliceData(src), len(src))}
	var raws []*rawRule
	items := lex(src, p.src)
	for i := range items {
		it := &items[i]
		switch it.kind {
		case itemComment:
			f.Comments = append(f.Comments, &Comment{Pos: it.start, Text: it.text})
		case itemRule, itemDisabled:
			rr := p.splitRule(it)
			if rr == nil {
				if it.kind == itemDisabled {
					// Commented text that only resembles a rule is a comment.
					hash := int(it.start)
					for src[hash] != '#' {
						hash++ // past the indentation
					}
					f.Comments = append(f.Comments, &Comment{Pos: Pos(hash), Text: p.src[hash:it.end]})
				}
				continue
			}
			raws = append(raws, rr)
		}
	}
	f.Dialect = opts.Dialect
	if f.Dialect == DialectAuto {
		f.Dialect = detectDialect(raws)
	}
	f.Rules = make([]*Rule, 0, len(raws))
	for _, rr := range raws {
		f.Rules = append(f.Rules, p.buildRule(rr, f.Dialect))
	}
	p.errs.Sort()
	f.Errors = p.errs
	return f, p.errs
}

// ParseRule parses a single rule (continuation lines allowed). Positions
// in the rule and in the error are relative to text. The rule is returned
// whenever its header and option list could be read, together with the
// first error, if any.
func ParseRule(text string, opts Options) (*Rule, error) {
	f, errs := ParseFile("", []byte(text), opts)
	var r *Rule
	for _, x := range f.Rules {
		if !x.Disabled || r == nil {
			r = x
			if !x.Disabled {
				break
			}
		}
	}
	if r == nil {
		if len(errs) > 0 {
			return nil, errs[0]
		}
		return nil, &Error{Msg: "no rule found"}
	}
	r.File = nil
	if len(errs) > 0 {
		return r, errs[0]
	}
	return r, nil
}

// parser holds the state of one ParseFile call.
type parser struct {
	file *File
	src  string // file.Src as a string: Raw, Arg and Text are substrings of it
	errs ErrorList
}

// rawRule is a rule whose header is parsed and whose option list is split
// into name/argument pairs, before typed values are read: the dialect is
// detected over every raw rule of the file first.
type rawRule struct {
	it   *item
	rule *Rule
	opts []*Option
	// noSemi is the logical offset just past the last option when it is
	// not followed by ';' (Snort accepts that, Suricata does not); -1 otherwise.
	noSemi int
}

func (p *parser) errorf(it *item, off, endOff int, disabled bool, format string, args ...any) *Error {
	pos := it.pos(off)
	end := it.pos(endOff)
	e := &Error{
		Pos:        p.file.Position(pos),
		End:        p.file.Position(end),
		Msg:        fmt.Sprintf(format, args...),
		Line:       LineAt(p.file.Src, int(pos)),
		InDisabled: disabled,
	}
	p.errs = append(p.errs, e)
	return e
}

// splitRule parses the header of the logical line and splits the option
// list. It returns nil (after recording an error for enabled rules) when
// the rule cannot be read at all.
func (p *parser) splitRule(it *item) *rawRule {
	s := it.text
	disabled := it.kind == itemDisabled
	// A disabled rule that fails here is treated as a comment without an
	// error: "# alert (see below)" is prose, not a broken rule.
	fail := func(off, end int, format string, args ...any) *rawRule {
		if !disabled {
			p.errorf(it, off, end, false, format, args...)
		}
		return nil
	}
	r := &Rule{Disabled: disabled, Start: it.start, Pos: it.pos(0), File: p.file}
	i := 0
	word := func() (string, int) { return scanWord(s, &i, true) }
	plainWord := func() (string, int) { return scanWord(s, &i, false) }
	action, aoff := plainWord()
	if !actions[strings.ToLower(action)] {
		return fail(aoff, aoff+len(action), "unknown rule action %q", action)
	}
	r.Action = action
	proto, poff := plainWord()
	if proto == "" {
		return fail(poff, poff, "missing protocol after action %q", action)
	}
	if !validVar(proto) {
		return fail(poff, poff+len(proto), "invalid protocol %q", proto)
	}
	r.Protocol = proto
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] != '(' {
		// A full header: src sport dir dst dport, each checked as it is
		// read so that the first bad field is the one reported.
		for k := 0; k < 5; k++ {
			field, off := word()
			if field == "" {
				return fail(off, off, "incomplete rule header: expected %s", headerFieldNames[k])
			}
			var err *headerError
			switch k {
			case 0:
				r.Src, err = parseAddr(field, off)
			case 1:
				r.SrcPort, err = parsePort(field, off)
			case 2:
				switch field {
				case "->":
				case "<>":
					r.Bidirectional = true
				case "<-":
					return fail(off, off+2, "direction %q is not supported: write the rule with -> and swapped addresses", field)
				default:
					return fail(off, off+len(field), "expected -> or <> between source and destination, got %q", field)
				}
			case 3:
				r.Dst, err = parseAddr(field, off)
			case 4:
				r.DstPort, err = parsePort(field, off)
			}
			if err != nil {
				return fail(err.off, err.end, "%s", err.msg)
			}
		}
		r.Src.setPos(it)
		r.Dst.setPos(it)
		r.SrcPort.setPos(it)
		r.DstPort.setPos(it)
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	if i >= len(s) || s[i] != '(' {
		return fail(i, i, "expected '(' to start the rule options")
	}
	open := i
	close := strings.LastIndexByte(s, ')')
	if close < open {
		return fail(len(s), len(s), "missing ')' at the end of the rule")
	}
	if rest := trimBlank(s[close+1:]); rest != "" {
		off := close + 1 + strings.Index(s[close+1:], rest)
		return fail(off, off+len(rest), "unexpected text after the closing ')'")
	}
	r.End = it.pos(close) + 1
	r.Raw = p.src[r.Pos:r.End]
	rr := &rawRule{it: it, rule: r, noSemi: -1}
	p.splitOptions(rr, open+1, close)
	return rr
}

// scanWord skips blanks from *i and returns the next header field and its
// offset, advancing *i past it. A field ends at a blank or '('; with lists
// set, a field starting with '[' or "![" runs to its matching ']' (a list
// may hold blanks), or to the '(' of the options when a bracket is missing.
func scanWord(s string, i *int, lists bool) (string, int) {
	for *i < len(s) && isSpace(s[*i]) {
		*i++
	}
	st := *i
	if lists && *i < len(s) && (s[*i] == '[' || s[*i] == '!' && *i+1 < len(s) && s[*i+1] == '[') {
		depth := 0
		for *i < len(s) && s[*i] != '(' {
			switch s[*i] {
			case '[':
				depth++
			case ']':
				depth--
			}
			*i++
			if depth == 0 && s[*i-1] == ']' {
				break
			}
		}
		return s[st:*i], st
	}
	for *i < len(s) && !isSpace(s[*i]) && s[*i] != '(' {
		*i++
	}
	return s[st:*i], st
}

var headerFieldNames = [5]string{"source address", "source port", "direction", "destination address", "destination port"}

// splitOptions splits s[from:to] into options at unescaped ';'.
func (p *parser) splitOptions(rr *rawRule, from, to int) {
	s := rr.it.text
	disabled := rr.rule.Disabled
	// One allocation for all options of the rule: there is at most one
	// more option than there are ';'.
	slab := make([]Option, 0, strings.Count(s[from:to], ";")+1)
	rr.opts = make([]*Option, 0, cap(slab))
	i := from
	for {
		for i < to && isSpace(s[i]) {
			i++
		}
		if i >= to {
			return
		}
		if s[i] == ';' {
			// An empty option (";;") is harmless; Suricata skips it too.
			i++
			continue
		}
		nameStart := i
		for i < to && s[i] != ':' && s[i] != ';' {
			i++
		}
		name := trimBlank(s[nameStart:i])
		slab = append(slab, Option{Name: lowerName(name), Pos: rr.it.pos(nameStart), ArgPos: NoPos})
		o := &slab[len(slab)-1]
		if i < to && s[i] == ':' {
			i++
			argStart := i
			esc := false
			for i < to {
				c := s[i]
				if esc {
					esc = false
				} else if c == '\\' {
					esc = true
				} else if c == ';' {
					break
				}
				i++
			}
			raw := s[argStart:i]
			o.Arg = trimBlank(raw)
			lead := strings.Index(raw, o.Arg)
			o.HasArg = true
			o.ArgPos = rr.it.pos(argStart + lead)
			o.argOff = int32(argStart + lead)
		}
		o.End = rr.it.pos(i)
		if !validName(name) {
			o.Name = name // as written, so that printing keeps it
			p.errorf(rr.it, nameStart, nameStart+len(name), disabled, "invalid option name %q", name)
			o.Invalid = true
			o.Err = p.errs[len(p.errs)-1]
		}
		rr.opts = append(rr.opts, o)
		if i < to {
			i++ // the ';'
		} else {
			end := i
			for end > nameStart && isSpace(s[end-1]) {
				end--
			}
			rr.noSemi = end
		}
	}
}

// lowerName lower-cases a keyword without allocating when it already is.
func lowerName(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isWordByte(c) || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// trimBlank removes the ASCII blanks isSpace accepts from both ends; the
// scanner treats only those as separators, so trimming Unicode spaces too
// (strings.TrimSpace) would make printing and parsing disagree.
func trimBlank(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

// headerError is a problem in an address or port expression, with
// offsets into the logical line.
type headerError struct {
	off, end int
	msg      string
}

// ParseAddr parses an address expression as written in a rule header or in
// the value of an address variable (suricata.yaml's address-groups), e.g.
// "[10.0.0.0/8,!$DNS_SERVERS]". Surrounding spaces are ignored.
func ParseAddr(s string) (*Addr, error) {
	a, err := parseAddr(strings.TrimSpace(s), 0)
	if err != nil {
		return nil, errors.New(err.msg)
	}
	return a, nil
}

// ParsePort parses a port expression as written in a rule header or in the
// value of a port variable, e.g. "[80,8000:8080,!$SSH_PORTS]".
func ParsePort(s string) (*Port, error) {
	p, err := parsePort(strings.TrimSpace(s), 0)
	if err != nil {
		return nil, errors.New(err.msg)
	}
	return p, nil
}

// parseAddr parses an address expression starting at offset off of the
// logical line.
func parseAddr(s string, off int) (*Addr, *headerError) {
	a := &Addr{Raw: s, Pos: Pos(off)}
	t := s
	if strings.HasPrefix(t, "!") {
		a.Negated = true
		t = t[1:]
		off++
	}
	switch {
	case t == "":
		return nil, &headerError{off, off, "empty address"}
	case strings.HasPrefix(t, "["):
		if !strings.HasSuffix(t, "]") {
			return nil, &headerError{off, off + len(t), fmt.Sprintf("unterminated address list %q", t)}
		}
		a.IsList = true
		items, err := splitList(t[1:len(t)-1], off+1)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, &headerError{off, off + len(t), "empty address list"}
		}
		for _, x := range items {
			c, err := parseAddr(x.s, x.off)
			if err != nil {
				return nil, err
			}
			a.List = append(a.List, c)
		}
	case strings.EqualFold(t, "any"):
		a.Any = true
	case strings.HasPrefix(t, "$"):
		if !validVar(t[1:]) {
			return nil, &headerError{off, off + len(t), fmt.Sprintf("invalid variable %q", t)}
		}
		a.Var = t[1:]
	default:
		pfx, err := parsePrefix(t)
		if err != nil {
			return nil, &headerError{off, off + len(t), fmt.Sprintf("invalid address %q", t)}
		}
		a.Prefix = pfx
	}
	return a, nil
}

// parsePrefix reads an IPv4/IPv6 address or CIDR block; a netmask in
// dotted form (10.0.0.0/255.0.0.0) is accepted as Suricata does.
func parsePrefix(t string) (netip.Prefix, error) {
	if i := strings.IndexByte(t, '/'); i >= 0 {
		if m, err := netip.ParseAddr(t[i+1:]); err == nil && m.Is4() {
			addr, err := netip.ParseAddr(t[:i])
			if err != nil {
				return netip.Prefix{}, err
			}
			b := m.As4()
			bits := 0
			v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			for v&0x80000000 != 0 {
				bits++
				v <<= 1
			}
			if v != 0 {
				return netip.Prefix{}, fmt.Errorf("non-contiguous netmask")
			}
			return addr.Prefix(bits)
		}
		return netip.ParsePrefix(t)
	}
	addr, err := netip.ParseAddr(t)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}

// parsePort parses a port expression starting at offset off.
func parsePort(s string, off int) (*Port, *headerError) {
	p := &Port{Raw: s, Pos: Pos(off)}
	t := s
	if strings.HasPrefix(t, "!") {
		p.Negated = true
		t = t[1:]
		off++
	}
	switch {
	case t == "":
		return nil, &headerError{off, off, "empty port"}
	case strings.HasPrefix(t, "["):
		if !strings.HasSuffix(t, "]") {
			return nil, &headerError{off, off + len(t), fmt.Sprintf("unterminated port list %q", t)}
		}
		p.IsList = true
		items, err := splitList(t[1:len(t)-1], off+1)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, &headerError{off, off + len(t), "empty port list"}
		}
		for _, x := range items {
			c, err := parsePort(x.s, x.off)
			if err != nil {
				return nil, err
			}
			p.List = append(p.List, c)
		}
	case strings.EqualFold(t, "any"):
		p.Any = true
	case strings.HasPrefix(t, "$"):
		if !validVar(t[1:]) {
			return nil, &headerError{off, off + len(t), fmt.Sprintf("invalid variable %q", t)}
		}
		p.Var = t[1:]
	default:
		lo, hi, isRange, ok := parsePortRange(t)
		if !ok {
			return nil, &headerError{off, off + len(t), fmt.Sprintf("invalid port %q: ports are 0-65535, ranges LOW:HIGH", t)}
		}
		p.Low, p.High, p.IsRange = lo, hi, isRange
	}
	return p, nil
}

func parsePortRange(t string) (lo, hi int, isRange, ok bool) {
	num := func(s string) (int, bool) {
		if s == "" || len(s) > 5 {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 0 && n <= 65535 && s[0] != '+' && s[0] != '-'
	}
	i := strings.IndexByte(t, ':')
	if i < 0 {
		n, ok := num(t)
		return n, n, false, ok
	}
	lo, hi = 0, 65535
	a, b := t[:i], t[i+1:]
	if a == "" && b == "" {
		return 0, 0, true, false
	}
	if a != "" {
		if lo, ok = num(a); !ok {
			return 0, 0, true, false
		}
	}
	if b != "" {
		if hi, ok = num(b); !ok {
			return 0, 0, true, false
		}
	}
	return lo, hi, true, lo <= hi
}

type listItem struct {
	s   string
	off int
}

// splitList splits the inside of a [..] list at top-level commas.
func splitList(s string, off int) ([]listItem, *headerError) {
	var items []listItem
	depth, start := 0, 0
	add := func(end int) *headerError {
		raw := s[start:end]
		t := strings.TrimSpace(raw)
		if t == "" {
			return &headerError{off + start, off + end, "empty item in list"}
		}
		items = append(items, listItem{t, off + start + strings.Index(raw, t)})
		return nil
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, &headerError{off + i, off + i + 1, "unbalanced ']' in list"}
			}
		case ',':
			if depth == 0 {
				if err := add(i); err != nil {
					return nil, err
				}
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, &headerError{off, off + len(s), "unbalanced '[' in list"}
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if err := add(len(s)); err != nil {
		return nil, err
	}
	return items, nil
}

func validVar(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) && s[i] != '-' && s[i] != '.' {
			return false
		}
	}
	return true
}

// setPos turns the logical offsets stored while parsing into file positions.
func (a *Addr) setPos(it *item) {
	a.Pos = it.pos(int(a.Pos))
	for _, c := range a.List {
		c.setPos(it)
	}
}

func (p *Port) setPos(it *item) {
	p.Pos = it.pos(int(p.Pos))
	for _, c := range p.List {
		c.setPos(it)
	}
}
