package pcapgen

import (
	"errors"
	"fmt"
	"net/netip"
)

// Exchange is one HTTP request and its response, as bytes on the wire. Either
// may be empty: a request without a response, or a server that speaks first.
type Exchange struct {
	Request, Response []byte
}

// Conversation describes a TCP connection for AddConversation. The zero value
// of every option is the ordinary case: a handshake, each message cut into
// in-order segments of 1460 bytes, each message acknowledged by the peer, and
// a FIN exchange at the end.
type Conversation struct {
	// Client opened the connection (sent the SYN); Server accepted it.
	Client, Server netip.AddrPort
	// Exchanges are sent in order on the one connection (keep-alive).
	Exchanges []Exchange
	// Pipelined sends every request before the first response.
	Pipelined bool
	// SegmentSize is the most payload bytes per segment; zero means 1460.
	SegmentSize int
	// NoHandshake omits SYN, SYN/ACK and ACK, so the capture starts
	// mid-stream (Suricata ignores such a flow unless stream.midstream).
	NoHandshake bool
	// NoClose omits the FIN exchange at the end.
	NoClose bool
	// OutOfOrder swaps each pair of consecutive segments of a message, so
	// the second part of the data arrives before the first.
	OutOfOrder bool
	// Retransmit sends every data segment twice in a row.
	Retransmit bool
	// Overlap makes every data segment after a message's first start this
	// many bytes early, repeating the tail of the previous segment (same
	// bytes, so every overlap policy agrees). It must be smaller than
	// SegmentSize. Use AddTCP for overlaps with conflicting data.
	Overlap int
	// ClientISN and ServerISN are the initial sequence numbers; zero means
	// 1000 and 5000, which keeps relative and absolute numbers readable.
	ClientISN, ServerISN uint32
	// CorruptChecksum, when positive, writes a bad TCP checksum on that
	// packet of the conversation (1 = the first packet it adds).
	CorruptChecksum int
	// AckEvery, when positive, has the receiver of a message acknowledge
	// what arrived so far after every AckEvery data segments (2 is a
	// receiver with delayed ACKs), besides the ACK at the message's end.
	// Zero acknowledges each message once, when all of it has arrived. It
	// is ignored with OutOfOrder.
	AckEvery int
}

// Conn reports where AddConversation put things, as 1-based packet numbers in
// the capture (Suricata's pcap_cnt), so tests can expect alerts on them.
type Conn struct {
	// First and Last are the first and last packet of the conversation.
	First, Last int
	// Requests[i] and Responses[i] list the packets carrying data of
	// exchange i, in capture order (retransmissions included).
	Requests, Responses [][]int
}

// AddConversation appends a whole TCP conversation and reports which packets
// carry which message.
func (c *Capture) AddConversation(conv Conversation) (Conn, error) {
	if !conv.Client.IsValid() || !conv.Server.IsValid() {
		return Conn{}, errors.New("pcapgen: conversation needs client and server addresses")
	}
	seg := conv.SegmentSize
	if seg == 0 {
		seg = 1460
	}
	if seg < 0 || seg > 65000 {
		return Conn{}, fmt.Errorf("pcapgen: segment size %d out of range 1-65000", seg)
	}
	if conv.Overlap < 0 || (conv.Overlap > 0 && conv.Overlap >= seg) {
		return Conn{}, fmt.Errorf("pcapgen: overlap %d must be between 0 and segment size %d", conv.Overlap, seg)
	}
	g := &convGen{c: c, conv: conv, seg: seg, first: c.Len() + 1}
	g.cseq, g.sseq = conv.ClientISN, conv.ServerISN
	if g.cseq == 0 {
		g.cseq = 1000
	}
	if g.sseq == 0 {
		g.sseq = 5000
	}
	out := Conn{First: c.Len() + 1}
	if !conv.NoHandshake {
		g.send(true, TCPSegment{SYN: true, Seq: g.cseq})
		g.cseq++
		g.send(false, TCPSegment{SYN: true, ACK: true, Seq: g.sseq})
		g.sseq++
		g.ackFrom(true)
	}
	out.Requests = make([][]int, len(conv.Exchanges))
	out.Responses = make([][]int, len(conv.Exchanges))
	if conv.Pipelined {
		for i, ex := range conv.Exchanges {
			out.Requests[i] = g.message(true, ex.Request, false)
		}
		g.ackFrom(false)
		for i, ex := range conv.Exchanges {
			out.Responses[i] = g.message(false, ex.Response, false)
		}
		g.ackFrom(true)
	} else {
		for i, ex := range conv.Exchanges {
			out.Requests[i] = g.message(true, ex.Request, true)
			out.Responses[i] = g.message(false, ex.Response, true)
		}
	}
	if !conv.NoClose {
		g.send(true, TCPSegment{FIN: true, ACK: true, Seq: g.cseq})
		g.cseq++
		g.send(false, TCPSegment{FIN: true, ACK: true, Seq: g.sseq})
		g.sseq++
		g.ackFrom(true)
	}
	if g.err != nil {
		return Conn{}, g.err
	}
	out.Last = c.Len()
	return out, nil
}

