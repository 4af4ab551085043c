// Package mix generates a deterministic, realistic mixed capture for
// sigtool's throughput benchmarks: many HOME_NET clients talking to many
// public servers over HTTP/1.1 keep-alive (varied methods, URIs, headers and
// bodies), TLS-looking sessions (ClientHello with SNI, then application
// data), other TCP (SSH-like and binary), DNS over UDP and other UDP. Every
// TCP connection has a handshake and a FIN exchange.
//
// The same seed and size give the same bytes. Memory stays bounded whatever
// the size: sessions go through pcapgen in batches that are streamed out.
package mix

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

// Generator makes sessions from one seeded random stream. It holds a pool
// of client and server addresses so hosts recur, as on a real network.
type Generator struct {
	r       *rand.Rand
	clients []netip.Addr
	servers []netip.Addr
	hosts   []string // server names, one per server
	text    []byte   // random text bodies are cut from
	bin     []byte   // random binary bodies are cut from
	flows   int      // sessions made so far
	port    uint16
	opts    Options
}

// Options change how sessions are written; the zero value is the default
// mix. The same seed, size and options give the same bytes.
type Options struct {
	// AckEvery, when positive, makes the receiver of a TCP message
	// acknowledge it every AckEvery segments, as real receivers do (2:
	// delayed ACKs), instead of once when the whole message has arrived.
	// Data then waits less for its ACK, so an IDS inspects it in more,
	// smaller stream chunks and holds less of it.
	AckEvery int
}

// New returns a generator seeded with seed.
func New(seed uint64) *Generator {
	g := &Generator{r: rand.New(rand.NewPCG(seed, seed^0x5bd1e995)), port: 40000}
	for range 2000 {
		// HOME_NET clients: 10/8 and 192.168/16.
		if g.r.IntN(2) == 0 {
			g.clients = append(g.clients, netip.AddrFrom4([4]byte{10, byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))}))
		} else {
			g.clients = append(g.clients, netip.AddrFrom4([4]byte{192, 168, byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))}))
		}
	}
	for range 5000 {
		g.servers = append(g.servers, g.publicAddr())
		g.hosts = append(g.hosts, g.hostname())
	}
	g.text = g.makeText(4 << 20)
	g.bin = make([]byte, 4<<20)
	for i := 0; i < len(g.bin); i += 8 {
		binary.LittleEndian.PutUint64(g.bin[i:], g.r.Uint64())
	}
	return g
}

// publicAddr is a random unicast address outside the private ranges.
func (g *Generator) publicAddr() netip.Addr {
	for {
		a := [4]byte{byte(1 + g.r.IntN(223)), byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))}
		if a[0] == 10 || a[0] == 127 || a[0] == 100 || (a[0] == 172 && a[1]&0xf0 == 16) || (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) {
			continue
		}
		return netip.AddrFrom4(a)
	}
}

var (
	words = strings.Fields(`account admin api app archive article assets auth blog cache cart catalog
		cdn check client config content css data default download edit event feed file
		files forum gallery help home image images img index info item js json latest
		list login logout main media news page photo post products profile public query
		report search service session settings shop static status store style support
		sync system update upload user users video view widget www`)
	tlds       = []string{"com", "net", "org", "io", "de", "co.uk", "info", "ru", "cn", "fr"}
	exts       = []string{"", "", ".html", ".php", ".js", ".css", ".png", ".jpg", ".json", ".aspx", ".gif", ".xml"}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"curl/8.5.0",
		"Wget/1.21.4",
		"python-requests/2.31.0",
		"Microsoft-CryptoAPI/10.0",
		"Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50",
	}
	contentTypes = []string{"text/html; charset=utf-8", "application/json", "application/javascript", "text/css", "image/png", "image/jpeg", "application/octet-stream", "application/xml"}
	servers      = []string{"nginx", "Apache/2.4.58 (Ubuntu)", "Microsoft-IIS/10.0", "cloudflare", "gws", "AmazonS3", "LiteSpeed"}
)

