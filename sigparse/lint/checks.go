package lint

import (
	"slices"
	"strings"

	"github.com/sigtool/sigtool/sigparse"
)

// CheckInfo describes one check for "sigtool lint --list" and for the rules
// section of SARIF output.
type CheckInfo struct {
	Code        string   `json:"code"`
	Severity    Severity `json:"severity"`
	Style       Style    `json:"style,omitempty"` // "" for checks that always run
	Description string   `json:"description"`
}

// checks is the catalogue: codes are stable (tools and CI filters key on
// them), descriptions are one line. It is a function so that no caller can
// change what another sees.
func checks() []CheckInfo {
	return []CheckInfo{
		{"parse-error", Error, "", "the rule cannot be read: bad header, unterminated option list or string"},
		{"option-invalid", Error, "", "an option's value cannot be read (the rest of the rule is still checked)"},
		{"sid-missing", Error, "", "the rule has no sid; Suricata refuses to load it"},
		{"sid-invalid", Error, "", "the sid is not a positive integer"},
		{"sid-duplicate", Error, "", "another enabled rule in the files given has the same gid:sid"},
		{"msg-missing", Warning, "", "the rule has no msg, so its alerts say nothing"},
		{"rev-missing", Warning, "", "the rule has no rev"},
		{"classtype-unknown", Warning, "", "the classtype is not in classification.config; Suricata warns and gives the rule priority 3"},
		{"reference-malformed", Error, "", "a reference is not TYPE,VALUE or its value is empty"},
		{"reference-url-scheme", Warning, "", "a url reference includes http:// or https://; reference.config adds the scheme"},
		{"reference-unknown-system", Warning, "", "the reference type is not in reference.config"},
		{"modifier-without-content", Error, "", "a content modifier (nocase, depth, http_uri, ...) has no content before it to apply to"},
		{"relative-without-anchor", Warning, "", "distance, within or a relative pcre/byte_test/isdataat has no earlier match in the same buffer to be relative to"},
		{"content-cannot-fit", Error, "", "depth, within, dsize, bsize or urilen leave less room than the content needs, so the rule can never match"},
		{"modifier-conflict", Error, "", "modifiers that cannot be combined on one content (depth with distance, startswith with offset, a modifier given twice, ...)"},
		{"fast-pattern-multiple", Error, "", "more than one content is marked fast_pattern"},
		{"flow-conflict", Error, "", "flow asks for contradicting states or directions (to_server with to_client, established with stateless, ...)"},
		{"http-direction", Error, "", "an HTTP request buffer is used with flow:to_client, or a response buffer with flow:to_server"},
		{"flow-established-missing", Warning, "", "a TCP rule that inspects payload does not require flow:established"},
		{"pcre-only", Warning, "", "the rule has a pcre but no content, so every packet runs the regular expression (performance)"},
		{"fast-pattern-short", Warning, "", "the fast pattern is shorter than 4 bytes and will pre-match too often (performance)"},
		{"var-undefined", Warning, "", "the header uses a $VARIABLE that is not defined (Suricata's default vars unless told otherwise)"},
		{"keyword-unknown", Info, "", "the keyword is not a Suricata 7 keyword; it is kept but not evaluated"},
		{"et-msg-prefix", Warning, StyleET, `the msg does not start with "ET <CATEGORY> " from the current ET category list`},
		{"et-sid-range", Warning, StyleET, "the sid is outside 1000000-1999999 (new local rules) and 2000000-2999999 (ET-assigned)"},
		{"et-classtype-missing", Warning, StyleET, "the rule has no classtype"},
		{"et-metadata-missing", Warning, StyleET, "metadata lacks a key every ET rule carries (created_at, updated_at)"},
		{"et-metadata-value", Warning, StyleET, "a metadata value is not in the ET vocabulary for its key, or a date is not YYYY_MM_DD"},
		{"et-metadata-key", Info, StyleET, "a metadata key is not one ET uses"},
	}
}

// Checks returns every check, in the order "sigtool lint --list" prints
// them. The slice is the caller's.
func Checks() []CheckInfo { return checks() }

