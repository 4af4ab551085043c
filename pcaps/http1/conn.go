package http1

import "bytes"

// phase is where one direction's parser stands.
type phase uint8

const (
	phIdle        phase = iota // between messages: empty lines are skipped
	phLine                     // reading the request or status line
	phProbe09                  // after a protocol-less request line: headers or HTTP/0.9?
	phHeaders                  // reading header lines
	phBodyCL                   // identity body of known length
	phChunkLen                 // reading a chunk-size line
	phChunkData                // inside a chunk
	phChunkEnd                 // the CRLF after a chunk
	phTrailers                 // trailer lines after the last chunk
	phBodyClose                // response body that ends when the connection closes
	phConnectWait              // after CONNECT: hold request data until the response says tunnel or not
	phIgnore                   // tunnel, upgrade or HTTP/0.9: the rest is not HTTP
	phDead                     // unrecoverable input (gap, invalid length): parsing stopped
)

// side is the parser state of one direction.
type side struct {
	ph        phase
	tx        *Tx    // transaction the current message belongs to
	line      []byte // bytes of the current line so far (reused)
	pending   []byte // last header line, kept until the next shows it is not folded
	hasPend   bool
	folded    bool
	remaining int64 // body or chunk bytes still expected
	hdrBytes  int   // header block bytes so far (for MaxHeaderBytes)
	overflow  bool  // current line exceeded the limit; rest of it dropped
	chunked   bool
	bodyCap   int // capacity to reserve for a Content-Length body when its first bytes arrive
	encoding  contentCoding
	wire      []byte   // compressed response body awaiting inflation
	held      []byte   // client data held while a CONNECT awaits its response
	hdata     []byte   // names and values of the headers being read (reused)
	refs      []hdrRef // the headers being read, in first-seen order (reused)
	closed    bool
}

// maxHeld bounds the client data held behind a CONNECT awaiting its
// response.
const maxHeld = 64 << 10

// maxLiveTx bounds the transactions a Conn keeps (Suricata's default
// max-tx for HTTP/1 is 512).
const maxLiveTx = 512

// Conn parses the HTTP/1.x exchanged over one TCP connection.
//
// Feed the client's bytes to Request and the server's to Response in stream
// order; how the streams are cut into calls does not change the result. The
// Conn keeps only unfinished state and the transactions not yet reported
// complete by Updated, so its memory does not grow with the connection's
// length.
type Conn struct {
	cfg     Config
	txs     []*Tx // live transactions in request order
	nextID  int
	req     side
	resp    side
	changed []*Tx // transactions whose progress moved since Updated
	out     []*Tx // Updated's result, reused
}

// NewConn returns a parser for one connection.
func NewConn(cfg Config) *Conn {
	if cfg.RequestBodyLimit == 0 {
		cfg.RequestBodyLimit = 100 << 10
	}
	if cfg.ResponseBodyLimit == 0 {
		cfg.ResponseBodyLimit = 100 << 10
	}
	if cfg.DecompressLimit == 0 {
		cfg.DecompressLimit = 1 << 20
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = 64 << 10
	}
	return &Conn{cfg: cfg}
}

// Transactions returns the live transactions in request order: those not
// yet complete, and complete ones not yet returned by Updated. The slice is
// the Conn's own and changes with the next call into the Conn.
func (c *Conn) Transactions() []*Tx { return c.txs }

// Updated returns the transactions whose progress advanced since the
// previous call, in the order they advanced first. Transactions complete in
// both directions are forgotten by the Conn once returned (the caller may
// keep the pointers). The slice is reused by the next call.
func (c *Conn) Updated() []*Tx {
	c.out = c.out[:0]
	for _, tx := range c.changed {
		tx.queued = false
		if tx.progress != tx.reported {
			tx.reported = tx.progress
			c.out = append(c.out, tx)
		}
	}
	for i := range c.changed {
		c.changed[i] = nil
	}
	c.changed = c.changed[:0]
	// Drop finished transactions from the front, where they finish in
	// order; a finished one behind an unfinished one waits its turn.
	n := 0
	for n < len(c.txs) && c.txs[n].done() && c.txs[n].reported == c.txs[n].progress &&
		c.txs[n] != c.req.tx && c.txs[n] != c.resp.tx {
		n++
	}
	// Bound the live list as Suricata's max-tx (512) does: requests that
	// never see a response must not make a long connection grow without
	// limit. The oldest go first (one still queued for Updated is
	// reported all the same).
	for n < len(c.txs)-maxLiveTx && c.txs[n] != c.req.tx && c.txs[n] != c.resp.tx {
		n++
	}
	if n > 0 {
		copy(c.txs, c.txs[n:])
		for i := len(c.txs) - n; i < len(c.txs); i++ {
			c.txs[i] = nil
		}
		c.txs = c.txs[:len(c.txs)-n]
	}
	return c.out
}

