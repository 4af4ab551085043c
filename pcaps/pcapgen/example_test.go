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