// severityOf returns the default severity of a code.
func severityOf(code string) Severity {
	for _, c := range checks() {
		if c.Code == code {
			return c.Severity
		}
	}
	panic("lint: unknown check code " + code) // a programming error in this package
}

// rule runs every check on one enabled rule.
func (c *checker) rule(r *sigparse.Rule) {
	c.checkSID(r)
	c.checkMeta(r)
	c.checkReferences(r)
	c.checkVars(r)
	c.checkKeywords(r)
	c.checkContents(r)
	c.checkFlowConflict(r)
	c.checkDirection(r)
	c.checkFlow(r)
	c.checkPerformance(r)
	if c.opts.Style == StyleET {
		c.checkET(r)
	}
}

func (c *checker) checkSID(r *sigparse.Rule) {
	o := r.Option("sid")
	if o == nil {
		c.reportRule(r, "sid-missing", "rule has no sid")
		return
	}
	sid := r.SID()
	if sid <= 0 {
		return // the parser reported it (sid-invalid)
	}
	key := [2]int{r.GID(), sid}
	if first, ok := c.sids[key]; ok {
		where := first.Position(first.Pos)
		c.reportArg(r, o, "sid-duplicate", "duplicate sid %d (gid %d): also used at %s", sid, key[0], where)
		return
	}
	c.sids[key] = r
}

func (c *checker) checkMeta(r *sigparse.Rule) {
	if r.Option("msg") == nil {
		c.reportRule(r, "msg-missing", "rule has no msg")
	}
	if r.Option("rev") == nil {
		c.reportRule(r, "rev-missing", "rule has no rev")
	}
	if o := r.Option("classtype"); o != nil {
		if ct, ok := o.Value.(*sigparse.Classtype); ok {
			if _, ok := c.classes.Lookup(ct.Name); !ok {
				c.reportArg(r, o, "classtype-unknown", "unknown classtype %q (not in classification.config): Suricata falls back to priority 3", ct.Name)
			}
		}
	}
}

func (c *checker) checkReferences(r *sigparse.Rule) {
	for _, o := range r.Options {
		ref, ok := o.Value.(*sigparse.Reference)
		if !ok {
			continue
		}
		if ref.ID == "" {
			c.reportOpt(r, o, "reference-malformed", "reference:%s has an empty value", o.Arg)
			continue
		}
		if strings.EqualFold(ref.Scheme, "url") {
			low := strings.ToLower(ref.ID)
			if strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://") {
				c.reportArg(r, o, "reference-url-scheme", "url reference %q includes the scheme; write it without http(s)://", ref.ID)
			}
		}
		if _, ok := c.refs.Lookup(ref.Scheme); !ok {
			c.reportArg(r, o, "reference-unknown-system", "reference type %q is not in reference.config", ref.Scheme)
		}
	}
}

// checkVars reports header variables that are not defined. Each name is
// reported once per rule, at its first use.
func (c *checker) checkVars(r *sigparse.Rule) {
	var seen []string
	visit := func(name string, pos sigparse.Pos, raw string) {
		if name == "" || slices.Contains(seen, name) {
			return
		}
		seen = append(seen, name)
		if _, ok := c.vars[name]; !ok {
			c.report(r, pos, pos+sigparse.Pos(len(raw)), severityOf("var-undefined"), "var-undefined", "undefined variable $%s", name)
		}
	}
	var addr func(a *sigparse.Addr)
	addr = func(a *sigparse.Addr) {
		if a == nil {
			return
		}
		visit(a.Var, a.Pos, a.Raw)
		for _, x := range a.List {
			addr(x)
		}
	}
	var port func(p *sigparse.Port)
	port = func(p *sigparse.Port) {
		if p == nil {
			return
		}
		visit(p.Var, p.Pos, p.Raw)
		for _, x := range p.List {
			port(x)
		}
	}
	addr(r.Src)
	port(r.SrcPort)
	addr(r.Dst)
	port(r.DstPort)
}

