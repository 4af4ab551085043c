// Package replay builds a large benchmark capture out of a directory of
// real captures (the shared benign corpus), for comparing sigtool with
// other engines on the same traffic: issue 6 quotes Snort 3 with Hyperscan
// on "a 1 GB mix of the benign corpus".
//
// Load reads every capture under a directory once (files whose frames are
// byte-identical to an earlier file, such as the corpus' classic-pcap
// copies of its pcapng originals, are skipped), and Write writes them out
// again and again, one round after the other, until the output reaches the
// size asked for. Each round is a whole pass over the corpus, so every
// round holds the same HTTP transactions, and a capture is never cut.
//
// Rounds are made distinct flows in two ways:
//
//   - Addresses in Suricata's default HOME_NET (10.0.0.0/8, 172.16.0.0/12,
//     192.168.0.0/16) get the round number times an odd constant added to
//     their low 16 bits, which keeps them inside the same private block
//     (an address of one round can still equal another's of a distant round:
//     16 bits are shared by all the corpus' hosts of a block). Other addresses (external
//     IPv4, all IPv6) are kept: changing them could turn a flow into a hit on
//     one of ET Open's IP reputation lists, and rounds would then no longer
//     alert alike. The IP header checksum and the TCP/UDP/ICMPv6 checksum
//     (whose pseudo-header holds the addresses) are updated incrementally
//     (RFC 1624): a checksum that was valid stays valid and one that was
//     wrong (checksum offload in the original capture) stays wrong, so
//     sigtool's checksum validation sees every round as it sees the corpus.
//   - Timestamps: rounds and the captures within a round are laid out one
//     after the other, each starting Gap after the previous one's last
//     packet. Gap exceeds all of Suricata's default flow timeouts, so every
//     flow of a capture has ended before the next begins, as if each were
//     read on its own, and the output is monotonic. Flows whose two ends are
//     outside HOME_NET therefore repeat their 5-tuple from round to round,
//     but as new flows after a timeout.
//
// The output is a classic pcap with Ethernet framing and microsecond
// timestamps. Captures of other link types are converted when they carry
// raw IP (LINKTYPE_RAW, IPV4, IPV6: an Ethernet header is put in front) and
// skipped otherwise, with a note in Corpus.Skipped. The same corpus, size
// and start always give the same bytes.
package replay

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigtool/sigtool/pcaps"
)

// Gap separates consecutive captures in the output: longer than the
// longest default flow timeout (TCP established, 600 s).
const Gap = time.Hour

// Start is the timestamp of the output's first packet.
var Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const snaplen = 262144

// Link types (tcpdump.org LINKTYPE_ values) Load accepts.
const (
	linkEthernet = 1
	linkRaw      = 101
	linkIPv4     = 228
	linkIPv6     = 229
)

// Capture is one corpus capture held in memory.
type Capture struct {
	Name   string // path relative to the corpus directory
	Frames []Frame
	Bytes  int // captured bytes of all frames
}

// Frame is one Ethernet frame and its offset from the capture's first
// timestamp.
type Frame struct {
	Offset time.Duration
	Length int // original length on the wire
	Data   []byte
}

// Corpus is the set of distinct captures of a directory, in path order.
type Corpus struct {
	Captures []Capture
	// Skipped says, one line each, which files were left out and why.
	Skipped []string
}

// Bytes is the frame data of one round (one pass over the corpus).
func (c *Corpus) Bytes() int {
	n := 0
	for _, cp := range c.Captures {
		n += cp.Bytes
	}
	return n
}

// Load reads every capture (.pcap, .pcapng, .cap, optionally .gz) under
// dir.
func Load(dir string) (*Corpus, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(d.Name(), ".gz")
		if d.Type().IsRegular() && (strings.HasSuffix(name, ".pcap") || strings.HasSuffix(name, ".pcapng") || strings.HasSuffix(name, ".cap")) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	c := &Corpus{}
	seen := map[[32]byte]string{}
	for _, p := range paths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			rel = p
		}
		cp, sum, note, err := loadFile(p, rel)
		if err != nil {
			return nil, err
		}
		if note != "" {
			c.Skipped = append(c.Skipped, note)
			continue
		}
		if first, dup := seen[sum]; dup {
			c.Skipped = append(c.Skipped, fmt.Sprintf("%s: same frames as %s", rel, first))
			continue
		}
		seen[sum] = rel
		c.Captures = append(c.Captures, cp)
	}
	if len(c.Captures) == 0 {
		return nil, fmt.Errorf("replay: no usable capture under %s", dir)
	}
	return c, nil
}

