package matcher

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sigtool/sigtool/matcher/iponly"
	"github.com/sigtool/sigtool/matcher/prefilter"
	"github.com/sigtool/sigtool/pcaps/http1"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// protoKind is the protocol of a rule header.
type protoKind uint8

const (
	protoIP protoKind = iota
	protoTCP
	protoUDP
	protoICMP
	protoHTTP // app-layer http: TCP flows whose app-proto is HTTP
)

// sizeCmp is a compiled dsize/urilen/bsize comparison.
type sizeCmp struct {
	op       string
	min, max int
}

func (c sizeCmp) match(n int) bool {
	switch c.op {
	case "", "=":
		return n == c.min
	case "!=", "!":
		// Suricata 7 turns dsize:!N into a prefilter range starting at
		// N+1 (suricata-verify test-dsize-values: "!9" does not match
		// empty packets).
		return n > c.min
	case "<":
		return n < c.min
	case ">":
		return n > c.min
	case "<=":
		return n <= c.min
	case ">=":
		return n >= c.min
	case "<>":
		return n > c.min && n < c.max
	}
	return false
}

// bufList is the match list of one HTTP buffer.
type bufList struct {
	name  string
	buf   http1.Buffer
	ops   []op
	sizes []sizeCmp // bsize/urilen on this buffer
	// need is the longest positive content of the list: the buffer
	// cannot match without it, so it is looked for first.
	need     []byte
	needFold bool
	// multi is set for Suricata's multi-buffers http.request_header and
	// http.response_header: one "Name: value" instance per header, the
	// list matching when any instance does.
	multi    bool
	multiSrv bool
	// transforms apply to the buffer before inspection, in order.
	transforms []string
}

type fbCmd uint8

const (
	fbSet fbCmd = iota
	fbUnset
	fbToggle
	fbIsset
	fbIsnotset
)

type flowbitOp struct {
	cmd   fbCmd
	bits  []int
	orAll bool // "|": any of; default all of
}

type thresholdSpec struct {
	kind    string // limit, threshold, both, detection_filter
	track   string // by_src, by_dst, by_rule, by_both
	count   int
	seconds int
}

// rule is one compiled signature. Immutable after compile.
type rule struct {
	idx                 int // order of evaluation
	txIdx               int // index in Engine.txRules for transaction rules
	sid, gid, rev, prio int
	msg, category       string
	action              string

	proto    protoKind
	src, dst *addrNode
	// srcSet, dstSet index Engine.addrSets: rules written with the same
	// address expression share one, so a scan evaluates it once per
	// packet.
	srcSet, dstSet int
	sp, dp         *portNode
	bidir          bool
	hasPorts       bool
	flow           *sigparse.Flow
	dsize          *sizeCmp
	flags          *tcpFlags
	itype, icode   *sizeCmp
	streamSize     *streamSize
	payload        []op
	bufs           []bufList
	isTx           bool
	txToSrv        bool // request-direction transaction rule
	txToCli        bool
	fbChecks       []flowbitOp
	fbActions      []flowbitOp
	noalert        bool
	threshold      *thresholdSpec
	detFilter      *thresholdSpec
	// requirePacket: dsize or flow:no_stream: the payload is inspected
	// per packet even on TCP streams.
	requirePacket bool
	hasContent    bool // the payload list has a content
	// pfPay: the prefilter holds the payload need, so a packet whose
	// payload and stream lack it skips the rule. pfTx: the prefilter
	// holds the need of one HTTP list, so a transaction lacking it skips
	// the rule.
	pfPay, pfTx bool
	// txNeed[d] is the progress a transaction needs before every buffer
	// the rule inspects in direction d (dirIdx) is final.
	txNeed [2]http1.Progress
	// payNeed is the payload list's longest positive content (see
	// bufList.need).
	payNeed     []byte
	payNeedFold bool
	streamOnly  bool
	ipOnly      bool
	nvars       int
	// fast is the rule's fast pattern per buffer: the content a
	// multi-pattern prefilter can key on without changing verdicts.
	fast *Fast
}

// Fast is a rule's fast pattern: its longest (or fast_pattern-marked)
// positive content in one buffer. A rule whose fast pattern is absent from
// that buffer cannot match, so a prefilter may skip it.
type Fast struct {
	Buffer  string
	Pattern []byte
	Nocase  bool
}

// unsupported collects the keywords a rule uses that are not evaluated.
type unsupported struct {
	kw     []string
	reason []string
}

func (u *unsupported) add(kw, reason string) {
	u.kw = append(u.kw, kw)
	u.reason = append(u.reason, reason)
}

// metaKeywords have no effect on detection.
var metaKeywords = map[string]bool{
	"msg": true, "sid": true, "gid": true, "rev": true, "classtype": true,
	"priority": true, "reference": true, "metadata": true, "target": true,
	"fast_pattern": true, "nocase": true, "depth": true, "offset": true,
	"distance": true, "within": true, "rawbytes": true, "startswith": true,
	"endswith": true, "prefilter": true,
}

