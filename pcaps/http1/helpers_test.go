package http1

import (
	"fmt"
	"strings"
)

// feeder delivers a conversation to a Conn in pieces and collects every
// transaction Updated reports.
type feeder struct {
	c   *Conn
	txs []*Tx
}

func newFeeder() *feeder { return &feeder{c: NewConn(Config{})} }

func (f *feeder) collect() {
	for _, tx := range f.c.Updated() {
		seen := false
		for _, t := range f.txs {
			if t == tx {
				seen = true
			}
		}
		if !seen {
			f.txs = append(f.txs, tx)
		}
	}
}

// feed splits data at the given cut points (offsets, ascending) and feeds
// each piece to the request or response side.
func (f *feeder) feed(toServer bool, data string, cuts ...int) {
	prev := 0
	for _, c := range append(cuts, len(data)) {
		if c < prev || c > len(data) {
			continue
		}
		if toServer {
			f.c.Request([]byte(data[prev:c]))
		} else {
			f.c.Response([]byte(data[prev:c]))
		}
		f.collect()
		prev = c
	}
}

func (f *feeder) close() {
	f.c.Close()
	f.collect()
}

// parse runs a request and response stream through a fresh Conn in one
// piece each and returns the transactions.
func parse(req, resp string) []*Tx {
	f := newFeeder()
	f.feed(true, req)
	f.feed(false, resp)
	f.close()
	return f.txs
}

// snapshot prints every buffer of every transaction, so two parses can be
// compared whole.
func snapshot(txs []*Tx) string {
	var sb strings.Builder
	for _, tx := range txs {
		fmt.Fprintf(&sb, "tx %d progress=%06b flags=%x status=%d reqlen=%d resplen=%d\n",
			tx.ID, tx.Progress(), tx.Flags(), tx.StatusCode(), tx.RequestBodyLen(), tx.ResponseBodyLen())
		for b := BufMethod; b < numBuffers; b++ {
			for _, dir := range []bool{true, false} {
				if v, ok := tx.Buffer(b, dir); ok {
					fmt.Fprintf(&sb, "  %s[%v]=%q\n", b, dir, v)
				}
			}
		}
	}
	return sb.String()
}

// buf returns a transaction's buffer as a string, or "<none>" when it does
// not exist.
func buf(tx *Tx, b Buffer, toServer bool) string {
	v, ok := tx.Buffer(b, toServer)
	if !ok {
		return "<none>"
	}
	return string(v)
}
