package pcapgen_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

// A true-positive capture of one HTTP check-in, with the request cut into
// 16-byte segments, written to a pcap file.
func Example() {
	c, err := pcapgen.New(pcapgen.Options{})
	if err != nil {
		panic(err)
	}
	conn, err := c.AddConversation(pcapgen.Conversation{
		Client:      netip.MustParseAddrPort("192.168.1.20:49200"),
		Server:      netip.MustParseAddrPort("198.51.100.7:80"),
		SegmentSize: 16,
		Exchanges: []pcapgen.Exchange{{
			Request:  []byte("GET /imagedump/image.php?id=42 HTTP/1.1\r\nHost: cdn.example\r\n\r\n"),
			Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		}},
	})
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "pcapgen")
	defer os.RemoveAll(dir)
	if err := c.WriteFile(filepath.Join(dir, "checkin.pcap")); err != nil {
		panic(err)
	}
	fmt.Println("packets:", c.Len())
	fmt.Println("request in packets:", conn.Requests[0])
	fmt.Println("response in packets:", conn.Responses[0])
	// Output:
	// packets: 15
	// request in packets: [4 5 6 7]
	// response in packets: [9 10 11]
}

// Segments written one by one, for what AddConversation does not do: here
// the second segment overlaps the first with different bytes, the case
// where Suricata's reassembly policy decides which bytes a rule sees.
func ExampleCapture_AddTCP() {
	c, err := pcapgen.New(pcapgen.Options{Link: pcapgen.LinuxSLL})
	if err != nil {
		panic(err)
	}
	cl := netip.MustParseAddrPort("10.0.0.1:40000")
	sv := netip.MustParseAddrPort("10.0.0.2:80")
	for _, s := range []pcapgen.TCPSegment{
		{Src: cl, Dst: sv, Seq: 100, SYN: true},
		{Src: sv, Dst: cl, Seq: 500, Ack: 101, SYN: true, ACK: true},
		{Src: cl, Dst: sv, Seq: 101, Ack: 501, ACK: true},
		{Src: cl, Dst: sv, Seq: 101, Ack: 501, ACK: true, Payload: []byte("GET /aaaa")},
		{Src: cl, Dst: sv, Seq: 106, Ack: 501, ACK: true, PSH: true, Payload: []byte("bbbb HTTP/1.0\r\n\r\n")},
	} {
		if err := c.AddTCP(s); err != nil {
			panic(err)
		}
	}
	fmt.Println(c.Len(), "packets,", c.Link(), "framing")
	// Output: 5 packets, LINUX_SLL framing
}