func compile(rules []*sigparse.Rule, cfg Config) (*Engine, error) {
	res := newResolver(cfg.Vars)
	classes := rulesets.DefaultClassifications()
	e := &Engine{cfg: cfg, flowbitNames: map[string]int{}}
	if e.cfg.PacketAlertMax <= 0 {
		e.cfg.PacketAlertMax = DefaultPacketAlertMax
	}
	compiled := compileAll(rules, res, classes)
	for i, sr := range rules {
		c := &compiled[i]
		if c.skip {
			continue
		}
		r, u, err := e.finishRule(sr, c, res)
		switch {
		case err != nil:
			u.add("", err.Error())
			e.notEval = append(e.notEval, notEvaluated(sr, u))
		case c.ne != nil:
			e.notEval = append(e.notEval, *c.ne)
		default:
			e.rules = append(e.rules, r)
		}
	}
	sortRules(e.rules)
	for i, r := range e.rules {
		r.idx = i
		if r.isTx {
			r.txIdx = len(e.txRules)
			e.txRules = append(e.txRules, r)
			for d, toSrv := range [2]bool{true, false} {
				for i := range r.bufs {
					r.txNeed[d] |= r.bufs[i].buf.Progress(bufDir(r.bufs[i].buf, toSrv))
				}
			}
		}
	}
	e.buildPrefilter()
	return e, nil
}

// compiled is the part of a rule's compilation that needs nothing from
// the other rules, done concurrently by compileAll. What depends on rule
// order (address set and flowbit numbering) is left for finishRule, which
// runs rule by rule in input order, so the engine does not depend on
// scheduling.
type compiled struct {
	skip bool // nil or disabled
	r    *rule
	u    *unsupported
	// early is the number of u's entries recorded before the header
	// was resolved: an address error drops the rest, as the options are
	// then never read.
	early   int
	portErr error
	// bits are the flowbit names of the rule in option order, each with
	// the slot of a flowbitOp that receives its number.
	bits  []pendingBit
	mixed [2]bool // payload and HTTP buffers in one rule, by direction (Engine.mixed)
	// ne is the rule's NotEvaluated entry when it uses something not
	// evaluated, unless its header turns out bad (finishRule).
	ne *NotEvaluated
}

// notEvaluated is the NotEvaluated entry of a rule with findings u:
// keywords and reasons deduplicated, in order.
func notEvaluated(sr *sigparse.Rule, u *unsupported) NotEvaluated {
	ne := NotEvaluated{SID: sr.SID(), GID: sr.GID(), Msg: sr.Msg()}
	seen := map[string]bool{}
	for _, k := range u.kw {
		if k != "" && !seen[k] {
			seen[k] = true
			ne.Keywords = append(ne.Keywords, k)
		}
	}
	seenR := map[string]bool{}
	var reasons []string
	for _, x := range u.reason {
		if !seenR[x] {
			seenR[x] = true
			reasons = append(reasons, x)
		}
	}
	ne.Reason = strings.Join(reasons, "; ")
	return ne
}

type pendingBit struct {
	slot *int
	name string
}

// compileChunk is how many rules a compile worker takes at a time: small
// enough to balance ET Open's uneven rules over the workers, large enough
// that taking them costs nothing.
const compileChunk = 128

// compileAll runs compileRule over rules on GOMAXPROCS goroutines. The
// result is indexed like rules; rules that share a pcre (same pattern,
// flags and negation) share its compiled program, and rules that write a
// port expression the same way share its resolution.
func compileAll(rules []*sigparse.Rule, res *resolver, classes *rulesets.Classifications) []compiled {
	out := make([]compiled, len(rules))
	pcres := &pcreCache{m: map[pcreKey]pcreResult{}}
	var next atomic.Int64
	work := func() {
		w := &compileWorker{res: res, classes: classes, pcres: pcres, ports: map[string]*portNode{}}
		for {
			from := int(next.Add(compileChunk)) - compileChunk
			if from >= len(rules) {
				return
			}
			for i := from; i < min(from+compileChunk, len(rules)); i++ {
				sr := rules[i]
				if sr == nil || sr.Disabled {
					out[i].skip = true
					continue
				}
				out[i] = w.compileRule(sr)
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), (len(rules)+compileChunk-1)/compileChunk)
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	return out
}

// compileWorker is one compileAll goroutine's state.
type compileWorker struct {
	res     *resolver
	classes *rulesets.Classifications
	pcres   *pcreCache
	ports   map[string]*portNode // by the expression as written
	// Scratch reused from rule to rule by compileRule.
	payload []op
	lists   []*bufList
	fast    []Fast
}

// carve appends ops to *slab and returns them as a slice of it capped at
// its own length (nil when empty).
func carve(slab *[]op, ops []op) []op {
	if len(ops) == 0 {
		return nil
	}
	n := len(*slab)
	*slab = append(*slab, ops...)
	return (*slab)[n:len(*slab):len(*slab)]
}

// port resolves a port expression, sharing the result between rules that
// write it the same way (port nodes are immutable once built).
func (w *compileWorker) port(p *sigparse.Port) (*portNode, error) {
	if p == nil {
		return w.res.port(nil, 0)
	}
	if n, ok := w.ports[p.Raw]; ok {
		return n, nil
	}
	n, err := w.res.port(p, 0)
	if err == nil {
		w.ports[p.Raw] = n
	}
	return n, err
}

// pcreKey identifies a compiled pcre: two pcre keywords with the same key
// compile to the same program.
type pcreKey struct {
	pattern, flags string
	negated        bool
}

type pcreResult struct {
	p   *pcreProg
	err error
}

// pcreCache shares compiled pcre programs (immutable, safe for concurrent
// use) between rules and compile workers: ET Open writes 4,500 pcre
// keywords with about 1,700 distinct patterns.
type pcreCache struct {
	mu sync.Mutex
	m  map[pcreKey]pcreResult
}

func (c *pcreCache) compile(pattern, flags string, negated bool) (*pcreProg, error) {
	k := pcreKey{pattern, flags, negated}
	c.mu.Lock()
	r, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return r.p, r.err
	}
	// Compiled outside the lock; two workers may compile the same
	// pattern at once, and either program serves.
	r.p, r.err = compilePCRE(pattern, flags, negated)
	c.mu.Lock()
	c.m[k] = r
	c.mu.Unlock()
	return r.p, r.err
}

