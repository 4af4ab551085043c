package pcaps

import (
	"bufio"
	"bytes"
	"compress/gzip"
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

// frameReader is what pcapgo's two readers have in common.
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
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, &Error{File: name, Err: fmt.Errorf("pcap: %w", err)}
		}
		rd.fr, rd.linkType = pr, int(pr.LinkType())
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