func (c *checker) checkKeywords(r *sigparse.Rule) {
	for _, o := range r.Options {
		if o.Value != nil || o.Invalid || isSuricataKeyword(o.Name) {
			continue
		}
		c.report(r, o.Pos, o.Pos+sigparse.Pos(len(o.Name)), Info, "keyword-unknown",
			"keyword %q is not a Suricata 7 keyword; it is kept but not evaluated", o.Name)
	}
}

// anchor is an earlier match a relative keyword can be relative to.
type anchor struct{ buffer string }

// checkContents runs the content checks: modifiers without a content,
// relative keywords without an anchor, contents that cannot fit, and
// conflicting modifiers.
func (c *checker) checkContents(r *sigparse.Rule) {
	var anchors []anchor
	hasAnchorIn := func(buf string) bool {
		return slices.ContainsFunc(anchors, func(a anchor) bool { return a.buffer == buf })
	}
	fastPatterns := 0
	var sizes []sizeLimit // dsize, bsize, urilen seen so far
	for _, o := range r.Options {
		switch v := o.Value.(type) {
		case *sigparse.Modifier:
			if v.Content == nil {
				c.reportOpt(r, o, "modifier-without-content", "%s has no content before it to apply to", o.Name)
			}
		case *sigparse.FastPattern:
			if contentOf(r, o) == nil {
				c.reportOpt(r, o, "modifier-without-content", "%s has no content before it to apply to", o.Name)
			}
		case *sigparse.Content:
			if v.Distance != nil || v.Within != nil {
				if !hasAnchorIn(v.Buffer) {
					c.reportRelative(r, o, v)
				}
			}
			c.checkFit(r, o, v)
			c.checkConflicts(r, o, v)
			if v.FastPattern != nil {
				fastPatterns++
				if fastPatterns == 2 {
					c.reportOpt(r, fastPatternOpt(o, v), "fast-pattern-multiple", "only one content per rule can be the fast_pattern")
				}
			}
			anchors = append(anchors, anchor{v.Buffer})
		case *sigparse.PCRE:
			if v.Relative && !hasAnchorIn(v.Buffer) {
				c.reportArg(r, o, "relative-without-anchor", "pcre has the R (relative) flag but no earlier content or pcre in %s", bufferName(v.Buffer))
			}
			anchors = append(anchors, anchor{v.Buffer})
		case *sigparse.ByteTest:
			c.relativeAny(r, o, v.Relative, anchors)
		case *sigparse.ByteJump:
			c.relativeAny(r, o, v.Relative, anchors)
		case *sigparse.ByteExtract:
			c.relativeAny(r, o, v.Relative, anchors)
		case *sigparse.IsDataAt:
			c.relativeAny(r, o, v.Relative, anchors)
		case *sigparse.Dsize:
			sizes = append(sizes, sizeLimit{o, "", v.SizeRange})
		case *sigparse.Bsize:
			sizes = append(sizes, sizeLimit{o, stickyAt(r, o), v.SizeRange})
		case *sigparse.Urilen:
			buf := "http.uri"
			if v.Raw {
				buf = "http.uri.raw"
			}
			sizes = append(sizes, sizeLimit{o, buf, v.SizeRange})
		}
	}
	c.checkSizes(r, sizes)
}

func (c *checker) reportRelative(r *sigparse.Rule, o *sigparse.Option, v *sigparse.Content) {
	kw := "distance"
	if v.Distance == nil {
		kw = "within"
	}
	at := o
	for _, m := range v.Modifiers {
		if m.Name == kw {
			at = m
			break
		}
	}
	c.reportOpt(r, at, "relative-without-anchor", "%s on the first content in %s: there is no earlier match for it to be relative to", kw, bufferName(v.Buffer))
}

// relativeAny reports a relative byte_*/isdataat with no content or pcre
// anywhere before it. (Which buffer such a keyword inspects depends on
// dialect details, so only the plain case is flagged.)
func (c *checker) relativeAny(r *sigparse.Rule, o *sigparse.Option, relative bool, anchors []anchor) {
	if relative && len(anchors) == 0 {
		c.reportArg(r, o, "relative-without-anchor", "%s is relative but no content or pcre comes before it", o.Name)
	}
}

