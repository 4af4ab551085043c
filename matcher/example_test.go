package matcher_test

import (
	"context"
	"fmt"

	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/sigparse"
)

// Compile a rule and run it over a capture: one alert per matching HTTP
// transaction, with Suricata's EVE fields.
func Example() {
	r, err := sigparse.ParseRule(`alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; classtype:trojan-activity; sid:1000001; rev:1;)`, sigparse.Options{})
	if err != nil {
		panic(err)
	}
	eng, err := matcher.Compile([]*sigparse.Rule{r}, matcher.Config{})
	if err != nil {
		panic(err)
	}
	stats, err := eng.ScanFile(context.Background(), "testdata/cases/segmented-uri/input.pcap", func(a *matcher.Alert) {
		fmt.Printf("sid %d %q %s tx %d url %s\n", a.SID, a.Msg, a.Category, a.TxID, a.HTTP.URL)
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("alerts:", stats.Alerts, "not evaluated:", len(eng.NotEvaluated()))
	// Output:
	// sid 1000001 "ET TROJAN Win32/Kryptik.ABUD Checkin" A Network Trojan was detected tx 0 url /imagedump/image.php?id=42
	// alerts: 1 not evaluated: 0
}