// finishRule does the order-dependent part of a rule's compilation:
// interning its addresses and numbering its flowbits. It returns what
// compileRule did before the work was split: no rule on a header error,
// with only the entries recorded before the header.
func (e *Engine) finishRule(sr *sigparse.Rule, c *compiled, res *resolver) (*rule, *unsupported, error) {
	u := c.u
	header := func(err error) (*rule, *unsupported, error) {
		u.kw, u.reason = u.kw[:c.early], u.reason[:c.early]
		return nil, u, err
	}
	src, srcSet, err := e.internAddr(res, sr.Src)
	if err != nil {
		return header(err)
	}
	dst, dstSet, err := e.internAddr(res, sr.Dst)
	if err != nil {
		return header(err)
	}
	if c.portErr != nil {
		return header(c.portErr)
	}
	r := c.r
	r.src, r.srcSet, r.dst, r.dstSet = src, srcSet, dst, dstSet
	for _, b := range c.bits {
		*b.slot = e.flowbit(b.name)
	}
	e.mixed[0] = e.mixed[0] || c.mixed[0]
	e.mixed[1] = e.mixed[1] || c.mixed[1]
	return r, u, nil
}

// sortRules orders rules as Suricata's default signature ordering does
// (detect-engine-sigorder.c): by action (pass, drop, reject, alert), then
// flowbits use (rules that set and read, set, read, then rules without
// flowbits), then priority; load order otherwise. The order decides which
// rules see flowbits set by others on the same packet and which alerts
// packet-alert-max keeps.
func sortRules(rs []*rule) {
	action := func(r *rule) int {
		switch r.action {
		case "pass":
			return 0
		case "drop", "sdrop":
			return 1
		case "reject", "rejectsrc", "rejectdst", "rejectboth":
			return 2
		}
		return 3
	}
	bits := func(r *rule) int {
		set, read := len(r.fbActions) > 0, len(r.fbChecks) > 0
		switch {
		case set && read:
			return 0
		case set:
			return 1
		case read:
			return 2
		}
		return 3
	}
	// Keys computed once per rule, not per comparison.
	type keyed struct {
		action, bits, prio int
		r                  *rule
	}
	ks := make([]keyed, len(rs))
	for i, r := range rs {
		ks[i] = keyed{action(r), bits(r), r.prio, r}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if c := cmp.Compare(a.action, b.action); c != 0 {
			return c
		}
		if c := cmp.Compare(a.bits, b.bits); c != 0 {
			return c
		}
		return cmp.Compare(a.prio, b.prio)
	})
	for i := range ks {
		rs[i] = ks[i].r
	}
}

// internAddr resolves an address expression, sharing the result between
// rules that spell it the same way.
func (e *Engine) internAddr(res *resolver, a *sigparse.Addr) (*addrNode, int, error) {
	key := "any"
	if a != nil {
		key = a.Raw
	}
	if i, ok := e.addrIndex[key]; ok && key != "" {
		return e.addrSets[i], i, nil
	}
	n, err := res.addr(a, 0)
	if err != nil {
		return nil, 0, err
	}
	if e.addrIndex == nil {
		e.addrIndex = map[string]int{}
	}
	i := len(e.addrSets)
	e.addrSets = append(e.addrSets, n)
	if key != "" {
		e.addrIndex[key] = i
	}
	return n, i, nil
}

func (e *Engine) flowbit(name string) int {
	if i, ok := e.flowbitNames[name]; ok {
		return i
	}
	i := len(e.flowbitNames)
	e.flowbitNames[name] = i
	return i
}