// contentOf returns the content a modifier option applies to, if any.
func contentOf(r *sigparse.Rule, mod *sigparse.Option) *sigparse.Content {
	for _, o := range r.Options {
		if ct, ok := o.Value.(*sigparse.Content); ok && slices.Contains(ct.Modifiers, mod) {
			return ct
		}
	}
	return nil
}

// fastPatternOpt returns the fast_pattern option of content v, or the
// content option itself (Snort 3 writes fast_pattern inside it).
func fastPatternOpt(o *sigparse.Option, v *sigparse.Content) *sigparse.Option {
	for _, m := range v.Modifiers {
		if m.Name == "fast_pattern" {
			return m
		}
	}
	return o
}

// stickyAt returns the sticky buffer in force at option at.
func stickyAt(r *sigparse.Rule, at *sigparse.Option) string {
	buf := ""
	for _, o := range r.Options {
		if o == at {
			break
		}
		switch v := o.Value.(type) {
		case *sigparse.StickyBuffer:
			buf = v.Name
		case *sigparse.Content:
			buf = v.Buffer
		}
	}
	return buf
}

func bufferName(b string) string {
	if b == "" {
		return "the payload"
	}
	return b
}

// checkFit reports depth and within values smaller than the pattern: the
// content can never fit in the window. Suricata rejects both.
func (c *checker) checkFit(r *sigparse.Rule, o *sigparse.Option, v *sigparse.Content) {
	n := len(v.Pattern)
	if v.Negated {
		return // a negated content that cannot fit always "matches"; odd but loadable
	}
	for _, f := range []struct {
		kw string
		iv *sigparse.IntOrVar
	}{{"depth", v.Depth}, {"within", v.Within}} {
		if f.iv == nil || f.iv.Var != "" {
			continue
		}
		if f.iv.N < n {
			c.reportOpt(r, modifierOpt(o, v, f.kw), "content-cannot-fit", "%s:%d is smaller than the %d-byte content %s", f.kw, f.iv.N, n, o.Arg)
		}
	}
}

// modifierOpt returns the option that set kw on content v, or the content
// option when the modifier was written inside it (Snort 3).
func modifierOpt(o *sigparse.Option, v *sigparse.Content, kw string) *sigparse.Option {
	for _, m := range v.Modifiers {
		if m.Name == kw {
			return m
		}
	}
	return o
}

// checkConflicts reports modifier combinations Suricata refuses.
func (c *checker) checkConflicts(r *sigparse.Rule, o *sigparse.Option, v *sigparse.Content) {
	// A modifier given twice for one content.
	var seen []string
	firstBuffer := ""
	for _, m := range v.Modifiers {
		if mod, ok := m.Value.(*sigparse.Modifier); ok && mod.Buffer != "" {
			// http_uri twice is harmless; a second, different buffer
			// modifier is not.
			if firstBuffer != "" && firstBuffer != m.Name {
				c.reportOpt(r, m, "modifier-conflict", "%s after %s: a content can be in only one buffer", m.Name, firstBuffer)
			} else {
				firstBuffer = m.Name
			}
			continue
		}
		if slices.Contains(seen, m.Name) {
			c.reportOpt(r, m, "modifier-conflict", "%s is given twice for the same content", m.Name)
			continue
		}
		seen = append(seen, m.Name)
	}
	absolute := v.Depth != nil || v.Offset != nil
	relative := v.Distance != nil || v.Within != nil
	if absolute && relative {
		at := o
		for _, m := range v.Modifiers {
			if m.Name == "distance" || m.Name == "within" || m.Name == "depth" || m.Name == "offset" {
				at = m
			}
		}
		c.reportOpt(r, at, "modifier-conflict", "depth/offset cannot be combined with distance/within on the same content")
	}
	if v.Startswith && (absolute || relative) {
		c.reportOpt(r, modifierOpt(o, v, "startswith"), "modifier-conflict", "startswith cannot be combined with depth, offset, distance or within")
	}
	if fp := v.FastPattern; fp != nil && fp.Only {
		if v.Negated || absolute || relative {
			c.reportOpt(r, fastPatternOpt(o, v), "modifier-conflict", "fast_pattern:only cannot be used on a negated content or with depth, offset, distance or within")
		}
	}
	if fp := v.FastPattern; fp != nil && fp.Chop && fp.Offset+fp.Length > len(v.Pattern) {
		c.reportOpt(r, fastPatternOpt(o, v), "modifier-conflict", "fast_pattern:%d,%d reaches past the end of the %d-byte content", fp.Offset, fp.Length, len(v.Pattern))
	}
}