func (g *Generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *Generator) hostname() string {
	n := 1 + g.r.IntN(2)
	parts := make([]string, 0, n+1)
	for range n {
		parts = append(parts, g.pick(words))
	}
	return strings.Join(parts, "-") + fmt.Sprintf("%d.", g.r.IntN(100)) + g.pick(tlds)
}

// makeText is HTML-ish text: tags, words, attributes and script snippets.
func (g *Generator) makeText(n int) []byte {
	var b strings.Builder
	b.Grow(n + 256)
	tags := []string{"div", "p", "span", "a", "li", "td", "script", "h2"}
	for b.Len() < n {
		t := g.pick(tags)
		fmt.Fprintf(&b, "<%s class=\"%s-%s\">", t, g.pick(words), g.pick(words))
		for k := 3 + g.r.IntN(20); k > 0; k-- {
			b.WriteString(g.pick(words))
			b.WriteByte(' ')
		}
		if t == "script" {
			fmt.Fprintf(&b, "var %s = document.getElementById('%s'); %s.value = %d;", g.pick(words), g.pick(words), g.pick(words), g.r.IntN(1e6))
		}
		fmt.Fprintf(&b, "</%s>\n", t)
	}
	return []byte(b.String()[:n])
}

// bodySize draws a heavy-tailed size: mostly small pages, some large
// downloads.
func (g *Generator) bodySize() int {
	switch x := g.r.IntN(100); {
	case x < 55:
		return 200 + g.r.IntN(4000)
	case x < 88:
		return 4000 + g.r.IntN(40000)
	case x < 99:
		return 40000 + g.r.IntN(300000)
	default:
		return 300000 + g.r.IntN(1500000)
	}
}

func (g *Generator) cut(src []byte, n int) []byte {
	n = min(n, len(src))
	off := g.r.IntN(len(src) - n + 1)
	return src[off : off+n]
}

func (g *Generator) uri() string {
	var b strings.Builder
	for k := 1 + g.r.IntN(4); k > 0; k-- {
		b.WriteByte('/')
		b.WriteString(g.pick(words))
	}
	b.WriteString(g.pick(exts))
	if g.r.IntN(3) == 0 {
		fmt.Fprintf(&b, "?%s=%d&%s=%s", g.pick(words), g.r.IntN(100000), g.pick(words), g.pick(words))
	}
	return b.String()
}

func (g *Generator) nextPort() uint16 {
	g.port++
	if g.port < 1024 || g.port > 65000 {
		g.port = 1024
	}
	return g.port
}

// Session adds one session of a random kind to c.
func (g *Generator) Session(c *pcapgen.Capture) error {
	g.flows++
	c.Advance(time.Duration(g.r.IntN(2000)) * time.Microsecond)
	ci := g.r.IntN(len(g.clients))
	si := g.r.IntN(len(g.servers))
	cl, srv := g.clients[ci], g.servers[si]
	switch x := g.r.IntN(100); {
	case x < 55:
		return g.httpSession(c, cl, srv, g.hosts[si])
	case x < 75:
		return g.tlsSession(c, cl, srv, g.hosts[si])
	case x < 80:
		return g.otherTCP(c, cl, srv)
	case x < 97:
		return g.dns(c, cl, g.hosts[si])
	default:
		return c.AddUDP(netip.AddrPortFrom(cl, g.nextPort()), netip.AddrPortFrom(srv, uint16(1024+g.r.IntN(60000))), g.cut(g.bin, 40+g.r.IntN(1200)))
	}
}

func (g *Generator) httpSession(c *pcapgen.Capture, cl, srv netip.Addr, host string) error {
	port := uint16(80)
	if g.r.IntN(10) == 0 {
		port = []uint16{8080, 8000, 3128, 81}[g.r.IntN(4)]
	}
	n := 1 + g.r.IntN(4)
	ex := make([]pcapgen.Exchange, n)
	ua := g.pick(userAgents)
	for i := range ex {
		ex[i] = g.httpExchange(host, ua)
	}
	return g.conversation(c, cl, srv, port, ex)
}

