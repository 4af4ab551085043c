package pcaps

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Error reports a capture that cannot be read further. Packets before
// Packet were delivered.
type Error struct {
	File   string
	Packet int // 1-based number of the packet that could not be read; 0 = file header
	Err    error
}

func (e *Error) Error() string {
	if e.Packet == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: packet %d: %v", e.File, e.Packet, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotCapture is wrapped by the error for input that is neither pcap nor
// pcapng (nor gzip-compressed either).
var ErrNotCapture = errors.New("not a pcap or pcapng capture")

// frameReader is what pcapgo's two readers have in common (pcapReader
// does the same for classic pcap).
type frameReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// Reader reads frames from a pcap or pcapng capture, gzip-compressed or
// not, detected by magic number. It does not decode them.
type Reader struct {
	name     string
	fr       frameReader
	ng       bool
	linkType int
	num      int
}

// NewReader detects the capture format of r. name is used in errors.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(4)
	if err != nil && len(magic) < 2 {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: file is %d bytes long", ErrNotCapture, len(magic))}
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Error{File: name, Err: fmt.Errorf("gzip: %w", err)}
		}
		br = bufio.NewReaderSize(zr, 1<<16)
		magic, err = br.Peek(4)
		if err != nil {
			return nil, &Error{File: name, Err: fmt.Errorf("%w: gzip content is too short (%v)", ErrNotCapture, err)}
		}
	}
	if len(magic) < 4 {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: file is %d bytes long", ErrNotCapture, len(magic))}
	}
	rd := &Reader{name: name}
	switch {
	case bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}):
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, &Error{File: name, Err: fmt.Errorf("pcapng: %w", err)}
		}
		rd.fr, rd.ng, rd.linkType = ng, true, int(ng.LinkType())
	case isPcapMagic(magic):
		pr, err := newPcapReader(br)
		if err != nil {
			return nil, &Error{File: name, Err: fmt.Errorf("pcap: %w", err)}
		}
		rd.fr, rd.linkType = pr, pr.linkType
	default:
		return nil, &Error{File: name, Err: fmt.Errorf("%w (magic % x)", ErrNotCapture, magic)}
	}
	return rd, nil
}

func isPcapMagic(m []byte) bool {
	le := uint32(m[0]) | uint32(m[1])<<8 | uint32(m[2])<<16 | uint32(m[3])<<24
	be := uint32(m[3]) | uint32(m[2])<<8 | uint32(m[1])<<16 | uint32(m[0])<<24
	for _, v := range [...]uint32{0xa1b2c3d4, 0xa1b23c4d} {
		if le == v || be == v {
			return true
		}
	}
	return false
}

// LinkType is the capture's (first interface's) link type.
func (r *Reader) LinkType() int { return r.linkType }

// Frame is one captured frame. Data is owned by the Reader and valid until
// the next call to Next.
type Frame struct {
	Num      int
	Time     time.Time
	Data     []byte
	Length   int // original length on the wire
	LinkType int
}

// Next returns the next frame, io.EOF at the end, or an *Error naming the
// packet that could not be read.
func (r *Reader) Next(f *Frame) error {
	data, ci, err := r.fr.ZeroCopyReadPacketData()
	if err != nil {
		if err == io.EOF {
			return io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("truncated capture: %w", err)
		}
		return &Error{File: r.name, Packet: r.num + 1, Err: err}
	}
	r.num++
	f.Num = r.num
	f.Time = ci.Timestamp
	f.Data = data
	f.Length = ci.Length
	f.LinkType = r.linkType
	if r.ng && len(ci.AncillaryData) > 0 {
		if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			f.LinkType = int(lt)
		}
	}
	return nil
}

// pcapReader reads classic pcap records in place from one large buffer:
// a frame's data is a slice of it, so a record costs no copy beyond the
// read from the file. pcapgo's Reader (still used for pcapng) puts a
// bufio.Reader of its own over the one NewReader passes in and copies
// every record into its packet buffer: two extra copies of the capture
// and several calls per record, about a tenth of the whole no-rules
// pipeline. Header checks, timestamps and errors are pcapgo's.
type pcapReader struct {
	r        io.Reader
	buf      []byte
	pos, end int // unread data is buf[pos:end]
	err      error
	be       bool
	nsec     uint32 // nanoseconds per timestamp fraction unit
	snaplen  uint32
	maxCap   int
	linkType int
	// borrow, when set, gives the buffers to read into (borrowBuffers).
	borrow func(size int) []byte
}

const (
	pcapReadBuf  = 1 << 20
	pcapEagerMax = 262144 // pcapgo's eagerReadMax: the least snap length allowed
)