func (tx *Tx) done() bool {
	return tx.progress.Has(ResponseComplete) &&
		(tx.progress.Has(RequestComplete) || tx.flags&FlagResponseNoRequest != 0)
}

func (c *Conn) advance(tx *Tx, p Progress) {
	if tx.progress&p == p {
		return
	}
	tx.progress |= p
	if !tx.queued {
		tx.queued = true
		c.changed = append(c.changed, tx)
	}
}

func (c *Conn) newTx() *Tx {
	tx := &Tx{ID: c.nextID}
	c.nextID++
	c.txs = append(c.txs, tx)
	return tx
}

// Request feeds the next bytes the client sent. data is not retained.
func (c *Conn) Request(data []byte) {
	for len(data) > 0 && c.req.ph != phDead && c.req.ph != phIgnore {
		data = c.stepRequest(data)
	}
}

// Response feeds the next bytes the server sent. data is not retained.
func (c *Conn) Response(data []byte) {
	for len(data) > 0 && c.resp.ph != phDead && c.resp.ph != phIgnore {
		data = c.stepResponse(data)
	}
}

// RequestGap reports n bytes missing from the client's stream at this
// point. Inside a body of known length the gap is skipped, as libhtp does;
// anywhere else the request side stops being parsed.
func (c *Conn) RequestGap(n int) { c.gap(&c.req, n, FlagRequestGap) }

// ResponseGap is RequestGap for the server's stream.
func (c *Conn) ResponseGap(n int) { c.gap(&c.resp, n, FlagResponseGap) }

func (c *Conn) gap(s *side, n int, f Flags) {
	if n <= 0 || s.ph == phDead || s.ph == phIgnore {
		return
	}
	if s.tx != nil {
		s.tx.flags |= f
	}
	switch s.ph {
	case phBodyCL, phChunkData:
		if int64(n) <= s.remaining {
			s.remaining -= int64(n)
			if s == &c.resp {
				s.tx.respWireLen += int64(n)
			}
			if s.remaining == 0 {
				if s.ph == phBodyCL {
					c.endBody(s)
				} else {
					s.ph = phChunkEnd
				}
			}
			return
		}
	case phBodyClose:
		s.tx.respWireLen += int64(n)
		return
	case phIdle:
		// A gap between messages: libhtp cannot resynchronise either.
	}
	s.ph = phDead
}

// CloseRequest reports that the client's stream ended.
func (c *Conn) CloseRequest() {
	s := &c.req
	if s.closed {
		return
	}
	if s.ph == phLine && len(s.line) > 0 {
		// A request line cut off by the end of the stream still counts:
		// libhtp processes the data it holds when the stream closes.
		c.Request([]byte{'\n'})
	}
	s.closed = true
	if s.ph == phProbe09 {
		c.finish09(s.tx)
	}
	c.closeHeaders(s, true)
}

// CloseResponse reports that the server's stream ended: a body delimited by
// the connection's end is complete now.
func (c *Conn) CloseResponse() {
	s := &c.resp
	if s.closed {
		return
	}
	if s.ph == phLine && len(s.line) > 0 {
		c.Response([]byte{'\n'})
		if s.ph == phBodyClose && len(s.tx.respBody) > 0 && s.tx.respBodyLen == int64(len(s.tx.respBody)) {
			// The LF just added is not part of the body.
			s.tx.respBody = s.tx.respBody[:len(s.tx.respBody)-1]
			s.tx.respBodyLen--
			s.tx.respWireLen--
		}
	}
	s.closed = true
	c.closeHeaders(s, false)
	if s.ph == phBodyClose {
		c.endBody(s)
	}
}

// Close ends both directions. Transactions still incomplete stay so; their
// buffers hold what was seen.
func (c *Conn) Close() {
	c.CloseRequest()
	c.CloseResponse()
	for _, s := range []*side{&c.req, &c.resp} {
		if s.tx != nil && len(s.wire) > 0 {
			c.inflate(s)
		}
	}
}

// nextLine appends data up to and including the next LF to s.line. It
// returns the unconsumed rest and whether the line is complete. Lines longer
// than limit keep only their first limit bytes.
func nextLine(s *side, data []byte, limit int) ([]byte, bool) {
	i := indexLF(data)
	chunk := data
	if i >= 0 {
		chunk = data[:i+1]
	}
	if room := limit - len(s.line); room < len(chunk) {
		keep := max(room, 0)
		s.line = append(s.line, chunk[:keep]...)
		if i >= 0 && keep < len(chunk) {
			s.line = append(s.line, '\n')
		}
		s.overflow = true
	} else {
		s.line = append(s.line, chunk...)
	}
	if i < 0 {
		return nil, false
	}
	return data[i+1:], true
}

