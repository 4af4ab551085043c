package http1_test

import (
	"fmt"

	"github.com/sigtool/sigtool/pcaps/http1"
)

func Example() {
	c := http1.NewConn(http1.Config{})
	c.Request([]byte("GET /imagedump/../image.php?id=%41 HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: x\r\n\r\n"))
	c.Response([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	for _, tx := range c.Updated() {
		for _, q := range []struct {
			name     string
			toServer bool
		}{
			{"http.uri", true}, {"http_raw_uri", true}, {"http.host", true},
			{"http.header", true}, {"http.stat_code", false}, {"file.data", false},
		} {
			b, _ := http1.LookupBuffer(q.name)
			v, ok := tx.Buffer(b, q.toServer)
			fmt.Printf("%s %v %q\n", b, ok, v)
		}
	}
	// Output:
	// http.uri true "/image.php?id=A"
	// http.uri.raw true "/imagedump/../image.php?id=%41"
	// http.host true "example.com"
	// http.header true "Host: Example.COM:8080\r\nUser-Agent: x\r\n"
	// http.stat_code true "200"
	// file.data true "ok"
}

func ExampleProbe() {
	fmt.Println(http1.Probe([]byte("GET / HTTP/1.1\r\n"), true) == http1.IsHTTP)
	fmt.Println(http1.Probe([]byte("GE"), true) == http1.NeedMore)
	fmt.Println(http1.Probe([]byte("SSH-2.0"), true) == http1.NotHTTP)
	// Output:
	// true
	// true
	// true
}