// loadFile reads one capture and hashes its frames (lengths and bytes, not
// timestamps, whose resolution differs between a pcapng and its pcap copy).
// A non-empty note means the file is skipped.
func loadFile(path, rel string) (Capture, [32]byte, string, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return Capture{}, sum, "", err
	}
	defer f.Close()
	r, err := pcaps.NewReader(f, rel)
	if err != nil {
		return Capture{}, sum, "", err
	}
	cp := Capture{Name: rel}
	h := sha256.New()
	var fr pcaps.Frame
	var first time.Time
	for {
		err := r.Next(&fr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Capture{}, sum, "", err
		}
		data, ok := ethernet(fr.LinkType, fr.Data)
		if !ok {
			return Capture{}, sum, fmt.Sprintf("%s: link type %d is not Ethernet or raw IP, skipped", rel, fr.LinkType), nil
		}
		length := fr.Length + len(data) - len(fr.Data)
		if len(cp.Frames) == 0 {
			first = fr.Time
		}
		var n [8]byte
		binary.BigEndian.PutUint32(n[:4], uint32(length))
		binary.BigEndian.PutUint32(n[4:], uint32(len(data)))
		h.Write(n[:])
		h.Write(data)
		cp.Frames = append(cp.Frames, Frame{Offset: fr.Time.Sub(first), Length: length, Data: data})
		cp.Bytes += len(data)
	}
	if len(cp.Frames) == 0 {
		return Capture{}, sum, rel + ": no packets, skipped", nil
	}
	copy(sum[:], h.Sum(nil))
	return cp, sum, "", nil
}

// ethernet returns a copy of a frame of link type lt with Ethernet framing.
func ethernet(lt int, data []byte) ([]byte, bool) {
	switch lt {
	case linkEthernet:
		return append([]byte(nil), data...), true
	case linkRaw, linkIPv4, linkIPv6:
		if len(data) == 0 {
			return nil, false
		}
		et := uint16(0x0800)
		if data[0]>>4 == 6 {
			et = 0x86dd
		}
		// Locally administered MACs: 02:00:00:00:00:01 -> :02.
		out := make([]byte, 14, 14+len(data))
		out[0], out[5], out[6], out[11] = 2, 2, 2, 1
		binary.BigEndian.PutUint16(out[12:], et)
		return append(out, data...), true
	}
	return nil, false
}

// Stats describes a written capture.
type Stats struct {
	Bytes   int64 // file bytes
	Packets int
	Rounds  int
}

// Write writes rounds of c to w until at least size bytes are written
// (whole rounds, at least one), numbering them from firstRound (round 0
// is the corpus unchanged). Captures written as parts of one run take
// firstRound after the previous part's last round, so no two parts hold
// the same flows.
func Write(ctx context.Context, w io.Writer, c *Corpus, size int64, firstRound int) (Stats, error) {
	if c.Bytes() == 0 {
		return Stats{}, errors.New("replay: empty corpus")
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	pw := pcapgo.NewWriter(cw)
	var st Stats
	if err := pw.WriteFileHeader(snaplen, layers.LinkTypeEthernet); err != nil {
		return st, err
	}
	at := Start
	buf := make([]byte, 0, snaplen)
	for st.Rounds == 0 || cw.n < size {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		for _, cp := range c.Captures {
			var last time.Duration
			for _, f := range cp.Frames {
				buf = append(buf[:0], f.Data...)
				rewrite(buf, uint16(firstRound+st.Rounds))
				ci := gopacket.CaptureInfo{Timestamp: at.Add(f.Offset), CaptureLength: len(buf), Length: f.Length}
				if err := pw.WritePacket(ci, buf); err != nil {
					return st, fmt.Errorf("replay: %s: %w", cp.Name, err)
				}
				st.Packets++
				last = max(last, f.Offset)
			}
			at = at.Add(last + Gap)
		}
		st.Rounds++
	}
	err := bw.Flush()
	st.Bytes = cw.n
	return st, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
