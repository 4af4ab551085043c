package pcaps

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Defragmentation limits, after Suricata's defrag defaults (timeout 60 s);
// the tracker count and datagram size bound memory.
const (
	defragTimeout    = 60 * time.Second
	defragMaxTrack   = 1024
	defragMaxPayload = 65535
)

type fragKey struct {
	v6       bool
	src, dst netip.Addr
	id       uint32
	proto    uint8
}

type fragRange struct{ start, end int }

type fragTracker struct {
	hdr   []byte // header of the first fragment (IPv4) for the rebuilt packet
	data  []byte
	have  []fragRange // sorted, merged
	total int         // payload length once the last fragment is seen, else -1
	last  time.Time
}

// defragger rebuilds IP datagrams from fragments. Overlapping bytes keep
// the data that arrived first (Suricata's default "bsd" policy differs
// only for fragments that start before an existing one).
type defragger struct {
	m    map[fragKey]*fragTracker
	out  []byte
	free []*fragTracker
}

// add records fragment fi of packet p (addresses and protocol already
// decoded). It returns the rebuilt payload when the datagram is complete.
func (d *defragger) add(p *Packet, fi *fragInfo, now time.Time) (payload []byte, hdr []byte, ok bool) {
	if d.m == nil {
		d.m = make(map[fragKey]*fragTracker)
	}
	k := fragKey{v6: fi.v6, src: p.SrcIP, dst: p.DstIP, id: fi.id, proto: fi.proto}
	t := d.m[k]
	if t == nil {
		if len(d.m) >= defragMaxTrack {
			d.expire(now, true)
		}
		if n := len(d.free); n > 0 {
			t, d.free = d.free[n-1], d.free[:n-1]
			t.data, t.have, t.hdr = t.data[:0], t.have[:0], t.hdr[:0]
		} else {
			t = &fragTracker{}
		}
		t.total = -1
		d.m[k] = t
	}
	t.last = now
	start, end := fi.offset, fi.offset+len(fi.payload)
	if end > defragMaxPayload {
		return nil, nil, false
	}
	if fi.isFirst {
		t.hdr = append(t.hdr[:0], fi.hdr...)
	}
	if !fi.more {
		t.total = end
	}
	if len(t.data) < end {
		t.data = append(t.data, make([]byte, end-len(t.data))...)
	}
	// Copy only the bytes no earlier fragment supplied.
	pos := start
	for _, r := range t.have {
		if r.end <= pos || r.start >= end {
			continue
		}
		if r.start > pos {
			copy(t.data[pos:r.start], fi.payload[pos-start:])
		}
		pos = max(pos, r.end)
	}
	if pos < end {
		copy(t.data[pos:end], fi.payload[pos-start:])
	}
	t.have = mergeRange(t.have, fragRange{start, end})
	if t.total < 0 || len(t.have) != 1 || t.have[0].start != 0 || t.have[0].end < t.total || len(t.hdr) == 0 {
		return nil, nil, false
	}
	d.out = append(d.out[:0], t.data[:t.total]...)
	hdr = t.hdr
	delete(d.m, k)
	d.free = append(d.free, t)
	return d.out, hdr, true
}

func mergeRange(rs []fragRange, n fragRange) []fragRange {
	i := 0
	for i < len(rs) && rs[i].end < n.start {
		i++
	}
	j := i
	for j < len(rs) && rs[j].start <= n.end {
		n.start = min(n.start, rs[j].start)
		n.end = max(n.end, rs[j].end)
		j++
	}
	if i == j {
		rs = append(rs, fragRange{})
		copy(rs[i+1:], rs[i:])
		rs[i] = n
		return rs
	}
	rs[i] = n
	return append(rs[:i+1], rs[j:]...)
}

// expire drops trackers idle past the timeout (or, with force, the oldest
// one, to make room).
func (d *defragger) expire(now time.Time, force bool) {
	var oldK fragKey
	var oldT *fragTracker
	for k, t := range d.m {
		if now.Sub(t.last) > defragTimeout {
			delete(d.m, k)
			continue
		}
		if oldT == nil || t.last.Before(oldT.last) {
			oldK, oldT = k, t
		}
	}
	if force && len(d.m) >= defragMaxTrack && oldT != nil {
		delete(d.m, oldK)
	}
}

// rebuildIPv4 returns the IPv4 datagram made of hdr and payload, with the
// total length and fragment fields fixed up, into buf.
func rebuildIPv4(buf, hdr, payload []byte) []byte {
	buf = append(buf[:0], hdr...)
	buf = append(buf, payload...)
	binary.BigEndian.PutUint16(buf[2:4], uint16(len(buf)))
	buf[6], buf[7] = 0, 0
	return buf
}