func indexLF(b []byte) int { return bytes.IndexByte(b, '\n') }

// chomp strips the line terminator (LF, CRLF, and libhtp's tolerated CR
// runs before it).
func chomp(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isLWS(c byte) bool { return c == ' ' || c == '\t' }

func clone(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}

// skipEmptyLines drops CR and LF bytes before a request or status line,
// as libhtp ignores empty lines there.
func skipEmptyLines(data []byte) []byte {
	for len(data) > 0 && (data[0] == '\r' || data[0] == '\n') {
		data = data[1:]
	}
	return data
}

// begin starts reading a new message's first line for tx.
func (s *side) begin(tx *Tx) {
	s.tx = tx
	s.ph = phLine
	s.line = s.line[:0]
	s.overflow = false
}

func (c *Conn) stepRequest(data []byte) []byte {
	s := &c.req
	switch s.ph {
	case phIdle:
		if data = skipEmptyLines(data); len(data) == 0 {
			return nil
		}
		s.begin(c.nextRequestTx())
		return data
	case phLine:
		rest, ok := nextLine(s, data, c.cfg.MaxHeaderBytes)
		if !ok {
			return rest
		}
		c.requestLine(s.tx, chomp(s.line))
		s.line = s.line[:0]
		return rest
	case phProbe09:
		// libhtp treats a protocol-less request line followed by something
		// that looks like a header ("Name:") as HTTP/1.0 with the protocol
		// missing; otherwise it is HTTP/0.9. Bytes are held until that is
		// decidable, so the answer does not depend on how data is split.
		s.line = append(s.line, data...)
		buf := s.line
		if looksLikeHeader(buf) {
			s.tx.flags &^= FlagHTTP09
			s.line = nil
			c.startHeaders(s)
			return buf
		}
		if headerUndecided(buf) && len(buf) < c.cfg.MaxHeaderBytes {
			return nil
		}
		s.line = s.line[:0]
		c.finish09(s.tx)
		return nil
	case phConnectWait:
		if len(s.held)+len(data) > maxHeld {
			// Too much to be a request behind a refused CONNECT.
			s.held = nil
			s.ph = phIgnore
			return nil
		}
		s.held = append(s.held, data...)
		return nil
	case phHeaders, phTrailers:
		return c.headerBytes(s, data, true)
	case phBodyCL, phChunkLen, phChunkData, phChunkEnd:
		return c.bodyBytes(s, data, true)
	}
	return nil
}

// nextRequestTx returns the transaction a new request belongs to: one a
// response already opened (the server spoke first) or a new one.
func (c *Conn) nextRequestTx() *Tx {
	for _, tx := range c.txs {
		if tx.progress&RequestLineDone == 0 && tx != c.req.tx && tx.flags&FlagResponseNoRequest == 0 {
			return tx
		}
	}
	return c.newTx()
}

func (c *Conn) finish09(tx *Tx) {
	buildDerived(&tx.reqDerived, nil, tx.requestLine, true)
	c.req.ph = phIgnore
	c.advance(tx, RequestHeadersDone|RequestComplete)
}

// looksLikeHeader reports whether data starts with a header name followed
// by optional whitespace and a colon (libhtp's probe after a request line
// without protocol).
func looksLikeHeader(data []byte) bool {
	after := false
	for _, b := range data {
		switch {
		case b == ':':
			return true
		case isLWS(b):
			after = true
		case isSpace(b) || after:
			return false
		}
	}
	return false
}

// headerUndecided reports whether looksLikeHeader might still become true
// with more bytes.
func headerUndecided(data []byte) bool {
	after := false
	for _, b := range data {
		switch {
		case b == ':':
			return false
		case isLWS(b):
			after = true
		case isSpace(b) || after:
			return false
		}
	}
	return true
}

// requestLine parses a request line the way libhtp's generic parser does.
func (c *Conn) requestLine(tx *Tx, line []byte) {
	tx.requestLine = clone(line)
	line = tx.requestLine
	pos := 0
	// IDS personality: leading whitespace is skipped.
	for pos < len(line) && isSpace(line[pos]) {
		pos++
	}
	start := pos
	for pos < len(line) && !isSpace(line[pos]) {
		pos++
	}
	tx.method = line[start:pos:pos]
	for pos < len(line) && isSpace(line[pos]) {
		pos++
	}
	start = pos
	bad := false
	for pos < len(line) && line[pos] != ' ' {
		if isSpace(line[pos]) {
			bad = true
		}
		pos++
	}
	if bad && pos == len(line) {
		// The URI had no SP after it but other whitespace: retry with
		// any whitespace as the delimiter, as libhtp does.
		pos = start
		for pos < len(line) && !isSpace(line[pos]) {
			pos++
		}
	}
	tx.uriRaw = line[start:pos:pos]
	for pos < len(line) && isSpace(line[pos]) {
		pos++
	}
	if pos < len(line) {
		tx.protocol = line[pos:len(line):len(line)]
	} else {
		tx.flags |= FlagHTTP09
	}
	c.parseRequestURI(tx)
	c.advance(tx, RequestLineDone)
	if tx.protocol == nil {
		c.req.ph = phProbe09
		c.req.line = c.req.line[:0]
		return
	}
	c.startHeaders(&c.req)
}

func (c *Conn) startHeaders(s *side) {
	s.ph = phHeaders
	s.hdata, s.refs = s.hdata[:0], s.refs[:0]
	s.line = s.line[:0]
	s.pending = s.pending[:0]
	s.hasPend = false
	s.folded = false
	s.hdrBytes = 0
}

// headerBytes consumes header (or trailer) lines.
func (c *Conn) headerBytes(s *side, data []byte, toServer bool) []byte {
	rest, ok := nextLine(s, data, c.cfg.MaxHeaderBytes)
	raw := data[:len(data)-len(rest)]
	tx := s.tx
	// Suricata collects trailer lines into the raw header buffer too (its
	// header-data callback is registered for trailer data as well).
	s.hdrBytes += len(raw)
	if s.hdrBytes > c.cfg.MaxHeaderBytes {
		tx.flags |= FlagHeadersTooLong
	} else if toServer {
		tx.reqHeadersRaw = appendGrow(tx.reqHeadersRaw, raw, 1024)
	} else {
		tx.respHeadersRaw = appendGrow(tx.respHeadersRaw, raw, 1024)
	}
	if !ok {
		return rest
	}
	c.headerLine(s, chomp(s.line), toServer)
	s.line = s.line[:0]
	return rest
}

// headerLine handles one complete header (or trailer) line, without its
// terminator; an empty line ends the block.
func (c *Conn) headerLine(s *side, line []byte, toServer bool) {
	trailer := s.ph == phTrailers
	switch {
	case len(line) == 0:
		if s.hasPend {
			c.addHeader(s, toServer, trailer)
		}
		s.line = s.line[:0]
		if trailer {
			c.endBody(s)
		} else if toServer {
			c.materialize(s, true)
			c.requestHeadersDone(s)
		} else {
			c.materialize(s, false)
			c.responseHeadersDone(s)
		}
	case isLWS(line[0]) && s.hasPend:
		// Folding: the continuation, leading whitespace included, is
		// appended to the previous line (libhtp keeps it verbatim, up
		// to a maximum as here).
		if len(s.pending)+len(line) <= c.cfg.MaxHeaderBytes {
			s.pending = append(s.pending, line...)
		} else {
			s.tx.flags |= FlagHeadersTooLong
		}
		s.folded = true
		s.tx.flags |= FlagFolding
	default:
		if s.hasPend {
			c.addHeader(s, toServer, trailer)
		}
		if isLWS(line[0]) {
			// Folding with nothing to fold into: libhtp drops the
			// leading whitespace and reads it as a header line.
			s.tx.flags |= FlagInvalidHeader
			line = trimLWS(line)
		}
		s.pending = append(s.pending[:0], line...)
		s.hasPend = true
		s.folded = false
	}
}

// closeHeaders ends a header block cut off by the end of the stream, as
// libhtp does when the stream closes in its header state: the pending
// header counts, an unterminated last line is dropped, and the headers are
// complete.
func (c *Conn) closeHeaders(s *side, toServer bool) {
	if s.ph != phHeaders && s.ph != phTrailers {
		return
	}
	s.line = s.line[:0]
	c.headerLine(s, nil, toServer)
}

// addHeader parses s.pending into a name and value and adds it to the
// message's header table, merging repeats as libhtp does.
func (c *Conn) addHeader(s *side, toServer, trailer bool) {
	line := s.pending
	s.hasPend = false
	tx := s.tx
	var name, value []byte
	colon := -1
	for i, b := range line {
		if b == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		// libhtp keeps a line without a colon as a header with an empty
		// name, so its content is still inspected.
		tx.flags |= FlagInvalidHeader
		name, value = nil, trimLWS(line)
	} else {
		name = line[:colon]
		end := len(name)
		for end > 0 && isLWS(name[end-1]) {
			end--
		}
		if end != len(name) || colon == 0 {
			tx.flags |= FlagInvalidHeader
		}
		name = name[:end]
		value = trimLWS(line[colon+1:])
	}
	if trailer {
		// Trailers are parsed for framing but Suricata's buffers are built
		// from the header block only.
		return
	}
	reps := &tx.reqRepeats
	if !toServer {
		reps = &tx.respRepeats
	}
	for i := range s.refs {
		r := &s.refs[i]
		if !equalFold(s.hdata[r.n0:r.n1], name) {
			continue
		}
		tx.flags |= FlagRepeatedHeader
		if *reps >= 64 {
			return // libhtp's HTP_MAX_HEADERS_REPETITIONS
		}
		*reps++
		old := s.hdata[r.v0:r.v1]
		if equalFold(name, "Content-Length") {
			// A repeated Content-Length is not merged; a different
			// value makes the length ambiguous.
			a, okA := parseContentLength(old)
			b, okB := parseContentLength(value)
			if !okA || !okB || a != b {
				tx.flags |= FlagContentLengthBad
			}
			return
		}
		// The merged value goes to the end of the scratch; the old
		// copy stays behind unused until the message is done.
		if len(s.hdata)+len(old)+2+len(value) > 2*c.cfg.MaxHeaderBytes {
			tx.flags |= FlagHeadersTooLong
			return
		}
		v0 := len(s.hdata)
		s.hdata = append(s.hdata, old...)
		s.hdata = append(append(s.hdata, ", "...), value...)
		r.v0, r.v1 = v0, len(s.hdata)
		return
	}
	if len(s.hdata)+len(name)+len(value) > 2*c.cfg.MaxHeaderBytes {
		// An endless header block must not grow memory without bound.
		tx.flags |= FlagHeadersTooLong
		return
	}
	n0 := len(s.hdata)
	s.hdata = append(s.hdata, name...)
	v0 := len(s.hdata)
	s.hdata = append(s.hdata, value...)
	s.refs = append(s.refs, hdrRef{n0, v0, v0, len(s.hdata)})
}

// hdrRef locates one header's name and value in side.hdata.
type hdrRef struct{ n0, n1, v0, v1 int }

// materialize turns the message's header scratch into the transaction's
// header table: one allocation for the bytes, one for the table, and the
// scratch is reused for the next message.
func (c *Conn) materialize(s *side, toServer bool) {
	if len(s.refs) == 0 {
		return
	}
	data := clone(s.hdata)
	hs := make([]Header, len(s.refs))
	for i, r := range s.refs {
		hs[i] = Header{Name: data[r.n0:r.n1:r.n1], Value: data[r.v0:r.v1:r.v1]}
	}
	if toServer {
		s.tx.reqHeaders = hs
	} else {
		s.tx.respHeaders = hs
	}
	s.hdata, s.refs = s.hdata[:0], s.refs[:0]
}

func trimLWS(b []byte) []byte {
	for len(b) > 0 && isLWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isLWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseContentLength parses a Content-Length value as libhtp does:
// surrounding whitespace allowed, digits only otherwise.
func parseContentLength(v []byte) (int64, bool) {
	i, j := 0, len(v)
	for i < j && isSpace(v[i]) {
		i++
	}
	for j > i && isSpace(v[j-1]) {
		j--
	}
	if i == j {
		return 0, false
	}
	var n int64
	for _, b := range v[i:j] {
		if b < '0' || b > '9' {
			return 0, false
		}
		if n > (1<<62)/10 {
			return 0, false
		}
		n = n*10 + int64(b-'0')
	}
	return n, true
}

// hasToken reports whether a comma-separated header value contains token,
// ignoring case and surrounding whitespace (libhtp's htp_header_has_token).
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		if equalFold(trimLWS(v[:i]), token) {
			return true
		}
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	return false
}

func (c *Conn) requestHeadersDone(s *side) {
	tx := s.tx
	c.resolveHost(tx)
	buildDerived(&tx.reqDerived, tx.reqHeaders, tx.requestLine, true)
	c.advance(tx, RequestHeadersDone)
	s.encoding = codingOf(tx.reqHeaders)
	te, hasTE := lookup(tx.reqHeaders, "Transfer-Encoding")
	cl, hasCL := lookup(tx.reqHeaders, "Content-Length")
	switch {
	case hasTE:
		if !hasToken(te, "chunked") {
			// libhtp rejects the request body framing; the request ends
			// here and the connection's request side cannot be trusted.
			tx.flags |= FlagChunkedInvalid
			c.advance(tx, RequestComplete)
			s.ph = phDead
			return
		}
		s.chunked = true
		s.ph = phChunkLen
		s.line = s.line[:0]
	case hasCL:
		n, ok := parseContentLength(cl)
		if !ok {
			tx.flags |= FlagContentLengthBad
			c.advance(tx, RequestComplete)
			s.ph = phDead
			return
		}
		if n == 0 {
			c.endBody(s)
			return
		}
		s.remaining = n
		s.ph = phBodyCL
		if s.encoding.identity() {
			s.bodyCap = bodyHint(n, c.cfg.RequestBodyLimit)
		}
	default:
		c.endBody(s)
	}
}

// bodyHint is the capacity to reserve for a body of known length n kept up
// to limit bytes; a bogus huge Content-Length reserves at most 64 KiB.
func bodyHint(n int64, limit int) int {
	if limit >= 0 && n > int64(limit) {
		n = int64(limit)
	}
	return int(min(n, 64<<10))
}

func (c *Conn) responseHeadersDone(s *side) {
	tx := s.tx
	te, hasTE := lookup(tx.respHeaders, "Transfer-Encoding")
	cl, hasCL := lookup(tx.respHeaders, "Content-Length")
	method := tx.method
	if equalFold(method, "CONNECT") {
		if tx.status >= 200 && tx.status <= 299 {
			c.finishResponseHeaders(tx)
			c.endBody(s)
			c.tunnel()
			return
		}
		// Refused: the client's held data is parsed as HTTP again.
		if r := &c.req; r.ph == phConnectWait {
			held := r.held
			r.held = nil
			r.ph = phIdle
			defer c.Request(held)
		}
	}
	if tx.status == 101 && !hasTE && !hasCL {
		c.finishResponseHeaders(tx)
		c.endBody(s)
		c.tunnel()
		return
	}
	if tx.status == 100 && !hasTE && !hasCL {
		if tx.interim > 0 {
			// libhtp errors out on a second 100 Continue.
			c.finishResponseHeaders(tx)
			s.ph = phDead
			return
		}
		// An interim response: forget its headers and read the final
		// response line into the same transaction. Progress stays
		// monotonic (ResponseLineDone remains set; the status line
		// buffers hold the interim line until the final one replaces
		// them), so consumers never see a milestone undone.
		tx.interim++
		tx.respHeaders = nil
		tx.respHeadersRaw = nil
		tx.respRepeats = 0
		s.ph = phLine
		s.line = s.line[:0]
		return
	}
	if tx.status >= 400 && tx.status <= 499 {
		// The server refused a request that was waiting for
		// "100 Continue": libhtp takes it that the body will not come,
		// so the client's next bytes are a new request.
		r := &c.req
		if r.tx == tx && r.ph == phBodyCL && tx.reqBodyLen == 0 {
			if exp, ok := lookup(tx.reqHeaders, "Expect"); ok && equalFold(trimLWS(exp), "100-continue") {
				c.endBody(r)
			}
		}
	}
	c.finishResponseHeaders(tx)
	if equalFold(method, "HEAD") ||
		((tx.status >= 100 && tx.status <= 199 || tx.status == 204 || tx.status == 304) && !hasTE && !hasCL) {
		c.endBody(s)
		return
	}
	s.encoding = codingOf(tx.respHeaders)
	switch {
	case hasTE && containsFold(te, "chunked"):
		s.chunked = true
		s.ph = phChunkLen
		s.line = s.line[:0]
	case hasCL:
		n, ok := parseContentLength(cl)
		if !ok {
			tx.flags |= FlagContentLengthBad
			c.endBody(s)
			s.ph = phDead
			return
		}
		if n == 0 {
			c.endBody(s)
			return
		}
		s.remaining = n
		s.ph = phBodyCL
		if s.encoding.identity() {
			s.bodyCap = bodyHint(n, c.cfg.ResponseBodyLimit)
		}
	default:
		s.ph = phBodyClose
		if s.closed {
			c.endBody(s)
		}
	}
}

func (c *Conn) finishResponseHeaders(tx *Tx) {
	buildDerived(&tx.respDerived, tx.respHeaders, tx.responseLine, false)
	c.advance(tx, ResponseHeadersDone)
}

// tunnel stops HTTP parsing in both directions (CONNECT, 101 Switching
// Protocols): what follows is another protocol.
func (c *Conn) tunnel() {
	c.req.ph = phIgnore
	c.resp.ph = phIgnore
}

func containsFold(v []byte, s string) bool {
	for i := 0; i+len(s) <= len(v); i++ {
		if equalFold(v[i:i+len(s)], s) {
			return true
		}
	}
	return false
}

// bodyBytes consumes Content-Length and chunked bodies.
func (c *Conn) bodyBytes(s *side, data []byte, toServer bool) []byte {
	switch s.ph {
	case phBodyCL, phChunkData:
		n := int64(len(data))
		if n > s.remaining {
			n = s.remaining
		}
		c.bodyData(s, data[:n], toServer)
		s.remaining -= n
		if s.remaining == 0 {
			if s.ph == phBodyCL {
				c.endBody(s)
			} else {
				s.ph = phChunkEnd
				s.line = s.line[:0]
			}
		}
		return data[n:]
	case phBodyClose:
		c.bodyData(s, data, toServer)
		return nil
	case phChunkEnd:
		// libhtp reads the line ending a chunk's data without checking
		// it is empty.
		rest, ok := nextLine(s, data, 1024)
		if ok {
			s.line = s.line[:0]
			s.ph = phChunkLen
		}
		return rest
	case phChunkLen:
		rest, ok := nextLine(s, data, 1024)
		if !ok {
			return rest
		}
		raw := s.line
		line := chomp(raw)
		s.line = s.line[:0] // raw and line stay readable until the next append
		if len(trimLWS(line)) == 0 {
			// libhtp skips empty lines where a chunk length is expected.
			return rest
		}
		n, valid := parseChunkLen(line)
		if !valid {
			// Not a chunk length: libhtp gives up on chunked framing and
			// treats the rest as body until the connection ends, starting
			// again from this line, terminator included.
			s.tx.flags |= FlagChunkedInvalid
			if toServer {
				c.advance(s.tx, RequestComplete)
				s.ph = phDead
				return nil
			}
			c.bodyData(s, raw, toServer)
			s.ph = phBodyClose
			return rest
		}
		if n == 0 {
			s.ph = phTrailers
			s.hasPend = false
			s.hdrBytes = 0
			return rest
		}
		s.remaining = n
		s.ph = phChunkData
		return rest
	}
	return nil
}

// parseChunkLen parses a chunk-size line: hex digits after optional
// whitespace, then optional whitespace and a ";extension".
func parseChunkLen(line []byte) (int64, bool) {
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	var n int64
	digits := 0
	for ; i < len(line); i++ {
		b := line[i]
		var d byte
		switch {
		case '0' <= b && b <= '9':
			d = b - '0'
		case 'a' <= b && b <= 'f':
			d = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			d = b - 'A' + 10
		default:
			goto tail
		}
		if n > (1<<58)/16 {
			return 0, false
		}
		n = n*16 + int64(d)
		digits++
	}
tail:
	if digits == 0 {
		return 0, false
	}
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i < len(line) && line[i] != ';' {
		return 0, false
	}
	return n, true
}

func (c *Conn) bodyData(s *side, b []byte, toServer bool) {
	tx := s.tx
	if toServer {
		tx.reqBodyLen += int64(len(b))
		if !s.encoding.identity() {
			// Suricata turns libhtp's request decompression on.
			s.wire, tx.flags = appendCapped(s.wire, b, c.cfg.DecompressLimit, tx.flags)
			return
		}
		tx.reqBody = s.reserveBody(tx.reqBody, len(b))
		tx.reqBody, tx.flags = appendCapped(tx.reqBody, b, c.cfg.RequestBodyLimit, tx.flags)
		return
	}
	tx.respWireLen += int64(len(b))
	if !s.encoding.identity() {
		// Inflate when complete: bounded by DecompressLimit through the
		// compressed size kept here as well.
		s.wire, tx.flags = appendCapped(s.wire, b, c.cfg.DecompressLimit, tx.flags)
		return
	}
	tx.respBodyLen += int64(len(b))
	tx.respBody = s.reserveBody(tx.respBody, len(b))
	tx.respBody, tx.flags = appendCapped(tx.respBody, b, c.cfg.ResponseBodyLimit, tx.flags)
}

// reserveBody gives an empty body the capacity its Content-Length asks for
// when its first n bytes arrive, so a body arriving in pieces is not copied
// at each one. When the first piece already fills that capacity the append
// allocates it instead: the runtime then copies without clearing first.
func (s *side) reserveBody(body []byte, n int) []byte {
	if s.bodyCap > 0 && body == nil && n < s.bodyCap {
		body = make([]byte, 0, s.bodyCap)
	}
	s.bodyCap = 0
	return body
}

// appendGrow appends b to dst, starting with room for hint bytes so a
// header block or body arriving in many pieces is not copied at each one.
func appendGrow(dst, b []byte, hint int) []byte {
	if dst == nil && len(b) > 0 {
		dst = make([]byte, 0, max(hint, len(b)))
	}
	return append(dst, b...)
}

func appendCapped(dst, b []byte, limit int, f Flags) ([]byte, Flags) {
	if limit >= 0 && len(dst)+len(b) > limit {
		f |= FlagBodyTruncated
		b = b[:max(limit-len(dst), 0)]
	}
	return append(dst, b...), f
}

// endBody completes the current message of s and readies s for the next.
func (c *Conn) endBody(s *side) {
	tx := s.tx
	s.chunked = false
	s.bodyCap = 0
	s.remaining = 0
	s.line = s.line[:0]
	s.ph = phIdle
	if len(s.wire) > 0 {
		c.inflate(s)
	}
	s.encoding = contentCoding{}
	if s == &c.req {
		c.advance(tx, RequestComplete)
		s.tx = nil
		if equalFold(tx.method, "CONNECT") && tx.progress&ResponseHeadersDone == 0 {
			// libhtp parses nothing more from the client until the
			// response shows whether a tunnel was opened; the data is
			// held, as Suricata re-feeds what libhtp left unconsumed.
			s.ph = phConnectWait
			s.held = s.held[:0]
		}
		return
	}
	c.advance(tx, ResponseComplete)
	s.tx = nil
}

func (c *Conn) stepResponse(data []byte) []byte {
	s := &c.resp
	switch s.ph {
	case phIdle:
		if data = skipEmptyLines(data); len(data) == 0 {
			return nil
		}
		s.begin(c.nextResponseTx())
		return data
	case phLine:
		rest, ok := nextLine(s, data, c.cfg.MaxHeaderBytes)
		if !ok {
			return rest
		}
		raw := s.line
		line := chomp(raw)
		if len(line) == 0 {
			// Empty lines before the final status line (after a 100
			// Continue) are skipped.
			s.line = s.line[:0]
			return rest
		}
		if !looksLikeStatusLine(line) {
			// Browsers show such a response as a body, and so does
			// libhtp: the whole stream from here is the body.
			c.advance(s.tx, ResponseLineDone|ResponseHeadersDone)
			s.ph = phBodyClose
			s.encoding = contentCoding{}
			c.bodyData(s, raw, false)
			s.line = s.line[:0]
			if s.closed {
				c.endBody(s)
			}
			return rest
		}
		c.statusLine(s.tx, line)
		c.startHeaders(s)
		return rest
	case phHeaders, phTrailers:
		return c.headerBytes(s, data, false)
	case phBodyCL, phChunkLen, phChunkData, phChunkEnd, phBodyClose:
		return c.bodyBytes(s, data, false)
	}
	return nil
}

// nextResponseTx pairs a response with the oldest request that has no
// response yet; a response with nothing to pair gets a transaction of its
// own.
func (c *Conn) nextResponseTx() *Tx {
	for _, tx := range c.txs {
		if tx.progress&ResponseLineDone == 0 && tx.flags&FlagResponseNoRequest == 0 {
			return tx
		}
	}
	if c.req.tx != nil && c.req.tx.progress&ResponseLineDone == 0 {
		return c.req.tx
	}
	// libhtp makes up the request side of such a transaction: no method
	// and the URI "/libhtp::request_uri_not_seen" (which is what EVE then
	// shows as the url). Its request progress does not move, so no
	// request-side buffer is inspected.
	tx := c.newTx()
	tx.flags |= FlagResponseNoRequest
	tx.uriRaw = []byte(uriNotSeen)
	tx.uri = tx.uriRaw
	return tx
}

// uriNotSeen is libhtp's URI for a response that has no request.
const uriNotSeen = "/libhtp::request_uri_not_seen"

// looksLikeStatusLine is libhtp's test: optional whitespace then "HTTP"
// in any case.
func looksLikeStatusLine(line []byte) bool {
	i := 0
	for i < len(line) && (isSpace(line[i]) || line[i] == 0) {
		i++
	}
	return len(line) >= i+4 && equalFold(line[i:i+4], "http")
}

func (c *Conn) statusLine(tx *Tx, line []byte) {
	tx.responseLine = clone(line)
	line = tx.responseLine
	pos := 0
	for pos < len(line) && isSpace(line[pos]) {
		pos++
	}
	start := pos
	for pos < len(line) && !isSpace(line[pos]) {
		pos++
	}
	tx.respProtocol = line[start:pos:pos]
	for pos < len(line) && isSpace(line[pos]) {
		pos++
	}
	start = pos
	for pos < len(line) && !isSpace(line[pos]) {
		pos++
	}
	// libhtp leaves the status and message unset (and Suricata's buffers
	// absent) when the line ends before them.
	tx.statCode, tx.statMsg = nil, nil
	if start < pos {
		tx.statCode = line[start:pos:pos]
	}
	tx.status = parseStatus(tx.statCode)
	for pos < len(line) && isSpace(line[pos]) {
		pos++
	}
	if pos < len(line) {
		tx.statMsg = line[pos:len(line):len(line)]
	}
	c.advance(tx, ResponseLineDone)
}

// parseStatus accepts exactly three digits, 100-999, like libhtp.
func parseStatus(b []byte) int {
	b = trimLWS(b)
	if len(b) != 3 {
		return 0
	}
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0
		}
		n = n*10 + int(d-'0')
	}
	if n < 100 {
		return 0
	}
	return n
}