// compileRule compiles one rule but for its addresses and flowbit numbers
// (see finishRule).
func (w *compileWorker) compileRule(sr *sigparse.Rule) compiled {
	u := &unsupported{}
	c := compiled{u: u}
	r := &rule{sid: sr.SID(), gid: sr.GID(), rev: sr.Rev(), prio: sr.Priority(), msg: sr.Msg(), action: sr.Action}
	switch sr.Action {
	case "alert", "drop", "reject", "rejectsrc", "rejectdst", "rejectboth", "sdrop":
	default:
		u.add("action:"+sr.Action, fmt.Sprintf("action %q is not evaluated", sr.Action))
	}
	switch strings.ToLower(sr.Protocol) {
	case "ip", "pkthdr":
		r.proto = protoIP
	case "tcp", "tcp-pkt", "tcp-stream":
		r.proto = protoTCP
		if sr.Protocol == "tcp-pkt" {
			r.requirePacket = true
		}
		if sr.Protocol == "tcp-stream" {
			r.streamOnly = true
		}
	case "udp":
		r.proto = protoUDP
	case "icmp":
		r.proto = protoICMP
	case "http", "http1":
		r.proto = protoHTTP
	default:
		u.add("protocol:"+sr.Protocol, fmt.Sprintf("protocol %q is not evaluated (only ip, tcp, udp, icmp, http)", sr.Protocol))
	}
	c.early = len(u.kw)
	var err error
	if r.sp, err = w.port(sr.SrcPort); err != nil {
		c.portErr = err
		return c
	}
	if r.dp, err = w.port(sr.DstPort); err != nil {
		c.portErr = err
		return c
	}
	r.hasPorts = r.sp.explicit || r.dp.explicit
	r.bidir = sr.Bidirectional

	varIdx := map[string]int{}
	arg := func(v *sigparse.IntOrVar) (intArg, bool) {
		if v == nil {
			return intArg{}, true
		}
		if v.Var != "" {
			i, ok := varIdx[v.Var]
			if !ok {
				return intArg{}, false
			}
			return intArg{set: true, v: uint8(i + 1)}, true
		}
		return intArg{set: true, n: v.N}, true
	}
	arg2 := func(v sigparse.IntOrVar) (intArg, bool) { return arg(&v) }

	// cur is the buffer later keywords without their own buffer attach
	// to: the last sticky buffer, or the buffer of the last content/pcre
	// for relative keywords.
	cur, lastBuf := "", ""
	// The payload list and the buffer lists (w.lists[:nb], in order of
	// first use) grow in the worker's scratch; the rule gets exact-size
	// copies at the end, so growing them leaves no garbage behind.
	r.payload = w.payload[:0]
	nb := 0
	blist := func(name string) *bufList {
		for _, l := range w.lists[:nb] {
			if l.name == name {
				return l
			}
		}
		if nb == len(w.lists) {
			w.lists = append(w.lists, &bufList{})
		}
		l := w.lists[nb]
		nb++
		*l = bufList{name: name, ops: l.ops[:0], sizes: l.sizes[:0]}
		return l
	}
	list := func(name string) *[]op {
		if name == "" {
			return &r.payload
		}
		return &blist(name).ops
	}
	fastCands := w.fast[:0]
	explicitFast := -1

	for i, o := range sr.Options {
		val := o.Value
		if o.Invalid && o.Name == "pcre" {
			// Suricata also takes an unquoted /pattern/flags and a
			// trailing capture list ("/(.*)/V, flow:ua"); read those here
			// rather than drop the rule.
			if pc, ok := fallbackPCRE(o.Arg, cur); ok {
				val = pc
			}
		}
		if val == nil && o.Invalid {
			u.add(o.Name, fmt.Sprintf("%s: %v", o.Name, o.Err))
			continue
		}
		switch v := val.(type) {
		case *sigparse.Msg, *sigparse.Int, *sigparse.Classtype, *sigparse.Reference, *sigparse.Metadata,
			*sigparse.FastPattern, *sigparse.Modifier, *sigparse.Target:
			if m, ok := v.(*sigparse.Modifier); ok && m.Buffer != "" {
				cur = "" // Snort 2 modifiers do not make a sticky buffer
			}
			continue
		case *sigparse.StickyBuffer:
			cur = v.Name
			if v.Name == "pkt_data" {
				cur = ""
			}
			continue
		case *sigparse.Transform:
			if !supportedTransform(v.Name) {
				u.add(o.Name, "transform "+v.Name+" is not evaluated")
				continue
			}
			if cur == "" {
				u.add(o.Name, "transform "+v.Name+" without a sticky buffer is not evaluated")
				continue
			}
			cur += "|" + v.Name
			continue
		case *sigparse.Content:
			if !transformsOK(v.Transforms, u) {
				continue
			}
			c := op{kind: opContent, optIdx: i, pat: v.Pattern, nocase: v.Nocase, negated: v.Negated,
				startswith: v.Startswith, endswith: v.Endswith}
			var ok1, ok2, ok3, ok4 bool
			c.depth, ok1 = arg(v.Depth)
			c.offset, ok2 = arg(v.Offset)
			c.distance, ok3 = arg(v.Distance)
			c.within, ok4 = arg(v.Within)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				u.add(o.Name, "content uses an undefined byte_extract variable")
				continue
			}
			if v.Startswith {
				c.depth = intArg{set: true, n: len(v.Pattern)}
				if c.offset.set && c.offset.v == 0 {
					c.depth.n += c.offset.n
				}
			}
			c.relative = c.distance.set || c.within.set
			if v.Buffer != "" && !knownBuffer(v.Buffer) {
				u.add(v.Buffer, "buffer "+v.Buffer+" is not evaluated")
				continue
			}
			buf := listKey(v.Buffer, v.Transforms)
			l := list(buf)
			if len(*l) > 0 && c.relative {
				(*l)[len(*l)-1].relNext = true
			}
			*l = append(*l, c)
			lastBuf = buf
			if !v.Negated && len(v.Transforms) == 0 {
				if v.FastPattern != nil && explicitFast < 0 {
					explicitFast = len(fastCands)
				}
				fastCands = append(fastCands, Fast{Buffer: v.Buffer, Pattern: v.Pattern, Nocase: v.Nocase})
			}
		case *sigparse.PCRE:
			if !transformsOK(v.Transforms, u) {
				continue
			}
			p, err := w.pcres.compile(v.Pattern, v.Flags, v.Negated)
			if err != nil {
				u.add(o.Name, err.Error())
				continue
			}
			buf := v.Buffer
			if buf == "" && !hasBufferFlag(v.Flags) && v.Relative {
				// A relative pcre goes to the list of the match it
				// follows, as Suricata's pcre setup does.
				buf = lastBuf
			}
			if name := bufName(buf); name != "" && !knownBuffer(name) {
				u.add(name, "buffer "+name+" is not evaluated")
				continue
			}
			if v.Buffer != "" {
				buf = listKey(v.Buffer, v.Transforms)
			}
			l := list(buf)
			if len(*l) > 0 && v.Relative {
				(*l)[len(*l)-1].relNext = true
			}
			*l = append(*l, op{kind: opPCRE, optIdx: i, re: p, relative: v.Relative})
			lastBuf = buf
		case *sigparse.IsDataAt:
			a, ok := arg2(v.Offset)
			if !ok {
				u.add(o.Name, "isdataat uses an undefined byte_extract variable")
				continue
			}
			buf := cur
			if v.Relative {
				buf = lastBuf
			}
			l := list(buf)
			if len(*l) > 0 && v.Relative {
				(*l)[len(*l)-1].relNext = true
			}
			*l = append(*l, op{kind: opIsDataAt, optIdx: i, dataat: a, negated: v.Negated, relative: v.Relative})
		case *sigparse.ByteTest:
			if v.DCE {
				u.add(o.Name, "byte_test with dce is not evaluated")
				continue
			}
			off, ok1 := arg2(v.Offset)
			val, ok2 := arg2(v.Value)
			if !ok1 || !ok2 {
				u.add(o.Name, "byte_test uses an undefined byte_extract variable")
				continue
			}
			c := op{kind: opByteTest, optIdx: i, relative: v.Relative, byteArgs: &byteArgs{nbytes: v.Bytes, bOffset: off,
				value: val, cmp: v.Op, cmpNeg: v.Negated, str: v.String, base: baseOf(v.Base), little: v.Endian == "little",
				bitmask: v.Bitmask}}
			buf := cur
			if v.Relative {
				buf = lastBuf
			}
			l := list(buf)
			if len(*l) > 0 && v.Relative {
				(*l)[len(*l)-1].relNext = true
			}
			*l = append(*l, c)
		case *sigparse.ByteJump:
			if v.DCE {
				u.add(o.Name, "byte_jump with dce is not evaluated")
				continue
			}
			off, ok := arg2(v.Offset)
			if !ok {
				u.add(o.Name, "byte_jump uses an undefined byte_extract variable")
				continue
			}
			c := op{kind: opByteJump, optIdx: i, relative: v.Relative, byteArgs: &byteArgs{nbytes: v.Bytes, bOffset: off,
				str: v.String, base: baseOf(v.Base), little: v.Endian == "little", bitmask: v.Bitmask, align: v.Align,
				fromBegin: v.FromBeginning, fromEnd: v.FromEnd, postOffset: v.PostOffset, multiplier: v.Multiplier}}
			buf := cur
			if v.Relative {
				buf = lastBuf
			}
			l := list(buf)
			if len(*l) > 0 && v.Relative {
				(*l)[len(*l)-1].relNext = true
			}
			*l = append(*l, c)
			lastBuf = buf
		case *sigparse.ByteExtract:
			if v.DCE {
				u.add(o.Name, "byte_extract with dce is not evaluated")
				continue
			}
			if len(varIdx) >= maxVars {
				u.add(o.Name, "too many byte_extract variables")
				continue
			}
			idx := len(varIdx)
			varIdx[v.Name] = idx
			c := op{kind: opByteExtract, optIdx: i, relative: v.Relative, byteArgs: &byteArgs{nbytes: v.Bytes,
				bOffset: intArg{set: true, n: v.Offset}, str: v.String, base: baseOf(v.Base), little: v.Endian == "little",
				bitmask: v.Bitmask, multiplier: v.Multiplier, alignN: v.Align, varIdx: idx}}
			buf := cur
			if v.Relative {
				buf = lastBuf
			}
			l := list(buf)
			if len(*l) > 0 && v.Relative {
				(*l)[len(*l)-1].relNext = true
			}
			*l = append(*l, c)
			lastBuf = buf
		case *sigparse.Flow:
			if v.OnlyFrag || v.NoFrag {
				u.add(o.Name, "flow:only_frag/no_frag is not evaluated")
			}
			r.flow = v
			if v.NoStream {
				r.requirePacket = true
			}
			if v.OnlyStream {
				r.streamOnly = true
			}
		case *sigparse.Flowbits:
			fo := flowbitOp{orAll: v.Op == "|"}
			if len(v.Names) > 0 {
				fo.bits = make([]int, len(v.Names))
			}
			for k, n := range v.Names {
				c.bits = append(c.bits, pendingBit{&fo.bits[k], n})
			}
			switch v.Cmd {
			case "set":
				fo.cmd = fbSet
				r.fbActions = append(r.fbActions, fo)
			case "unset":
				fo.cmd = fbUnset
				r.fbActions = append(r.fbActions, fo)
			case "toggle":
				fo.cmd = fbToggle
				r.fbActions = append(r.fbActions, fo)
			case "isset":
				fo.cmd = fbIsset
				r.fbChecks = append(r.fbChecks, fo)
			case "isnotset":
				fo.cmd = fbIsnotset
				r.fbChecks = append(r.fbChecks, fo)
			case "noalert":
				r.noalert = true
			default:
				u.add(o.Name, "flowbits "+v.Cmd+" is not evaluated")
			}
		case *sigparse.Dsize:
			c := sizeCmp{op: v.Op, min: v.Min, max: v.Max}
			r.dsize = &c
			r.requirePacket = true
		case *sigparse.Urilen:
			name := "http.uri"
			if v.Raw {
				name = "http.uri.raw"
			}
			l := blist(name)
			l.sizes = append(l.sizes, sizeCmp{op: v.Op, min: v.Min, max: v.Max})
		case *sigparse.Bsize:
			if cur == "" {
				u.add(o.Name, "bsize needs a sticky buffer")
				continue
			}
			l := blist(cur)
			l.sizes = append(l.sizes, sizeCmp{op: v.Op, min: v.Min, max: v.Max})
		case *sigparse.Threshold:
			r.threshold = &thresholdSpec{kind: v.Type, track: v.Track, count: v.Count, seconds: v.Seconds}
		case *sigparse.DetectionFilter:
			r.detFilter = &thresholdSpec{kind: "detection_filter", track: v.Track, count: v.Count, seconds: v.Seconds}
		case *sigparse.Flag:
			switch o.Name {
			case "noalert":
				r.noalert = true
			case "nocase", "rawbytes", "startswith", "endswith", "fast_pattern":
			default:
				u.add(o.Name, "keyword "+o.Name+" is not evaluated")
			}
		default:
			if metaKeywords[o.Name] {
				continue
			}
			switch o.Name {
			case "flags":
				f, err := parseFlags(o.Arg)
				if err != nil {
					u.add(o.Name, "flags: "+err.Error())
					continue
				}
				r.flags = f
				continue
			case "stream_size":
				ss, err := parseStreamSize(o.Arg)
				if err != nil {
					u.add(o.Name, err.Error())
					continue
				}
				r.streamSize = ss
				continue
			case "itype", "icode":
				c, err := parseICMPValue(o.Arg)
				if err != nil {
					u.add(o.Name, o.Name+": "+err.Error())
					continue
				}
				if o.Name == "itype" {
					r.itype = &c
				} else {
					r.icode = &c
				}
				continue
			}
			u.add(o.Name, "keyword "+o.Name+" is not evaluated")
		}
	}
	r.nvars = len(varIdx)
	// One allocation holds every list's ops, each capped at its length.
	total := len(r.payload)
	for _, l := range w.lists[:nb] {
		total += len(l.ops)
	}
	var slab []op
	if total > 0 {
		slab = make([]op, 0, total)
	}
	w.payload = r.payload[:0]
	r.payload = carve(&slab, r.payload)
	for _, o := range r.payload {
		if o.kind == opContent {
			r.hasContent = true
		}
	}
	r.payNeed, r.payNeedFold = needed(r.payload)
	if nb > 0 {
		r.bufs = make([]bufList, 0, nb)
	}
	for _, scratch := range w.lists[:nb] {
		r.bufs = append(r.bufs, bufList{name: scratch.name, ops: carve(&slab, scratch.ops)})
		l := &r.bufs[len(r.bufs)-1]
		if len(scratch.sizes) > 0 {
			l.sizes = slices.Clone(scratch.sizes)
		}
		l.need, l.needFold = needed(l.ops)
		name, transforms := splitKey(scratch.name)
		l.transforms = transforms
		l.name = name
		switch name {
		case "http.request_header":
			l.multi, l.multiSrv, l.buf = true, true, http1.BufUserAgent // request-only, ready with the headers
		case "http.response_header":
			l.multi, l.buf = true, http1.BufServer // response-only, ready with the headers
		default:
			var ok bool
			if l.buf, ok = http1.LookupBuffer(name); !ok {
				u.add(name, "buffer "+name+" is not evaluated")
			}
		}
	}
	if len(r.bufs) > 0 {
		r.isTx = true
		toSrv, toCli := true, true
		for _, l := range r.bufs {
			s, c := bufDirections(l.buf)
			if s && !c {
				toCli = false
			}
			if c && !s {
				toSrv = false
			}
		}
		if !toSrv && !toCli {
			// Request and response buffers together: Suricata inspects
			// such a rule when the response is in.
			toCli = true
		}
		if toSrv && toCli && r.flow != nil {
			if r.flow.ToServer {
				toCli = false
			} else if r.flow.ToClient {
				toSrv = false
			}
		}
		r.txToSrv, r.txToCli = toSrv, toCli
		if len(r.payload) > 0 {
			c.mixed = [2]bool{toSrv, toCli}
		}
		if r.proto == protoUDP || r.proto == protoICMP {
			u.add("protocol:"+sr.Protocol, "HTTP buffers on a non-TCP rule")
		}

	}
	// Suricata's SignatureIsIPOnly: no app-layer, no payload, only
	// IP-only-compatible keywords and "any" ports, whatever the IP
	// protocol. Such rules are checked on the first packet of each
	// direction of a flow.
	r.ipOnly = !r.isTx && len(r.payload) == 0 && r.flow == nil && r.dsize == nil && len(r.fbChecks) == 0 &&
		r.flags == nil && r.itype == nil && r.icode == nil && r.streamSize == nil &&
		len(r.fbActions) == 0 && !r.hasPorts && r.proto != protoHTTP
	if explicitFast >= 0 {
		best := fastCands[explicitFast]
		r.fast = &best
	} else if len(fastCands) > 0 {
		best := fastCands[0]
		for _, f := range fastCands[1:] {
			if len(f.Pattern) > len(best.Pattern) {
				best = f
			}
		}
		r.fast = &best
	}
	w.fast = fastCands[:0]
	c.r = r
	if len(u.kw) > 0 {
		ne := notEvaluated(sr, u)
		c.ne = &ne
		return c
	}
	if cl, ok := w.classes.Lookup(sr.Classtype()); ok {
		r.category = cl.Description
		if r.prio == 0 {
			r.prio = cl.Priority
		}
	}
	if r.prio == 0 {
		r.prio = 3 // Suricata's default priority
	}
	return c
}