// convGen tracks both directions' next sequence numbers while a
// conversation is written.
type convGen struct {
	c          *Capture
	conv       Conversation
	seg, first int
	cseq, sseq uint32 // next sequence number of client and server
	err        error
}

// send fills in addresses and the acknowledgement number and appends the
// segment; it returns its packet number.
func (g *convGen) send(fromClient bool, s TCPSegment) int {
	if fromClient {
		s.Src, s.Dst = g.conv.Client, g.conv.Server
		s.Ack = g.sseq
	} else {
		s.Src, s.Dst = g.conv.Server, g.conv.Client
		s.Ack = g.cseq
	}
	if s.SYN && !s.ACK {
		s.Ack = 0
	}
	n := g.c.Len() + 1
	s.BadChecksum = g.conv.CorruptChecksum > 0 && n-g.first+1 == g.conv.CorruptChecksum
	if err := g.c.AddTCP(s); err != nil && g.err == nil {
		g.err = err
	}
	return n
}

// ackUpTo sends a bare ACK of the peer's data up to sequence number ack.
func (g *convGen) ackUpTo(fromClient bool, ack uint32) {
	seq := g.sseq
	if fromClient {
		seq = g.cseq
	}
	s := TCPSegment{ACK: true, Seq: seq, Ack: ack}
	if fromClient {
		s.Src, s.Dst = g.conv.Client, g.conv.Server
	} else {
		s.Src, s.Dst = g.conv.Server, g.conv.Client
	}
	n := g.c.Len() + 1
	s.BadChecksum = g.conv.CorruptChecksum > 0 && n-g.first+1 == g.conv.CorruptChecksum
	if err := g.c.AddTCP(s); err != nil && g.err == nil {
		g.err = err
	}
}

// ackFrom sends a bare ACK of everything the peer sent so far.
func (g *convGen) ackFrom(fromClient bool) {
	seq := g.sseq
	if fromClient {
		seq = g.cseq
	}
	g.send(fromClient, TCPSegment{ACK: true, Seq: seq})
}

// message sends data from one side cut into segments and, when ack is set,
// the peer's acknowledgement.
func (g *convGen) message(fromClient bool, data []byte, ack bool) []int {
	if len(data) == 0 {
		return nil
	}
	base := g.sseq
	if fromClient {
		base = g.cseq
	}
	type piece struct {
		start, end int
	}
	var pieces []piece
	for start := 0; start < len(data); start += g.seg {
		s := start
		if start > 0 {
			s -= g.conv.Overlap
		}
		pieces = append(pieces, piece{s, min(start+g.seg, len(data))})
	}
	if g.conv.OutOfOrder {
		for i := 0; i+1 < len(pieces); i += 2 {
			pieces[i], pieces[i+1] = pieces[i+1], pieces[i]
		}
	}
	var nums []int
	every := g.conv.AckEvery
	if g.conv.OutOfOrder {
		every = 0
	}
	for i, p := range pieces {
		times := 1
		if g.conv.Retransmit {
			times = 2
		}
		for range times {
			s := TCPSegment{
				ACK: true, PSH: p.end == len(data),
				Seq:     base + uint32(p.start),
				Payload: data[p.start:p.end],
			}
			nums = append(nums, g.send(fromClient, s))
		}
		if every > 0 && (i+1)%every == 0 && p.end < len(data) {
			g.ackUpTo(!fromClient, base+uint32(p.end))
		}
	}
	if fromClient {
		g.cseq += uint32(len(data))
	} else {
		g.sseq += uint32(len(data))
	}
	if ack {
		g.ackFrom(!fromClient)
	}
	return nums
}