// conversation adds a TCP session from a fresh client port of cl to
// srv:port carrying ex, with random initial sequence numbers.
func (g *Generator) conversation(c *pcapgen.Capture, cl, srv netip.Addr, port uint16, ex []pcapgen.Exchange) error {
	_, err := c.AddConversation(pcapgen.Conversation{
		Client:    netip.AddrPortFrom(cl, g.nextPort()),
		Server:    netip.AddrPortFrom(srv, port),
		Exchanges: ex,
		ClientISN: g.r.Uint32() | 1,
		ServerISN: g.r.Uint32() | 1,
		AckEvery:  g.opts.AckEvery,
	})
	return err
}

func (g *Generator) httpExchange(host, ua string) pcapgen.Exchange {
	var req strings.Builder
	method := "GET"
	var reqBody []byte
	if g.r.IntN(6) == 0 {
		method = "POST"
		if g.r.IntN(2) == 0 {
			reqBody = fmt.Appendf(nil, "%s=%s&%s=%d&token=%x", g.pick(words), g.pick(words), g.pick(words), g.r.IntN(1e6), g.r.Uint64())
		} else {
			reqBody = g.cut(g.bin, 500+g.r.IntN(20000))
		}
	}
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n", method, g.uri(), host, ua)
	if g.r.IntN(2) == 0 {
		fmt.Fprintf(&req, "Cookie: session=%016x; %s=%d\r\n", g.r.Uint64(), g.pick(words), g.r.IntN(1000))
	}
	if g.r.IntN(3) == 0 {
		fmt.Fprintf(&req, "Referer: http://%s%s\r\n", host, g.uri())
	}
	if reqBody != nil {
		fmt.Fprintf(&req, "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", len(reqBody))
	}
	req.WriteString("Connection: keep-alive\r\n\r\n")
	reqBytes := append([]byte(req.String()), reqBody...)

	status := "200 OK"
	switch x := g.r.IntN(100); {
	case x < 5:
		status = "404 Not Found"
	case x < 8:
		status = "302 Found"
	case x < 10:
		status = "304 Not Modified"
	}
	ct := g.pick(contentTypes)
	var body []byte
	if !strings.HasPrefix(status, "304") {
		if strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "javascript") || strings.Contains(ct, "xml") {
			body = g.cut(g.text, g.bodySize())
		} else {
			body = g.cut(g.bin, g.bodySize())
		}
	}
	resp := fmt.Appendf(nil, "HTTP/1.1 %s\r\nDate: Tue, 02 Apr 2024 10:%02d:%02d GMT\r\nServer: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nCache-Control: max-age=%d\r\nConnection: keep-alive\r\n\r\n",
		status, g.r.IntN(60), g.r.IntN(60), g.pick(servers), ct, len(body), g.r.IntN(86400))
	resp = append(resp, body...)
	return pcapgen.Exchange{Request: reqBytes, Response: resp}
}

// tlsRecord wraps payload in a TLS 1.2 record header of type typ.
func tlsRecord(typ byte, payload []byte) []byte {
	out := []byte{typ, 3, 3, byte(len(payload) >> 8), byte(len(payload))}
	return append(out, payload...)
}

// clientHello is a minimal but well-formed TLS ClientHello with an SNI.
func (g *Generator) clientHello(host string) []byte {
	var body []byte
	body = append(body, 3, 3)
	body = append(body, g.cut(g.bin, 32)...) // random
	body = append(body, 32)
	body = append(body, g.cut(g.bin, 32)...) // session id
	suites := []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8}
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(suites)))
	for _, s := range suites {
		body = binary.BigEndian.AppendUint16(body, s)
	}
	body = append(body, 1, 0) // compression: null
	// server_name extension.
	sni := []byte{0}
	sni = binary.BigEndian.AppendUint16(sni, uint16(len(host)))
	sni = append(sni, host...)
	list := binary.BigEndian.AppendUint16(nil, uint16(len(sni)))
	list = append(list, sni...)
	ext := binary.BigEndian.AppendUint16(nil, 0)
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(list)))
	ext = append(ext, list...)
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)
	hs := []byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	return tlsRecord(22, append(hs, body...))
}

