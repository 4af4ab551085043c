package sigparse

import (
	"fmt"
	"strconv"
	"strings"
)

// detectDialect picks the dialect of a file from signals that only one
// dialect writes. Snort 2 and Suricata read modifiers the same way, so
// the choice between them only matters for printing and conversion.
func detectDialect(raws []*rawRule) Dialect {
	var snort2, suricata, snort3 int
	for _, rr := range raws {
		if rr.rule.Src == nil {
			snort3++
		}
		seenContent := false
		for _, o := range rr.opts {
			switch {
			case o.Name == "content" || o.Name == "uricontent":
				if o.Name == "uricontent" {
					snort2++
				}
				if hasInlineModifiers(o.Arg) {
					snort3++
				}
				seenContent = true
			case o.Name == "service":
				snort3++
			case modifierBuffers[o.Name] != "":
				if seenContent {
					snort2++
				} else {
					snort3++
				}
			case transforms[o.Name], suricataOnlyKeywords[o.Name]:
				suricata++
			case strings.Contains(o.Name, "."):
				suricata++
			}
		}
	}
	switch {
	case snort3 > 0 && snort3 >= suricata && snort3 >= snort2:
		return DialectSnort3
	case suricata > 0:
		return DialectSuricata
	case snort2 > 0:
		return DialectSnort2
	}
	return DialectSuricata
}

// hasInlineModifiers reports whether a content argument continues with a
// comma after its closing quote (Snort 3: content:"x",nocase), without
// decoding the pattern.
func hasInlineModifiers(arg string) bool {
	i := strings.IndexByte(arg, '"')
	if i < 0 {
		return false
	}
	for i++; i < len(arg); i++ {
		switch arg[i] {
		case '\\':
			i++
		case '"':
			rest := strings.TrimLeft(arg[i+1:], " \t")
			return strings.HasPrefix(rest, ",")
		}
	}
	return false
}

// ruleState is what earlier options leave for later ones while a rule's
// typed values are read: the sticky buffer, its transforms and the
// content that modifiers apply to.
type ruleState struct {
	buffer     string
	transforms []string
	last       *Content
}

// buildRule reads the typed value of every option of rr in dialect d.
func (p *parser) buildRule(rr *rawRule, d Dialect) *Rule {
	r := rr.rule
	r.Dialect = d
	r.Options = rr.opts
	if rr.noSemi >= 0 && d == DialectSuricata {
		p.errorf(rr.it, rr.noSemi, rr.noSemi, r.Disabled, "missing ';' after the last option: Suricata rejects the rule")
	}
	st := &ruleState{}
	for _, o := range r.Options {
		if o.Invalid {
			continue
		}
		if msg, off, end := p.readOption(o, st, d); msg != "" {
			o.Invalid = true
			o.Value = nil
			if end < off {
				end = off
			}
			o.Err = p.errorf(rr.it, int(o.argOff)+off, int(o.argOff)+end, r.Disabled, "%s", msg)
			if !o.HasArg {
				// Errors about a missing argument point at the name.
				o.Err.Pos = p.file.Position(o.Pos)
				o.Err.End = p.file.Position(o.End)
				o.Err.Line = LineAt(p.file.Src, int(o.Pos))
			}
		}
	}
	return r
}