// pcreFlagBuffers maps Suricata's HTTP pcre flags to buffers.
var pcreFlagBuffers = map[byte]string{
	'U': "http.uri", 'I': "http.uri.raw", 'P': "http.request_body", 'Q': "file.data",
	'H': "http.header", 'D': "http.header.raw", 'M': "http.method", 'C': "http.cookie",
	'S': "http.stat_code", 'Y': "http.stat_msg", 'V': "http.user_agent", 'W': "http.host",
	'Z': "http.host.raw",
}

func fallbackPCRE(arg, sticky string) (*sigparse.PCRE, bool) {
	a := strings.TrimSpace(arg)
	pc := &sigparse.PCRE{Buffer: sticky}
	if strings.HasPrefix(a, "!") {
		pc.Negated = true
		a = strings.TrimSpace(a[1:])
	}
	if strings.HasPrefix(a, `"`) {
		end := strings.LastIndexByte(a, '"')
		if end <= 0 {
			return nil, false
		}
		a = a[1:end]
	}
	if !strings.HasPrefix(a, "/") {
		return nil, false
	}
	j := strings.LastIndexByte(a, '/')
	if j == 0 {
		return nil, false
	}
	pc.Pattern = a[1:j]
	flags := a[j+1:]
	if k := strings.IndexByte(flags, ','); k >= 0 {
		flags = flags[:k]
	}
	pc.Flags = strings.TrimSpace(flags)
	for k := 0; k < len(pc.Flags); k++ {
		if pc.Flags[k] == 'R' {
			pc.Relative = true
		}
		if b, ok := pcreFlagBuffers[pc.Flags[k]]; ok {
			pc.Buffer = b
		}
	}
	return pc, true
}