func newPcapReader(r io.Reader) (*pcapReader, error) {
	var h [24]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	pr := &pcapReader{r: r}
	switch binary.LittleEndian.Uint32(h[0:4]) {
	case 0xa1b2c3d4:
		pr.nsec = 1000
	case 0xd4c3b2a1:
		pr.be, pr.nsec = true, 1000
	case 0xa1b23c4d:
		pr.nsec = 1
	case 0x4d3cb2a1:
		pr.be, pr.nsec = true, 1
	default:
		return nil, fmt.Errorf("unknown magic %x", binary.LittleEndian.Uint32(h[0:4]))
	}
	if v := pr.u16(h[4:6]); v != 2 {
		return nil, fmt.Errorf("unknown major version %d", v)
	}
	if v := pr.u16(h[6:8]); v != 4 {
		return nil, fmt.Errorf("unknown minor version %d", v)
	}
	pr.snaplen = pr.u32(h[16:20])
	pr.maxCap = max(int(pr.snaplen), pcapEagerMax)
	pr.linkType = int(pr.u32(h[20:24]))
	pr.buf = make([]byte, pcapReadBuf)
	return pr, nil
}

func (pr *pcapReader) u16(b []byte) uint16 {
	if pr.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (pr *pcapReader) u32(b []byte) uint32 {
	if pr.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// fill makes at least n bytes available at buf[pos:], growing buf only as
// far as data actually arrives (a bogus length in a short file allocates
// nothing). At the end of the input it returns io.EOF when nothing is
// left, io.ErrUnexpectedEOF when a record is cut short.
func (pr *pcapReader) fill(n int) error {
	if pr.end-pr.pos >= n {
		return nil
	}
	if pr.pos > 0 && pr.pos+n > len(pr.buf) {
		// The record does not fit after pos. The previous frame is no
		// longer in use: move the partial record to the front, or with
		// borrow to a buffer of the caller's, so frames handed out stay
		// where they are.
		dst := pr.buf
		if pr.borrow != nil {
			dst = pr.borrow(len(pr.buf))
		}
		pr.end = copy(dst, pr.buf[pr.pos:pr.end])
		pr.pos, pr.buf = 0, dst
	}
	for pr.end-pr.pos < n {
		if pr.err != nil {
			if pr.err == io.EOF && pr.end > pr.pos {
				return io.ErrUnexpectedEOF
			}
			return pr.err
		}
		if pr.end == len(pr.buf) {
			// Only with pos 0: a record longer than the buffer.
			size := min(2*len(pr.buf), max(n, pcapReadBuf))
			var nb []byte
			if pr.borrow != nil {
				nb = pr.borrow(size)
			} else {
				nb = make([]byte, size)
			}
			copy(nb, pr.buf[:pr.end])
			pr.buf = nb
		}
		k, err := pr.r.Read(pr.buf[pr.end:])
		pr.end += k
		if err != nil {
			pr.err = err
		}
	}
	return nil
}

// borrowBuffers makes the reader leave the frames it has returned in
// place: when it needs a buffer, it calls next(size) for one of at least
// size bytes and stops using its current one, which is then the caller's
// to reuse once it is done with the frames in it. It returns the buffer
// in use, or nil when the capture is not classic pcap (pcapng frames are
// pcapgo's and valid until the next call only).
func (r *Reader) borrowBuffers(next func(size int) []byte) []byte {
	pr, ok := r.fr.(*pcapReader)
	if !ok {
		return nil
	}
	pr.borrow = next
	return pr.buf
}

// ZeroCopyReadPacketData returns the next record; data is valid until the
// next call.
func (pr *pcapReader) ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	var ci gopacket.CaptureInfo
	if err := pr.fill(16); err != nil {
		return nil, ci, err
	}
	h := pr.buf[pr.pos : pr.pos+16]
	// As pcapgo: the fraction is scaled in 32 bits.
	ci.Timestamp = time.Unix(int64(pr.u32(h[0:4])), int64(pr.u32(h[4:8])*pr.nsec)).UTC()
	caplen, origlen := pr.u32(h[8:12]), pr.u32(h[12:16])
	ci.CaptureLength, ci.Length = int(caplen), int(origlen)
	if int64(caplen) > int64(pr.maxCap) {
		return nil, ci, fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, pr.snaplen)
	}
	if caplen > origlen {
		return nil, ci, fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, origlen)
	}
	if err := pr.fill(16 + int(caplen)); err != nil {
		if err == io.ErrUnexpectedEOF && pr.end-pr.pos == 16 {
			// As pcapgo (io.ReadFull of the data): a capture that ends
			// right after a record header ends there.
			err = io.EOF
		}
		return nil, ci, err
	}
	data := pr.buf[pr.pos+16 : pr.pos+16+int(caplen) : pr.pos+16+int(caplen)]
	pr.pos += 16 + int(caplen)
	return data, ci, nil
}