// readOption sets o.Value. On a bad value it returns a message and the
// offsets of the bad part within o.Arg.
func (p *parser) readOption(o *Option, st *ruleState, d Dialect) (msg string, off, end int) {
	bad := func(format string, args ...any) (string, int, int) {
		return fmt.Sprintf(format, args...), 0, len(o.Arg)
	}
	needArg := func() bool { return o.HasArg && o.Arg != "" }
	name := o.Name
	switch name {
	case "msg":
		if !needArg() {
			return bad("msg needs a quoted message")
		}
		s, ok := unquote(o.Arg)
		if !ok {
			return bad("msg must be a quoted string, got %s", o.Arg)
		}
		o.Value = &Msg{Text: s}
	case "sid", "gid", "priority", "rev":
		n, err := strconv.Atoi(o.Arg)
		min := 1
		if name == "rev" {
			min = 0
		}
		if err != nil || n < min || strings.HasPrefix(o.Arg, "+") {
			what := "a positive integer"
			if min == 0 {
				what = "a non-negative integer"
			}
			return bad("%s must be %s, got %q", name, what, o.Arg)
		}
		o.Value = &Int{N: n}
	case "classtype":
		if !needArg() || !validVar(o.Arg) {
			return bad("classtype must be a class name, got %q", o.Arg)
		}
		o.Value = &Classtype{Name: o.Arg}
	case "reference":
		i := strings.IndexByte(o.Arg, ',')
		if i <= 0 {
			return bad("reference must be TYPE,ID, got %q", o.Arg)
		}
		o.Value = &Reference{Scheme: strings.TrimSpace(o.Arg[:i]), ID: strings.TrimSpace(o.Arg[i+1:])}
	case "metadata":
		// ET rules carry about ten entries each: size the slice once
		// and walk the commas instead of splitting into a slice.
		md := &Metadata{Entries: make([]MetaEntry, 0, strings.Count(o.Arg, ",")+1)}
		for rest := o.Arg; ; {
			e, more, found := strings.Cut(rest, ",")
			if e = strings.TrimSpace(e); e != "" {
				k, v, _ := strings.Cut(e, " ")
				md.Entries = append(md.Entries, MetaEntry{Key: k, Value: strings.TrimSpace(v)})
			}
			if !found {
				break
			}
			rest = more
		}
		if len(md.Entries) == 0 {
			md.Entries = nil
		}
		o.Value = md
	case "content", "uricontent":
		return p.readContent(o, st, d)
	case "nocase", "rawbytes", "startswith", "endswith":
		if o.HasArg {
			return bad("%s takes no argument", name)
		}
		m := &Modifier{Content: st.last}
		o.Value = m
		if c := st.last; c != nil {
			c.Modifiers = append(c.Modifiers, o)
			switch name {
			case "nocase":
				c.Nocase = true
			case "rawbytes":
				c.Rawbytes = true
			case "startswith":
				c.Startswith = true
			case "endswith":
				c.Endswith = true
			}
		}
	case "depth", "offset", "distance", "within":
		v, ok := parseIntOrVar(o.Arg)
		if !ok {
			return bad("%s must be an integer or a byte_extract variable, got %q", name, o.Arg)
		}
		o.Value = &Modifier{Arg: &v, Content: st.last}
		if c := st.last; c != nil {
			c.Modifiers = append(c.Modifiers, o)
			setRelative(c, name, &v)
		}
	case "fast_pattern":
		fp, ok := parseFastPattern(o.Arg)
		if !ok {
			return bad("fast_pattern takes no argument, \"only\" or OFFSET,LENGTH, got %q", o.Arg)
		}
		o.Value = fp
		if c := st.last; c != nil {
			c.Modifiers = append(c.Modifiers, o)
			c.FastPattern = fp
		}
	case "pcre":
		return p.readPCRE(o, st, d)
	case "flow":
		return readFlow(o)
	case "flowbits":
		return readFlowbits(o)
	case "dsize", "urilen", "bsize":
		arg := o.Arg
		raw := false
		if name == "urilen" {
			if a, opt, ok := strings.Cut(arg, ","); ok {
				arg = strings.TrimSpace(a)
				switch strings.TrimSpace(opt) {
				case "raw":
					raw = true
				case "norm":
				default:
					return bad("urilen option must be norm or raw, got %q", strings.TrimSpace(opt))
				}
			}
		}
		sr, ok := parseSizeRange(arg)
		if !ok {
			return bad("%s must be N, <N, >N, <=N, >=N, !N or N<>M, got %q", name, o.Arg)
		}
		switch name {
		case "dsize":
			o.Value = &Dsize{sr}
		case "urilen":
			o.Value = &Urilen{SizeRange: sr, Raw: raw}
		default:
			o.Value = &Bsize{sr}
		}
	case "isdataat":
		return readIsDataAt(o)
	case "byte_test":
		return readByteTest(o)
	case "byte_jump":
		return readByteJump(o)
	case "byte_extract":
		return readByteExtract(o)
	case "threshold", "detection_filter":
		return readThreshold(o)
	case "target":
		if o.Arg != "src_ip" && o.Arg != "dest_ip" {
			return bad("target must be src_ip or dest_ip, got %q", o.Arg)
		}
		o.Value = &Target{Side: o.Arg}
	case "service":
		var names []string
		for _, s := range strings.Split(o.Arg, ",") {
			if s = strings.TrimSpace(s); s != "" {
				names = append(names, s)
			}
		}
		if len(names) == 0 {
			return bad("service needs at least one name")
		}
		o.Value = &Service{Names: names}
	case "noalert":
		o.Value = &Flag{}
	default:
		if b, ok := modifierBuffers[name]; ok && d != DialectSnort3 {
			if o.HasArg {
				return bad("%s takes no argument", name)
			}
			if d == DialectSuricata && st.buffer != "" {
				// Suricata refuses the rule: the modifier would fight
				// the sticky buffer over which buffer the content is in.
				return fmt.Sprintf("%s modifier after sticky buffer %s: Suricata rejects this; put pkt_data before the content or use %s", name, st.buffer, b), 0, 0
			}
			o.Value = &Modifier{Buffer: b, Content: st.last}
			if c := st.last; c != nil {
				c.Modifiers = append(c.Modifiers, o)
				c.Buffer = b
			}
			return "", 0, 0
		}
		if b, ok := stickyBuffer(name, o.HasArg, d); ok {
			if d == DialectSnort3 && (name == "http_header" || name == "http_raw_header") && o.HasArg {
				// http_header:field user-agent selects one header.
				if f, ok := strings.CutPrefix(strings.TrimSpace(o.Arg), "field "); ok && name == "http_header" {
					if fb, ok := snort3HeaderFields[strings.ToLower(strings.TrimSpace(f))]; ok {
						b = fb
					}
				}
			}
			// file_data:mime and the like: Snort 2 options of a buffer
			// keyword do not change the buffer.
			o.Value = &StickyBuffer{Name: b}
			st.buffer = b
			st.transforms = nil
			return "", 0, 0
		}
		if transforms[name] {
			o.Value = &Transform{Name: name, Arg: o.Arg}
			t := name
			if o.HasArg {
				// xor:"0d0ac8ff", pcrexform:"…": the argument is part of
				// what the transform does.
				t += ":" + o.Arg
			}
			st.transforms = append(st.transforms[:len(st.transforms):len(st.transforms)], t)
		}
	}
	return "", 0, 0
}