// sizeLimit is a dsize, bsize or urilen bound on a buffer.
type sizeLimit struct {
	opt    *sigparse.Option
	buffer string
	sigparse.SizeRange
}

// max returns the largest size the range allows, or -1 for no bound.
func (s sizeLimit) max() int {
	switch s.Op {
	case "=", "":
		return s.Min
	case "<":
		return s.Min - 1
	case "<=":
		return s.Min
	case "<>":
		return s.Max - 1
	}
	return -1
}

// checkSizes reports a content longer than a dsize/bsize/urilen bound on
// its buffer allows.
func (c *checker) checkSizes(r *sigparse.Rule, sizes []sizeLimit) {
	for _, s := range sizes {
		limit := s.max()
		if limit < 0 {
			continue
		}
		for _, o := range r.Options {
			ct, ok := o.Value.(*sigparse.Content)
			if !ok || ct.Negated || ct.Buffer != s.buffer {
				continue
			}
			need := len(ct.Pattern)
			if ct.Offset != nil && ct.Offset.Var == "" {
				need += ct.Offset.N
			}
			if need > limit {
				c.reportArg(r, s.opt, "content-cannot-fit", "%s allows at most %d bytes but content %s needs %d", s.opt.Name, limit, o.Arg, need)
				break
			}
		}
	}
}

// requestBuffers and responseBuffers are the HTTP buffers Suricata 7 fills
// only in one direction; the rest (http.header, http.cookie, file.data,
// http.content_type, ...) exist both ways.
var requestBuffers = map[string]bool{
	"http.uri": true, "http.uri.raw": true, "http.method": true, "http.request_line": true,
	"http.request_body": true, "http.user_agent": true, "http.host": true, "http.host.raw": true,
	"http.accept": true, "http.accept_enc": true, "http.accept_lang": true, "http.referer": true,
	"http.request_header": true, "urilen": true,
}

var responseBuffers = map[string]bool{
	"http.stat_code": true, "http.stat_msg": true, "http.response_line": true,
	"http.response_body": true, "http.server": true, "http.location": true,
	"http.response_header": true,
}

// checkFlowConflict reports flow options Suricata refuses: both
// directions, or more than one of established, not_established and
// stateless, or only_stream with no_stream (and the frag pair).
func (c *checker) checkFlowConflict(r *sigparse.Rule) {
	for _, o := range r.Options {
		f, ok := o.Value.(*sigparse.Flow)
		if !ok {
			continue
		}
		states := 0
		for _, b := range []bool{f.Established, f.NotEstablished, f.Stateless} {
			if b {
				states++
			}
		}
		switch {
		case f.ToServer && f.ToClient:
			c.reportArg(r, o, "flow-conflict", "flow:%s asks for both directions", o.Arg)
		case states > 1:
			c.reportArg(r, o, "flow-conflict", "flow:%s combines contradicting states", o.Arg)
		case f.OnlyStream && f.NoStream, f.OnlyFrag && f.NoFrag:
			c.reportArg(r, o, "flow-conflict", "flow:%s combines an only_ with its no_ opposite", o.Arg)
		}
	}
}

