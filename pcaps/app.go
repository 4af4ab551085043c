package pcaps

import "github.com/sigtool/sigtool/pcaps/http1"

// App-layer protocol states of a TCP flow.
const (
	appUnknown = iota
	appHTTP
	appFailed
)

const (
	reqBits  = http1.RequestLineDone | http1.RequestHeadersDone | http1.RequestComplete
	respBits = http1.ResponseLineDone | http1.ResponseHeadersDone | http1.ResponseComplete
)

// appState is the application layer of one TCP flow: protocol detection
// and, for HTTP, the parser and the transactions waiting to be inspected
// in each direction.
type appState struct {
	proto   int
	verdict [2]http1.Verdict // per direction: 0 to client, 1 to server
	conn    *http1.Conn
	known   map[*http1.Tx]http1.Progress
	wait    [2][]*http1.Tx // transactions to hand on, per direction
	closed  [2]bool        // the parser was told the direction ended
	txs     int
}

func dirIdx(toServer bool) int {
	if toServer {
		return 1
	}
	return 0
}

func (a *appState) pending(toServer bool) []*http1.Tx { return a.wait[dirIdx(toServer)] }

// active reports whether the app layer still wants stream data.
func (a *appState) active() bool { return a.proto != appFailed }

func (a *appState) close() {
	a.conn, a.known = nil, nil
	a.wait = [2][]*http1.Tx{}
}

// appUpdate hands stream data of direction toServer up to offset `to` to
// the app layer. eof means the direction ended.
func (e *engine) appUpdate(fs *flowState, toServer bool, to uint64, eof bool) {
	a := &fs.app
	s := fs.stream(toServer)
	if a.proto == appFailed {
		s.app = max(s.app, to)
		s.trim()
		return
	}
	if to <= s.app && !eof {
		return
	}
	if a.proto == appUnknown {
		d := dirIdx(toServer)
		if fs.f.Midstream && a.verdict[0] == 0 && a.verdict[1] == 0 && to > s.app &&
			http1.Probe(s.span(s.app, to), toServer) == http1.NotHTTP &&
			http1.Probe(s.span(s.app, to), !toServer) == http1.IsHTTP {
			// Midstream and the first data seen is the other side's
			// kind of message: Suricata reverses the flow.
			fs.swap()
			toServer = !toServer
			d = dirIdx(toServer)
			s = fs.stream(toServer)
		}
		if a.verdict[d] == http1.NeedMore || a.verdict[d] == 0 {
			v := http1.Probe(s.span(s.app, to), toServer)
			if to == s.app {
				v = http1.NeedMore
			}
			if v == http1.NeedMore && eof {
				v = http1.NotHTTP
			}
			a.verdict[d] = v
		}
		switch {
		case a.verdict[d] == http1.IsHTTP:
			a.proto = appHTTP
			fs.f.AppProto = "http"
			a.conn = http1.NewConn(http1.Config{})
			a.known = make(map[*http1.Tx]http1.Progress)
		case a.verdict[d] == http1.NotHTTP && a.verdict[1-d] == http1.NotHTTP:
			a.proto = appFailed
			fs.f.AppProto = "failed"
			s.app = max(s.app, to)
			s.trim()
			return
		default:
			// Wait for more data, or for the other direction to decide.
			if a.verdict[d] == http1.NotHTTP && eof {
				s.app = max(s.app, to)
			}
			return
		}
		// Data the other direction held back while undecided goes first.
		o := fs.stream(!toServer)
		if o.app < o.ackedEnd() && !e.cfg.Inline {
			e.feed(fs, !toServer, o.ackedEnd())
		}
	}
	e.feed(fs, toServer, to)
	if eof && !a.closed[dirIdx(toServer)] {
		a.closed[dirIdx(toServer)] = true
		if toServer {
			a.conn.CloseRequest()
		} else {
			a.conn.CloseResponse()
		}
		e.collect(fs)
	}
}

// feed gives the HTTP parser the data [s.app, to), gaps reported as such.
func (e *engine) feed(fs *flowState, toServer bool, to uint64) {
	a := &fs.app
	s := fs.stream(toServer)
	for s.app < to {
		end := to
		if g, ok := s.nextGap(s.app, to); ok {
			if g.start <= s.app {
				n := int(min(g.end, to) - s.app)
				if toServer {
					a.conn.RequestGap(n)
				} else {
					a.conn.ResponseGap(n)
				}
				s.app += uint64(n)
				continue
			}
			end = g.start
		}
		data := s.span(s.app, end)
		if toServer {
			a.conn.Request(data)
		} else {
			a.conn.Response(data)
		}
		s.app = end
	}
	s.trim()
	e.collect(fs)
}

// collect queues the transactions that advanced, per side, and asks for
// raw stream inspection when a message completes, as Suricata's HTTP
// parser does.
func (e *engine) collect(fs *flowState) {
	a := &fs.app
	for _, tx := range a.conn.Updated() {
		old, seen := a.known[tx]
		if !seen && tx.ID+1 > a.txs {
			e.stats.HTTPTransactions += tx.ID + 1 - a.txs
			a.txs = tx.ID + 1
		}
		now := tx.Progress()
		grew := now &^ old
		if grew&reqBits != 0 {
			a.wait[1] = appendTx(a.wait[1], tx)
			if grew&http1.RequestComplete != 0 {
				fs.client.trigger = true
			}
		}
		if grew&respBits != 0 {
			a.wait[0] = appendTx(a.wait[0], tx)
			if grew&http1.ResponseComplete != 0 {
				fs.server.trigger = true
			}
		}
		if now.Has(reqBits | respBits) {
			delete(a.known, tx)
		} else {
			a.known[tx] = now
		}
	}
}

func appendTx(l []*http1.Tx, tx *http1.Tx) []*http1.Tx {
	for _, t := range l {
		if t == tx {
			return l
		}
	}
	return append(l, tx)
}

// takeHTTP moves the transactions waiting for direction toServer onto the
// packet being delivered.
func (e *engine) takeHTTP(fs *flowState, toServer bool) {
	d := dirIdx(toServer)
	w := fs.app.wait[d]
	for i, tx := range w {
		e.httpEvents = append(e.httpEvents, HTTPEvent{Tx: tx, TxID: tx.ID, ToServer: toServer, Progress: tx.Progress()})
		w[i] = nil
	}
	fs.app.wait[d] = w[:0]
}