func setRelative(c *Content, name string, v *IntOrVar) {
	switch name {
	case "depth":
		c.Depth = v
	case "offset":
		c.Offset = v
	case "distance":
		c.Distance = v
	case "within":
		c.Within = v
	}
}

// readContent reads content and uricontent, with Snort 3 inline modifiers.
func (p *parser) readContent(o *Option, st *ruleState, d Dialect) (string, int, int) {
	pat, neg, rest, msg, at := decodeContent(o.Arg)
	if msg != "" {
		return msg, at, len(o.Arg)
	}
	if len(pat) == 0 {
		return o.Name + " must not be empty", 0, len(o.Arg)
	}
	c := &Content{Pattern: pat, Negated: neg, Buffer: st.buffer}
	if o.Name == "uricontent" {
		c.Buffer = "http.uri"
	} else if len(st.transforms) > 0 {
		c.Transforms = st.transforms
	}
	restOff := len(o.Arg) - len(rest)
	if t := strings.TrimSpace(rest); t != "" {
		if t[0] != ',' {
			return "unexpected text after the closing quote", restOff, len(o.Arg)
		}
		// Snort 3: content:"x",nocase,depth 4,fast_pattern;
		for _, m := range strings.Split(t[1:], ",") {
			m = strings.TrimSpace(m)
			k, v, _ := strings.Cut(m, " ")
			v = strings.TrimSpace(v)
			switch k {
			case "nocase":
				c.Nocase = true
			case "fast_pattern":
				if c.FastPattern == nil {
					c.FastPattern = &FastPattern{}
				}
			case "fast_pattern_offset", "fast_pattern_length":
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return fmt.Sprintf("%s must be a non-negative integer, got %q", k, v), restOff, len(o.Arg)
				}
				if c.FastPattern == nil {
					c.FastPattern = &FastPattern{}
				}
				c.FastPattern.Chop = true
				if k == "fast_pattern_offset" {
					c.FastPattern.Offset = n
				} else {
					c.FastPattern.Length = n
				}
			case "depth", "offset", "distance", "within":
				iv, ok := parseIntOrVar(v)
				if !ok {
					return fmt.Sprintf("%s must be an integer or a variable, got %q", k, v), restOff, len(o.Arg)
				}
				setRelative(c, k, &iv)
			default:
				return fmt.Sprintf("unknown content modifier %q", m), restOff, len(o.Arg)
			}
		}
	}
	o.Value = c
	st.last = c
	return "", 0, 0
}

