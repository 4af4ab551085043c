package matcher

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sigtool/sigtool/pcaps"
)

// tcpFlags is a compiled flags keyword: flags:[!*+]FSRPAUCE0[,mask].
type tcpFlags struct {
	mod    byte  // 0 exact, '+' all of these and maybe others, '*' any of, '!' not all of
	flags  uint8 // the flags named
	ignore uint8 // the mask: flags not taken into account
}

var flagBits = map[byte]uint8{
	'F': pcaps.TCPFin, 'S': pcaps.TCPSyn, 'R': pcaps.TCPRst, 'P': pcaps.TCPPsh,
	'A': pcaps.TCPAck, 'U': pcaps.TCPUrg, 'C': pcaps.TCPCwr, 'E': pcaps.TCPEce,
	'1': pcaps.TCPCwr, '2': pcaps.TCPEce,
}

func parseFlags(arg string) (*tcpFlags, error) {
	a := strings.TrimSpace(arg)
	f := &tcpFlags{}
	set, mask, _ := strings.Cut(a, ",")
	set = strings.TrimSpace(set)
	if set != "" && strings.ContainsRune("!*+", rune(set[0])) {
		f.mod = set[0]
		set = set[1:]
	}
	if set == "" {
		return nil, fmt.Errorf("flags needs at least one flag")
	}
	for i := 0; i < len(set); i++ {
		c := set[i]
		if c == '0' {
			continue
		}
		b, ok := flagBits[c&^0x20]
		if c >= '1' && c <= '2' {
			b, ok = flagBits[c]
		}
		if !ok {
			return nil, fmt.Errorf("unknown tcp flag %q", c)
		}
		f.flags |= b
	}
	for i := 0; i < len(strings.TrimSpace(mask)); i++ {
		c := strings.TrimSpace(mask)[i]
		b, ok := flagBits[c&^0x20]
		if c >= '1' && c <= '2' {
			b, ok = flagBits[c]
		}
		if !ok {
			return nil, fmt.Errorf("unknown tcp flag %q in mask", c)
		}
		f.ignore |= b
	}
	return f, nil
}

func (f *tcpFlags) match(p uint8) bool {
	p &^= f.ignore
	switch f.mod {
	case '+':
		return p&f.flags == f.flags
	case '*':
		return p&f.flags != 0
	case '!':
		return p&f.flags != f.flags
	}
	return p == f.flags
}

// parseICMPValue reads itype/icode values: N, <N, >N, N<>M.
func parseICMPValue(arg string) (sizeCmp, error) {
	a := strings.TrimSpace(arg)
	num := func(s string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 || n > 255 {
			return 0, fmt.Errorf("bad value %q", s)
		}
		return n, nil
	}
	if lo, hi, ok := strings.Cut(a, "<>"); ok {
		l, err1 := num(lo)
		h, err2 := num(hi)
		if err1 != nil || err2 != nil || l >= h {
			return sizeCmp{}, fmt.Errorf("bad range %q", a)
		}
		return sizeCmp{op: "<>", min: l, max: h}, nil
	}
	for _, op := range []string{"<=", ">=", "<", ">"} {
		if strings.HasPrefix(a, op) {
			n, err := num(a[len(op):])
			return sizeCmp{op: op, min: n}, err
		}
	}
	n, err := num(a)
	return sizeCmp{op: "=", min: n}, err
}

// streamSize is a compiled stream_size keyword:
// stream_size:<server|client|both|either>,<op>,<n>. It compares the bytes a
// side has sent, counted as Suricata does from TCP sequence numbers
// (next_seq - isn, so the SYN counts one).
type streamSize struct {
	server, client, both bool
	cmp                  sizeCmp
}

func parseStreamSize(arg string) (*streamSize, error) {
	parts := strings.Split(arg, ",")
	if len(parts) != 3 {
		return nil, fmt.Errorf("stream_size needs side,operator,number")
	}
	ss := &streamSize{}
	switch strings.TrimSpace(parts[0]) {
	case "server":
		ss.server = true
	case "client":
		ss.client = true
	case "both":
		ss.server, ss.client, ss.both = true, true, true
	case "either":
		ss.server, ss.client = true, true
	default:
		return nil, fmt.Errorf("stream_size side must be server, client, both or either")
	}
	op := strings.TrimSpace(parts[1])
	switch op {
	case "<", ">", "=", "!=", "<=", ">=":
	default:
		return nil, fmt.Errorf("stream_size operator %q", op)
	}
	n, err := strconv.Atoi(strings.TrimSpace(parts[2]))
	if err != nil || n < 0 {
		return nil, fmt.Errorf("stream_size number %q", parts[2])
	}
	ss.cmp = sizeCmp{op: op, min: n}
	return ss, nil
}

// seqTrack follows one direction's sequence space: isn and next_seq.
type seqTrack struct {
	set       bool
	isn, next uint32
}

func (t *seqTrack) update(p *pcaps.Packet) {
	seq := p.TCP.Seq
	if !t.set {
		t.set = true
		t.isn = seq - 1 // picked up midstream: as Suricata, isn = seq - 1
		if p.TCP.Flags&pcaps.TCPSyn != 0 {
			t.isn = seq
		}
		t.next = t.isn + 1
	}
	end := seq + uint32(len(p.Payload))
	if p.TCP.Flags&(pcaps.TCPSyn|pcaps.TCPFin) != 0 {
		end++
	}
	// next_seq moves forward over in-order data only.
	if int32(seq-t.next) <= 0 && int32(end-t.next) > 0 {
		t.next = end
	}
}

func (t *seqTrack) size() int { return int(t.next - t.isn) }

func (ss *streamSize) match(fs *flowState) bool {
	if fs == nil {
		return false
	}
	cl := fs.seq[0].set && ss.cmp.match(fs.seq[0].size())
	sv := fs.seq[1].set && ss.cmp.match(fs.seq[1].size())
	switch {
	case ss.both:
		return cl && sv
	case ss.server && ss.client:
		return cl || sv
	case ss.server:
		return sv
	}
	return cl
}
