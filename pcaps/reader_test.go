package pcaps

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/stretchr/testify/require"
)

// readAll lists what a frame reader returns, record by record, up to its
// first error.
func readAll(fr frameReader) []string {
	var out []string
	for {
		data, ci, err := fr.ZeroCopyReadPacketData()
		if err != nil {
			return append(out, "error: "+err.Error())
		}
		out = append(out, fmt.Sprintf("%v %d %d %x", ci.Timestamp, ci.CaptureLength, ci.Length, data))
	}
}

// TestPcapReaderMatchesPcapgo: the in-place classic pcap reader returns
// the records, timestamps and errors pcapgo's Reader does, on a real
// capture, both byte orders and timestamp resolutions, every truncation
// of it, and random corruptions of its record headers (lengths above the
// snap length or the original length, huge lengths in a short file).
func TestPcapReaderMatchesPcapgo(t *testing.T) {
	data, _ := conversation(t, pcapgen.Options{}, pcapgen.Conversation{})
	bigSnap := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(bigSnap[16:], 0x7fffffff) // lengths up to 2 GiB pass the snap length check
	variants := map[string][]byte{"le-usec": data, "be-usec": swapPcap(data, false), "be-nsec": swapPcap(data, true), "big-snaplen": bigSnap}
	rng := rand.New(rand.NewPCG(3, 4))
	for name, d := range variants {
		badVersion := append([]byte(nil), d...)
		badVersion[4] ^= 0x10
		cases := [][]byte{d, badVersion}
		for n := 0; n < len(d); n += 7 {
			cases = append(cases, d[:n])
		}
		for range 100 {
			c := append([]byte(nil), d...)
			// A record header field (caplen or origlen of some record
			// near the start) gets a random value.
			off := 24 + 8 + 4*rng.IntN(2) + 16*rng.IntN(4)
			binary.LittleEndian.PutUint32(c[off:], rng.Uint32()>>rng.IntN(32))
			cases = append(cases, c)
		}
		for i, c := range cases {
			want := []string{"error: header"}
			if ref, err := pcapgo.NewReader(bytes.NewReader(c)); err == nil {
				want = readAll(ref)
			} else if len(c) >= 24 {
				// pcapgo capitalizes its header errors.
				want = []string{"error: " + strings.ToLower(err.Error())}
			}
			got := []string{"error: header"}
			if pr, err := newPcapReader(bufio.NewReader(bytes.NewReader(c))); err == nil {
				got = readAll(pr)
			} else if len(c) >= 24 {
				got = []string{"error: " + err.Error()}
			}
			require.Equal(t, want, got, "%s case %d (%d bytes)", name, i, len(c))
		}
	}
}

// swapPcap rewrites a little-endian microsecond pcap as big-endian, with
// nanosecond timestamps if nsec is set.
func swapPcap(le []byte, nsec bool) []byte {
	b := append([]byte(nil), le...)
	magic := uint32(0xa1b2c3d4)
	if nsec {
		magic = 0xa1b23c4d
	}
	binary.BigEndian.PutUint32(b[0:], magic)
	binary.BigEndian.PutUint16(b[4:], binary.LittleEndian.Uint16(le[4:]))
	binary.BigEndian.PutUint16(b[6:], binary.LittleEndian.Uint16(le[6:]))
	for _, o := range []int{8, 12, 16, 20} {
		binary.BigEndian.PutUint32(b[o:], binary.LittleEndian.Uint32(le[o:]))
	}
	for p := 24; p+16 <= len(b); {
		for _, o := range []int{0, 4, 8, 12} {
			binary.BigEndian.PutUint32(b[p+o:], binary.LittleEndian.Uint32(le[p+o:]))
		}
		if nsec {
			binary.BigEndian.PutUint32(b[p+4:], binary.LittleEndian.Uint32(le[p+4:])*1000)
		}
		p += 16 + int(binary.LittleEndian.Uint32(le[p+8:]))
	}
	return b
}
