package matcher

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sigtool/sigtool/pcaps"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/sigtool/sigtool/sigparse"
)

// TestTxInspectedOnceComplete: once a transaction was inspected in a
// direction with that direction complete, Suricata 7 does not inspect it
// there again (DetectRunTx sets APP_LAYER_TX_INSPECTED_TS/TC), so a rule
// that failed on a flowbit is not retried when a later transaction's
// response sets it, and finished transactions are dropped on a long
// keep-alive connection even when such a rule never matches.
func TestTxInspectedOnceComplete(t *testing.T) {
	rules := `alert http any any -> any any (msg:"set on the third response"; flow:to_client; http.stat_code; content:"201"; flowbits:set,late; flowbits:noalert; sid:1;)
alert http any any -> any any (msg:"request after the bit"; flow:to_server; flowbits:isset,late; http.uri; content:"/r"; sid:2;)
alert http any any -> any any (msg:"never set"; flow:to_server; flowbits:isset,never; http.uri; content:"/r"; sid:3;)
`
	f, errs := sigparse.ParseFile("t.rules", []byte(rules), sigparse.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, err := Compile(f.Rules, Config{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := pcapgen.New(pcapgen.Options{Start: time.Unix(1700000000, 0), Step: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var ex []pcapgen.Exchange
	for i := range 6 {
		status := "200 OK"
		if i == 2 {
			status = "201 Created"
		}
		ex = append(ex, pcapgen.Exchange{
			Request:  []byte(fmt.Sprintf("GET /r%d HTTP/1.1\r\nHost: a.example\r\n\r\n", i)),
			Response: []byte("HTTP/1.1 " + status + "\r\nContent-Length: 2\r\n\r\nok"),
		})
	}
	if _, err := c.AddConversation(pcapgen.Conversation{Client: netip.MustParseAddrPort("192.168.1.20:49200"),
		Server: netip.MustParseAddrPort("198.51.100.7:80"), Exchanges: ex}); err != nil {
		t.Fatal(err)
	}
	var got []int
	if _, err := e.Scan(context.Background(), bytes.NewReader(c.Bytes()), "t.pcap", func(a *Alert) {
		if a.SID == 2 {
			got = append(got, a.TxID)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if want := []int{3, 4, 5}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sid 2 alerted on transactions %v, want %v", got, want)
	}

	// Memory: sid 3 never matches (its bit is never set), yet the flow
	// keeps no transaction both of whose directions were inspected
	// complete.
	sc := newScanner(e, nil)
	sc.ctx = context.Background()
	most := 0
	if _, err := pcaps.Process(context.Background(), bytes.NewReader(c.Bytes()), "t.pcap", pcaps.Config{}, pcaps.HandlerFunc(func(p *pcaps.Packet) {
		sc.HandlePacket(p)
		if p.Flow != nil {
			if fs, ok := p.Flow.UserData.(*flowState); ok {
				most = max(most, len(fs.txs))
			}
		}
	})); err != nil {
		t.Fatal(err)
	}
	if most > 2 {
		t.Errorf("the flow held up to %d transactions, want at most 2", most)
	}
}