func (c *checker) checkDirection(r *sigparse.Rule) {
	var flow *sigparse.Flow
	var flowOpt *sigparse.Option
	for _, o := range r.Options {
		if f, ok := o.Value.(*sigparse.Flow); ok {
			flow, flowOpt = f, o
		}
	}
	if flow == nil || flow.ToServer == flow.ToClient {
		return
	}
	for _, o := range r.Options {
		buf := ""
		switch v := o.Value.(type) {
		case *sigparse.Content:
			buf = v.Buffer
		case *sigparse.PCRE:
			buf = v.Buffer
		case *sigparse.StickyBuffer:
			buf = v.Name
		case *sigparse.Urilen:
			buf = "urilen"
		default:
			continue
		}
		if flow.ToClient && requestBuffers[buf] {
			c.reportOpt(r, o, "http-direction", "%s is only in requests but the rule has flow:%s", buf, flowDir(flowOpt))
			return
		}
		if flow.ToServer && responseBuffers[buf] {
			c.reportOpt(r, o, "http-direction", "%s is only in responses but the rule has flow:%s", buf, flowDir(flowOpt))
			return
		}
	}
}

func flowDir(o *sigparse.Option) string {
	for _, it := range strings.Split(o.Arg, ",") {
		it = strings.TrimSpace(it)
		switch it {
		case "to_server", "to_client", "from_server", "from_client":
			return it
		}
	}
	return o.Arg
}

// tcpProtocols are rule protocols whose traffic is TCP, so a payload match
// without flow:established also fires on stray and spoofed segments.
var tcpProtocols = map[string]bool{
	"tcp": true, "tcp-pkt": true, "tcp-stream": true, "http": true, "http1": true, "http2": true,
	"tls": true, "ssl": true, "ssh": true, "smtp": true, "ftp": true, "ftp-data": true,
	"imap": true, "pop3": true, "smb": true, "rdp": true, "rfb": true, "mqtt": true,
	"pgsql": true, "modbus": true, "dnp3": true, "telnet": true, "ldap": false,
}

func (c *checker) checkFlow(r *sigparse.Rule) {
	if !tcpProtocols[strings.ToLower(r.Protocol)] || !inspectsPayload(r) {
		return
	}
	for _, o := range r.Options {
		if f, ok := o.Value.(*sigparse.Flow); ok && (f.Established || f.Stateless || f.NotEstablished) {
			return
		}
	}
	if o := r.Option("flow"); o != nil {
		c.reportOpt(r, o, "flow-established-missing", "%s rule matches payload but flow lacks established", r.Protocol)
		return
	}
	c.reportRule(r, "flow-established-missing", "%s rule matches payload but has no flow:established", r.Protocol)
}

func inspectsPayload(r *sigparse.Rule) bool {
	for _, o := range r.Options {
		switch o.Value.(type) {
		case *sigparse.Content, *sigparse.PCRE:
			return true
		}
	}
	return false
}

// minFastPattern is the pattern length below which the multi-pattern
// matcher pre-matches too often to be worth it.
const minFastPattern = 4

func (c *checker) checkPerformance(r *sigparse.Rule) {
	var best *sigparse.Content
	var bestOpt, firstPCRE *sigparse.Option
	hasContent := false
	for _, o := range r.Options {
		switch v := o.Value.(type) {
		case *sigparse.Content:
			hasContent = true
			if v.FastPattern != nil {
				if best == nil || best.FastPattern == nil {
					best, bestOpt = v, o
				}
				continue
			}
			if !v.Negated && (best == nil || best.FastPattern == nil && len(v.Pattern) > len(best.Pattern)) {
				best, bestOpt = v, o
			}
		case *sigparse.PCRE:
			if firstPCRE == nil {
				firstPCRE = o
			}
		}
	}
	if best == nil {
		if firstPCRE != nil && !hasContent {
			c.reportOpt(r, firstPCRE, "pcre-only", "pcre with no content: every packet runs the regular expression; add a content for the fast pattern")
		}
		return
	}
	n := len(best.Pattern)
	if fp := best.FastPattern; fp != nil && fp.Chop {
		n = fp.Length
	}
	if n < minFastPattern {
		what := "longest content"
		if best.FastPattern != nil {
			what = "fast_pattern content"
		}
		c.reportArg(r, bestOpt, "fast-pattern-short", "the %s is %d byte%s long; fast patterns under %d bytes pre-match too often", what, n, plural(n), minFastPattern)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