// pfBuf is an HTTP buffer the prefilter has patterns for.
type pfBuf struct {
	id   int
	name string
	buf  http1.Buffer
}

// buildPrefilter gives matcher/prefilter one needed content per rule: the
// payload need of packet/stream rules, the longest need among the plain
// (untransformed, single) HTTP lists of transaction rules. A rule whose
// pattern is absent cannot match, so skipping it keeps every verdict.
func (e *Engine) buildPrefilter() {
	var pats []prefilter.Pattern
	for _, r := range e.rules {
		if !r.isTx {
			if len(r.payNeed) > 0 {
				pats = append(pats, prefilter.Pattern{Rule: r.idx, Buffer: payloadBucket(r), Bytes: r.payNeed, Nocase: r.payNeedFold})
				r.pfPay = true
			}
			continue
		}
		var best *bufList
		for i := range r.bufs {
			b := &r.bufs[i]
			if b.multi || len(b.transforms) > 0 || len(b.need) == 0 {
				continue
			}
			if best == nil || len(b.need) > len(best.need) {
				best = b
			}
		}
		if best != nil {
			pats = append(pats, prefilter.Pattern{Rule: r.idx, Buffer: txBucket(best.name), Bytes: best.need, Nocase: best.needFold})
			r.pfTx = true
		}
	}
	e.pfPayload, e.pfPacket, e.pfNonTCP = -1, -1, -1
	// Content-less packet rules with address lists (ET's IP reputation
	// rules: thousands of prefixes each) are pre-selected by address
	// through an interval table instead of being checked on every packet;
	// the loop body still checks protocol, ports, flow, flowbits and
	// thresholds. Bidirectional rules would need a second lookup.
	inTable := make([]bool, len(e.rules))
	var ipr []iponly.Rule
	conv := map[*addrNode]*iponly.Addr{}
	for _, r := range e.rules {
		if r.isTx || len(r.payload) > 0 || r.bidir || r.src.any && !r.src.neg && r.dst.any && !r.dst.neg {
			continue
		}
		inTable[r.idx] = true
		ipr = append(ipr, iponly.Rule{Index: r.idx, Src: toIPOnly(r.src, conv), Dst: toIPOnly(r.dst, conv)})
	}
	if len(pats) == 0 && len(ipr) == 0 {
		return
	}
	// The two tables are independent: build the address table on
	// another core while this one builds the prefilter.
	var wg sync.WaitGroup
	if len(ipr) > 0 {
		wg.Go(func() { e.ipo = iponly.New(ipr) })
	}
	e.pf = prefilter.NewExcept(len(e.rules), pats, func(i int) bool { return inTable[i] })
	wg.Wait()
	for id, name := range e.pf.Buffers() {
		switch name {
		case bucketStream:
			e.pfPayload = id
			continue
		case bucketPacket:
			e.pfPacket = id
			continue
		case bucketNonTCP:
			e.pfNonTCP = id
			continue
		}
		for _, name := range bucketBuffers(name) {
			b, _ := http1.LookupBuffer(name)
			e.pfBufs = append(e.pfBufs, pfBuf{id: id, name: name, buf: b})
		}
	}
	// Group the transaction rules with a pattern by direction and needed
	// progress: a rule that is not a candidate when its buffers are final
	// never will be, and the scan marks it done with the transaction in
	// one sweep per group instead of looking at it on every packet.
	for d, toSrv := range [2]bool{true, false} {
		for _, r := range e.txRules {
			if !r.pfTx || toSrv && !r.txToSrv || !toSrv && !r.txToCli {
				continue
			}
			k := slices.IndexFunc(e.txGroups[d], func(g txGroup) bool { return g.need == r.txNeed[d] })
			if k < 0 {
				k = len(e.txGroups[d])
				e.txGroups[d] = append(e.txGroups[d], txGroup{need: r.txNeed[d]})
			}
			e.txGroups[d][k].rules = append(e.txGroups[d][k].rules, r)
		}
	}
}