func (g *Generator) tlsSession(c *pcapgen.Capture, cl, srv netip.Addr, host string) error {
	hello := g.clientHello(host)
	shello := tlsRecord(22, append([]byte{2, 0, 0, 70, 3, 3}, g.cut(g.bin, 66)...))
	cert := tlsRecord(22, g.cut(g.bin, 1500+g.r.IntN(3000)))
	ex := []pcapgen.Exchange{{Request: hello, Response: append(shello, cert...)}}
	for k := 1 + g.r.IntN(4); k > 0; k-- {
		var resp []byte
		for left := g.bodySize(); left > 0; {
			n := min(left, 16384)
			resp = append(resp, tlsRecord(23, g.cut(g.bin, n))...)
			left -= n
		}
		ex = append(ex, pcapgen.Exchange{Request: tlsRecord(23, g.cut(g.bin, 100+g.r.IntN(900))), Response: resp})
	}
	return g.conversation(c, cl, srv, 443, ex)
}

func (g *Generator) otherTCP(c *pcapgen.Capture, cl, srv netip.Addr) error {
	var ex []pcapgen.Exchange
	port := uint16(22)
	if g.r.IntN(2) == 0 {
		ex = append(ex, pcapgen.Exchange{Request: []byte("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"), Response: []byte("SSH-2.0-OpenSSH_8.9p1\r\n")})
	} else {
		port = uint16(1024 + g.r.IntN(60000))
	}
	for k := 1 + g.r.IntN(6); k > 0; k-- {
		ex = append(ex, pcapgen.Exchange{Request: g.cut(g.bin, 50+g.r.IntN(2000)), Response: g.cut(g.bin, 50+g.r.IntN(20000))})
	}
	return g.conversation(c, cl, srv, port, ex)
}

// dns adds a query for name and its answer (one A record).
func (g *Generator) dns(c *pcapgen.Capture, cl netip.Addr, name string) error {
	resolver := netip.AddrFrom4([4]byte{192, 168, 0, 53})
	id := uint16(g.r.Uint32())
	typ := uint16(1)
	if g.r.IntN(4) == 0 {
		typ = 28
	}
	q := binary.BigEndian.AppendUint16(nil, id)
	q = append(q, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0)
	for _, l := range strings.Split(name, ".") {
		q = append(q, byte(len(l)))
		q = append(q, l...)
	}
	q = append(q, 0)
	q = binary.BigEndian.AppendUint16(q, typ)
	q = binary.BigEndian.AppendUint16(q, 1)
	sport := g.nextPort()
	if err := c.AddUDP(netip.AddrPortFrom(cl, sport), netip.AddrPortFrom(resolver, 53), q); err != nil {
		return err
	}
	a := append([]byte(nil), q...)
	a[2], a[3] = 0x81, 0x80
	a[7] = 1 // one answer
	a = append(a, 0xc0, 12)
	a = binary.BigEndian.AppendUint16(a, typ)
	a = binary.BigEndian.AppendUint16(a, 1)
	a = binary.BigEndian.AppendUint32(a, uint32(60+g.r.IntN(3600)))
	if typ == 1 {
		a = binary.BigEndian.AppendUint16(a, 4)
		a = append(a, g.cut(g.bin, 4)...)
	} else {
		a = binary.BigEndian.AppendUint16(a, 16)
		a = append(a, g.cut(g.bin, 16)...)
	}
	c.Advance(time.Duration(1+g.r.IntN(30)) * time.Millisecond)
	return c.AddUDP(netip.AddrPortFrom(resolver, 53), netip.AddrPortFrom(cl, sport), a)
}