// decodeContent reads [!]"pattern"rest. It returns the decoded bytes, the
// negation, what follows the closing quote and, on error, a message and
// the offset in arg where the problem is.
func decodeContent(arg string) (pat []byte, neg bool, rest string, msg string, at int) {
	i := 0
	if strings.HasPrefix(arg, "!") {
		neg = true
		i = 1
		for i < len(arg) && isSpace(arg[i]) {
			i++
		}
	}
	quoted := i < len(arg) && arg[i] == '"'
	if quoted {
		i++
	}
	pat = make([]byte, 0, len(arg))
	hex := false
	hexStart := 0
	var hi int = -1
	for ; i < len(arg); i++ {
		c := arg[i]
		if hex {
			switch {
			case c == '"' && quoted:
				return nil, neg, "", "unterminated |...| hex block", hexStart
			case c == '|':
				if hi >= 0 {
					return nil, neg, "", "odd number of hex digits in |...|", hexStart
				}
				hex = false
			case c == ' ' || c == '\t':
			case isHex(c):
				if hi < 0 {
					hi = unhex(c)
				} else {
					pat = append(pat, byte(hi<<4|unhex(c)))
					hi = -1
				}
			default:
				return nil, neg, "", fmt.Sprintf("invalid hex digit %q in |...|", c), i
			}
			continue
		}
		switch c {
		case '|':
			hex = true
			hexStart = i
		case '\\':
			if i+1 >= len(arg) {
				return nil, neg, "", "content ends in a lone backslash", i
			}
			i++
			pat = append(pat, arg[i])
		case '"':
			if quoted {
				return pat, neg, arg[i+1:], "", 0
			}
			pat = append(pat, c)
		default:
			pat = append(pat, c)
		}
	}
	if hex {
		return nil, neg, "", "unterminated |...| hex block", hexStart
	}
	if quoted {
		return nil, neg, "", "missing closing quote", 0
	}
	return pat, neg, "", "", 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// unquote removes the quotes and backslash escapes of a msg-like string.
// Unquoted text is accepted as Snort 2 does.
func unquote(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '"' {
		if s[len(s)-1] != '"' || len(s) >= 3 && s[len(s)-2] == '\\' && !evenBackslashes(s[1:len(s)-1]) {
			return "", false
		}
		s = s[1 : len(s)-1]
	} else if strings.HasPrefix(s, "\"") {
		return "", false
	}
	if !strings.Contains(s, "\\") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

// evenBackslashes reports whether s ends in an even run of backslashes.
func evenBackslashes(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

func parseIntOrVar(s string) (IntOrVar, bool) {
	if s == "" {
		return IntOrVar{}, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return IntOrVar{N: n}, true
	}
	if isWordByte(s[0]) && (s[0] < '0' || s[0] > '9') && validVar(s) && !strings.Contains(s, "-") {
		return IntOrVar{Var: s}, true
	}
	return IntOrVar{}, false
}

func parseFastPattern(arg string) (*FastPattern, bool) {
	switch a := strings.TrimSpace(arg); a {
	case "":
		return &FastPattern{}, true
	case "only":
		return &FastPattern{Only: true}, true
	default:
		o, l, ok := strings.Cut(a, ",")
		if !ok {
			return nil, false
		}
		on, err1 := strconv.Atoi(strings.TrimSpace(o))
		ln, err2 := strconv.Atoi(strings.TrimSpace(l))
		if err1 != nil || err2 != nil || on < 0 || ln <= 0 {
			return nil, false
		}
		return &FastPattern{Chop: true, Offset: on, Length: ln}, true
	}
}

// readPCRE reads pcre:[!]"/pattern/flags[, capture,...]"; the quotes are
// optional, as in Suricata (pcre:/one/U).
func (p *parser) readPCRE(o *Option, st *ruleState, d Dialect) (string, int, int) {
	a := o.Arg
	pc := &PCRE{}
	i := 0
	if strings.HasPrefix(a, "!") {
		pc.Negated = true
		i = 1
	}
	for i < len(a) && isSpace(a[i]) {
		i++
	}
	s := a[i:]
	base := i // offset of s in a
	if strings.HasPrefix(s, "\"") {
		if len(s) < 2 || s[len(s)-1] != '"' {
			return "pcre is missing its closing quote", 0, len(a)
		}
		s = s[1 : len(s)-1]
		base++
	}
	if !strings.HasPrefix(s, "/") {
		return "pcre pattern must start with '/'", 0, len(a)
	}
	// Suricata's flowvar/pktvar captures follow the flags after a comma:
	// "/(?P<x>.*)/R, flow:name"; a comma can also occur in the pattern,
	// so the flags end at the last '/'.
	j := strings.LastIndexByte(s, '/')
	if j == 0 {
		return "pcre pattern needs a closing '/'", 0, len(a)
	}
	pc.Pattern = s[1:j]
	flags := s[j+1:]
	if k := strings.IndexByte(flags, ','); k >= 0 {
		pc.Captures = strings.TrimSpace(flags[k+1:])
		flags = flags[:k]
	}
	flags = strings.TrimSpace(flags)
	pc.Flags = flags
	pc.Buffer = st.buffer
	for k := 0; k < len(flags); k++ {
		f := flags[k]
		if !strings.ContainsRune(pcreFlags, rune(f)) {
			off := base + j + 1 + k
			return fmt.Sprintf("unknown pcre flag %q", f), off, off + 1
		}
		if f == 'R' {
			pc.Relative = true
		}
		if b, ok := pcreBufferFlags[f]; ok {
			if d == DialectSuricata && st.buffer != "" && b != st.buffer &&
				!(b == "http.response_body" && st.buffer == "file.data") {
				// Suricata 7: "Expression seen with a sticky buffer still
				// set". A flag naming the sticky buffer itself is fine, and
				// so is /Q in file.data, which ET Open ships enabled.
				off := base + j + 1 + k
				return fmt.Sprintf("pcre flag %q selects %s inside sticky buffer %s: Suricata rejects this; put pkt_data before the pcre or drop the flag", f, b, st.buffer), off, off + 1
			}
			pc.Buffer = b
		}
	}
	if pc.Buffer == st.buffer && len(st.transforms) > 0 {
		pc.Transforms = st.transforms
	}
	o.Value = pc
	return "", 0, 0
}

var flowItems = map[string]bool{
	"established": true, "not_established": true, "stateless": true,
	"to_server": true, "to_client": true, "from_server": true, "from_client": true,
	"only_stream": true, "no_stream": true, "only_frag": true, "no_frag": true,
}

func readFlow(o *Option) (string, int, int) {
	f := &Flow{}
	off := 0
	for _, raw := range strings.Split(o.Arg, ",") {
		it := strings.TrimSpace(raw)
		if !flowItems[it] {
			at := off + strings.Index(raw, it)
			return fmt.Sprintf("unknown flow option %q", it), at, at + len(it)
		}
		off += len(raw) + 1
		f.Flags = append(f.Flags, it)
		switch it {
		case "established":
			f.Established = true
		case "not_established":
			f.NotEstablished = true
		case "stateless":
			f.Stateless = true
		case "to_server", "from_client":
			f.ToServer = true
		case "to_client", "from_server":
			f.ToClient = true
		case "only_stream":
			f.OnlyStream = true
		case "no_stream":
			f.NoStream = true
		case "only_frag":
			f.OnlyFrag = true
		case "no_frag":
			f.NoFrag = true
		}
	}
	o.Value = f
	return "", 0, 0
}

func readFlowbits(o *Option) (string, int, int) {
	cmd, rest, _ := strings.Cut(o.Arg, ",")
	cmd = strings.TrimSpace(cmd)
	fb := &Flowbits{Cmd: cmd}
	switch cmd {
	case "noalert", "reset":
		if strings.TrimSpace(rest) != "" {
			return fmt.Sprintf("flowbits:%s takes no name", cmd), 0, len(o.Arg)
		}
	case "set", "isset", "isnotset", "unset", "toggle", "setx":
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return fmt.Sprintf("flowbits:%s needs a name", cmd), 0, len(o.Arg)
		}
		// Snort 2 allows a group name after a comma; keep it as a name.
		sep := "|"
		if strings.Contains(rest, "&") {
			sep = "&"
		}
		for _, n := range strings.Split(rest, sep) {
			if n = strings.TrimSpace(n); n == "" {
				return "empty flowbit name", 0, len(o.Arg)
			}
			fb.Names = append(fb.Names, n)
		}
		if len(fb.Names) > 1 {
			fb.Op = sep
		}
	default:
		return fmt.Sprintf("unknown flowbits command %q", cmd), 0, len(cmd)
	}
	o.Value = fb
	return "", 0, 0
}

// parseSizeRange reads N, <N, >N, <=N, >=N, !N, !=N, =N, N<>M and N-M.
func parseSizeRange(s string) (SizeRange, bool) {
	s = strings.TrimSpace(s)
	num := func(t string) (int, bool) {
		t = strings.TrimSpace(t)
		n, err := strconv.Atoi(t)
		return n, err == nil && n >= 0 && t != "" && t[0] != '+'
	}
	if a, b, ok := strings.Cut(s, "<>"); ok {
		lo, ok1 := num(a)
		hi, ok2 := num(b)
		return SizeRange{Op: "<>", Min: lo, Max: hi}, ok1 && ok2 && lo < hi
	}
	for _, op := range []string{"<=", ">=", "!=", "<", ">", "!", "="} {
		if strings.HasPrefix(s, op) {
			n, ok := num(s[len(op):])
			if op == "!" {
				op = "!="
			}
			return SizeRange{Op: op, Min: n}, ok
		}
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		lo, ok1 := num(a)
		hi, ok2 := num(b)
		return SizeRange{Op: "<>", Min: lo, Max: hi}, ok1 && ok2 && lo < hi
	}
	n, ok := num(s)
	return SizeRange{Op: "=", Min: n}, ok
}

func readIsDataAt(o *Option) (string, int, int) {
	parts := splitArgs(o.Arg)
	v := &IsDataAt{}
	first := parts[0]
	if strings.HasPrefix(first, "!") {
		v.Negated = true
		first = strings.TrimSpace(first[1:])
	}
	n, ok := parseIntOrVar(first)
	if !ok {
		return fmt.Sprintf("isdataat offset must be an integer or a variable, got %q", first), 0, len(o.Arg)
	}
	v.Offset = n
	for _, f := range parts[1:] {
		switch f {
		case "relative":
			v.Relative = true
		case "rawbytes":
			v.Rawbytes = true
		default:
			return fmt.Sprintf("unknown isdataat option %q", f), 0, len(o.Arg)
		}
	}
	o.Value = v
	return "", 0, 0
}

func splitArgs(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// byteFlags reads the flags shared by byte_test, byte_jump and byte_extract.
type byteFlags struct {
	relative, str, dce, align, fromBeginning, fromEnd bool
	base, endian                                      string
	bitmask                                           uint64
	multiplier, postOffset, alignN                    int
	flags                                             []string
}

func (bf *byteFlags) read(kw string, parts []string, allowed string) string {
	for _, f := range parts {
		k, v, _ := strings.Cut(f, " ")
		v = strings.TrimSpace(v)
		if !strings.Contains(" "+allowed+" ", " "+k+" ") {
			return fmt.Sprintf("unknown %s option %q", kw, f)
		}
		bf.flags = append(bf.flags, f)
		var err error
		switch k {
		case "relative":
			bf.relative = true
		case "string":
			bf.str = true
		case "hex", "dec", "oct":
			bf.base = k
		case "big", "little":
			bf.endian = k
		case "dce":
			bf.dce = true
		case "align":
			bf.align = true
			bf.alignN = 4
			if v != "" {
				bf.alignN, err = strconv.Atoi(v)
			}
		case "from_beginning":
			bf.fromBeginning = true
		case "from_end":
			bf.fromEnd = true
		case "multiplier":
			bf.multiplier, err = strconv.Atoi(v)
		case "post_offset":
			bf.postOffset, err = strconv.Atoi(v)
		case "bitmask":
			bf.bitmask, err = strconv.ParseUint(strings.TrimPrefix(strings.ToLower(v), "0x"), 16, 64)
		}
		if err != nil {
			return fmt.Sprintf("%s %s needs a number, got %q", kw, k, v)
		}
	}
	return ""
}

func parseBytes(kw, s string) (int, string) {
	// 0 is Suricata 7's "the whole buffer" for string conversions
	// (byte_test:0,>,1000,0,string,dec on http.content_len).
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 10 {
		return 0, fmt.Sprintf("%s number of bytes must be 0 to 10, got %q", kw, s)
	}
	return n, ""
}

func readByteTest(o *Option) (string, int, int) {
	parts := splitArgs(o.Arg)
	if len(parts) < 4 {
		return "byte_test needs bytes,operator,value,offset", 0, len(o.Arg)
	}
	bt := &ByteTest{}
	var msg string
	if bt.Bytes, msg = parseBytes("byte_test", parts[0]); msg != "" {
		return msg, 0, len(o.Arg)
	}
	op := parts[1]
	if strings.HasPrefix(op, "!") {
		bt.Negated = true
		op = op[1:]
	}
	switch op {
	case "<", ">", "=", "<=", ">=", "&", "^":
	default:
		return fmt.Sprintf("byte_test operator must be <, >, =, <=, >=, & or ^, got %q", parts[1]), 0, len(o.Arg)
	}
	bt.Op = op
	var ok bool
	if bt.Value, ok = parseByteNum(parts[2]); !ok {
		return fmt.Sprintf("byte_test value must be a number or a variable, got %q", parts[2]), 0, len(o.Arg)
	}
	if bt.Offset, ok = parseIntOrVar(parts[3]); !ok {
		return fmt.Sprintf("byte_test offset must be an integer or a variable, got %q", parts[3]), 0, len(o.Arg)
	}
	var bf byteFlags
	if msg := bf.read("byte_test", parts[4:], "relative string hex dec oct big little dce bitmask"); msg != "" {
		return msg, 0, len(o.Arg)
	}
	bt.Relative, bt.String, bt.Base, bt.Endian, bt.DCE, bt.Bitmask, bt.Flags = bf.relative, bf.str, bf.base, bf.endian, bf.dce, bf.bitmask, bf.flags
	o.Value = bt
	return "", 0, 0
}

// parseByteNum reads a byte_test value: decimal, 0x hex, or a variable.
func parseByteNum(s string) (IntOrVar, bool) {
	if v, ok := parseIntOrVar(s); ok {
		return v, true
	}
	if strings.HasPrefix(strings.ToLower(s), "0x") {
		n, err := strconv.ParseUint(s[2:], 16, 64)
		return IntOrVar{N: int(n)}, err == nil
	}
	return IntOrVar{}, false
}

func readByteJump(o *Option) (string, int, int) {
	parts := splitArgs(o.Arg)
	if len(parts) < 2 {
		return "byte_jump needs bytes,offset", 0, len(o.Arg)
	}
	bj := &ByteJump{}
	var msg string
	if bj.Bytes, msg = parseBytes("byte_jump", parts[0]); msg != "" {
		return msg, 0, len(o.Arg)
	}
	var ok bool
	if bj.Offset, ok = parseIntOrVar(parts[1]); !ok {
		return fmt.Sprintf("byte_jump offset must be an integer or a variable, got %q", parts[1]), 0, len(o.Arg)
	}
	var bf byteFlags
	if msg := bf.read("byte_jump", parts[2:], "relative multiplier big little string hex dec oct align from_beginning from_end post_offset dce bitmask"); msg != "" {
		return msg, 0, len(o.Arg)
	}
	bj.Relative, bj.String, bj.Base, bj.Align, bj.FromBeginning, bj.FromEnd = bf.relative, bf.str, bf.base, bf.align, bf.fromBeginning, bf.fromEnd
	bj.PostOffset, bj.Multiplier, bj.Endian, bj.DCE, bj.Bitmask, bj.Flags = bf.postOffset, bf.multiplier, bf.endian, bf.dce, bf.bitmask, bf.flags
	o.Value = bj
	return "", 0, 0
}

func readByteExtract(o *Option) (string, int, int) {
	parts := splitArgs(o.Arg)
	if len(parts) < 3 {
		return "byte_extract needs bytes,offset,name", 0, len(o.Arg)
	}
	be := &ByteExtract{}
	var msg string
	if be.Bytes, msg = parseBytes("byte_extract", parts[0]); msg != "" {
		return msg, 0, len(o.Arg)
	}
	var err error
	if be.Offset, err = strconv.Atoi(parts[1]); err != nil {
		return fmt.Sprintf("byte_extract offset must be an integer, got %q", parts[1]), 0, len(o.Arg)
	}
	if v, ok := parseIntOrVar(parts[2]); !ok || v.Var == "" {
		return fmt.Sprintf("byte_extract variable name must be a word, got %q", parts[2]), 0, len(o.Arg)
	}
	be.Name = parts[2]
	var bf byteFlags
	if msg := bf.read("byte_extract", parts[3:], "relative multiplier big little string hex dec oct align dce bitmask"); msg != "" {
		return msg, 0, len(o.Arg)
	}
	be.Relative, be.Multiplier, be.String, be.Base, be.Align = bf.relative, bf.multiplier, bf.str, bf.base, bf.alignN
	be.Endian, be.DCE, be.Bitmask, be.Flags = bf.endian, bf.dce, bf.bitmask, bf.flags
	o.Value = be
	return "", 0, 0
}

// readThreshold reads threshold and detection_filter ("key value" pairs
// separated by commas, in any order).
func readThreshold(o *Option) (string, int, int) {
	var typ, track string
	count, seconds := -1, -1
	for _, part := range splitArgs(o.Arg) {
		k, v, _ := strings.Cut(part, " ")
		v = strings.TrimSpace(v)
		switch k {
		case "type":
			if o.Name != "threshold" {
				return "detection_filter takes no type", 0, len(o.Arg)
			}
			if v != "limit" && v != "threshold" && v != "both" && v != "backoff" {
				return fmt.Sprintf("threshold type must be limit, threshold or both, got %q", v), 0, len(o.Arg)
			}
			typ = v
		case "track":
			if v != "by_src" && v != "by_dst" && v != "by_rule" && v != "by_both" && v != "by_flow" {
				return fmt.Sprintf("%s track must be by_src, by_dst, by_rule, by_both or by_flow, got %q", o.Name, v), 0, len(o.Arg)
			}
			track = v
		case "count", "seconds":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Sprintf("%s %s must be a non-negative integer, got %q", o.Name, k, v), 0, len(o.Arg)
			}
			if k == "count" {
				count = n
			} else {
				seconds = n
			}
		default:
			return fmt.Sprintf("unknown %s option %q", o.Name, part), 0, len(o.Arg)
		}
	}
	if track == "" || count < 0 || seconds < 0 || o.Name == "threshold" && typ == "" {
		if o.Name == "threshold" {
			return "threshold needs type, track, count and seconds", 0, len(o.Arg)
		}
		return "detection_filter needs track, count and seconds", 0, len(o.Arg)
	}
	if o.Name == "threshold" {
		o.Value = &Threshold{Type: typ, Track: track, Count: count, Seconds: seconds}
	} else {
		o.Value = &DetectionFilter{Track: track, Count: count, Seconds: seconds}
	}
	return "", 0, 0
}