// toIPOnly converts an address expression for package iponly, whose
// semantics are addrNode.match's; conv shares the conversion of address
// sets used by many rules.
func toIPOnly(n *addrNode, conv map[*addrNode]*iponly.Addr) *iponly.Addr {
	if a, ok := conv[n]; ok {
		return a
	}
	a := &iponly.Addr{Neg: n.neg, Any: n.any, Prefix: n.prefix, IsList: n.isList}
	for _, c := range n.list {
		a.List = append(a.List, toIPOnly(c, conv))
	}
	conv[n] = a
	return a
}

// txGroup is the transaction rules with a prefilter pattern that become
// ready at the same progress, in one direction.
type txGroup struct {
	need  http1.Progress
	rules []*rule
}

// bufDir is the direction whose side of buffer b a rule inspecting
// direction toSrv sees: request-only and response-only buffers have one.
func bufDir(b http1.Buffer, toSrv bool) bool {
	if s, c := bufDirections(b); s && !c {
		return true
	} else if c && !s {
		return false
	}
	return toSrv
}

// needed returns the longest content a list cannot match without: a
// positive content with no byte_extract variable in its pattern position.
// Checking it first is a verdict-preserving shortcut.
func needed(ops []op) ([]byte, bool) {
	var best []byte
	fold := false
	for i := range ops {
		o := &ops[i]
		if o.kind != opContent || o.negated || len(o.pat) <= len(best) {
			continue
		}
		best, fold = o.pat, o.nocase
	}
	return best, fold
}

func knownBuffer(name string) bool {
	if name == "http.request_header" || name == "http.response_header" {
		return true
	}
	_, ok := http1.LookupBuffer(name)
	return ok
}

// Transforms are part of a list's identity: http.uri with to_lowercase is
// another buffer than http.uri. A list key is the buffer name, then
// "|transform" for each transform in order.
func listKey(buf string, transforms []string) string {
	for _, t := range transforms {
		buf += "|" + t
	}
	return buf
}

func splitKey(key string) (string, []string) {
	if !strings.Contains(key, "|") {
		return key, nil
	}
	parts := strings.Split(key, "|")
	return parts[0], parts[1:]
}

func bufName(key string) string {
	name, _ := splitKey(key)
	return name
}

func transformsOK(ts []string, u *unsupported) bool {
	for _, t := range ts {
		if !supportedTransform(t) {
			u.add(t, "transform "+t+" is not evaluated")
			return false
		}
	}
	return true
}

func hasBufferFlag(flags string) bool {
	return strings.ContainsAny(flags, "UIPQHDMCSYVWZK")
}

func baseOf(s string) int {
	switch s {
	case "hex":
		return 16
	case "oct":
		return 8
	}
	return 10
}
