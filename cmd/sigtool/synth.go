package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

const synthDescription = `
Synth writes a pcap of a complete TCP conversation (three-way handshake,
request, response, FIN) from an HTTP exchange copied out of a log, a proxy
or a stream dump, so that a rule can be tested on a true-positive capture.

Each --request file holds one HTTP request as it went on the wire; the
--response files (optional) the matching responses, in the same order.
Several requests go on one keep-alive connection. Copied text is repaired
where it is obviously wrong, and each repair is reported on stderr: header
lines ending in LF only get CRLF, a missing blank line after the headers is
added, and a Content-Length that disagrees with the body is corrected.

The client is in $HOME_NET and the server outside it by default, as for a
check-in to a command-and-control server. With --ipv6 both are in
2001:db8::/32, which Suricata's default $HOME_NET does not include.
The output is pcapng when the name ends in .pcapng; "-o -" writes a pcap
to standard output.`

func cmdSynth(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "synth", "--request FILE [--response FILE] [flags] -o out.pcap", synthDescription)
	var reqFiles, respFiles multiFlag
	fs.Var(&reqFiles, "request", "file holding an HTTP request (repeatable: one connection, keep-alive)")
	fs.Var(&respFiles, "response", "file holding the HTTP response to the request of the same position (repeatable)")
	serverPort := fs.Int("server-port", 80, "server TCP port")
	ipv6 := fs.Bool("ipv6", false, "use IPv6 addresses")
	client := fs.String("client", "", "client address (default 192.168.1.105, or 2001:db8::105 with --ipv6)")
	server := fs.String("server", "", "server address (default 198.51.100.23, or 2001:db8:bad::23 with --ipv6)")
	segSize := fs.Int("segment-size", 0, "most payload bytes per TCP segment (default 1460)")
	vlan := fs.Int("vlan", 0, "802.1Q VLAN id for every frame (0: none)")
	noHandshake := fs.Bool("no-handshake", false, "leave out the three-way handshake (a midstream capture)")
	outFile := fs.String("o", "", "output file (.pcap or .pcapng; - for stdout)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(env, "synth", exitUsage, "unexpected argument %q (requests are given with --request)", fs.Arg(0))
	}
	if len(reqFiles) == 0 || *outFile == "" {
		fs.Usage()
		return errorf(env, "synth", exitUsage, "need --request and -o")
	}
	if len(respFiles) > len(reqFiles) {
		return errorf(env, "synth", exitUsage, "%d responses for %d requests", len(respFiles), len(reqFiles))
	}
	if *serverPort <= 0 || *serverPort > 65535 {
		return errorf(env, "synth", exitUsage, "--server-port %d: want 1-65535", *serverPort)
	}
	if *segSize < 0 || *segSize > 65000 {
		return errorf(env, "synth", exitUsage, "--segment-size %d: want 1-65000", *segSize)
	}
	if *vlan < 0 || *vlan > 4094 {
		return errorf(env, "synth", exitUsage, "--vlan %d: want 1-4094", *vlan)
	}

	cAddr, sAddr := "192.168.1.105", "198.51.100.23"
	if *ipv6 {
		cAddr, sAddr = "2001:db8::105", "2001:db8:bad::23"
	}
	if *client != "" {
		cAddr = *client
	}
	if *server != "" {
		sAddr = *server
	}
	ca, err := netip.ParseAddr(cAddr)
	if err != nil {
		return errorf(env, "synth", exitUsage, "--client: %v", err)
	}
	sa, err := netip.ParseAddr(sAddr)
	if err != nil {
		return errorf(env, "synth", exitUsage, "--server: %v", err)
	}
	if ca.Is4() != sa.Is4() {
		return errorf(env, "synth", exitUsage, "client %v and server %v are of different IP versions", ca, sa)
	}

	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return nil, fmt.Errorf("%s: empty", name)
		}
		fixed, notes := pcapgen.NormalizeHTTP(b)
		for _, n := range notes {
			fmt.Fprintf(env.Stderr, "sigtool synth: %s: %s\n", name, n)
		}
		return fixed, nil
	}
	var exchanges []pcapgen.Exchange
	for i, rf := range reqFiles {
		req, err := read(rf)
		if err != nil {
			return errorf(env, "synth", exitUsage, "%v", err)
		}
		if strings.HasPrefix(string(req), "HTTP/") {
			fmt.Fprintf(env.Stderr, "sigtool synth: %s: warning: this looks like a response, not a request\n", rf)
		}
		ex := pcapgen.Exchange{Request: req}
		if i < len(respFiles) {
			if ex.Response, err = read(respFiles[i]); err != nil {
				return errorf(env, "synth", exitUsage, "%v", err)
			}
		}
		exchanges = append(exchanges, ex)
	}

	opts := pcapgen.Options{}
	if *vlan > 0 {
		opts.VLANs = []uint16{uint16(*vlan)}
	}
	c, err := pcapgen.New(opts)
	if err != nil {
		return errorf(env, "synth", exitUsage, "%v", err)
	}
	conn, err := c.AddConversation(pcapgen.Conversation{
		Client:      netip.AddrPortFrom(ca, 49160),
		Server:      netip.AddrPortFrom(sa, uint16(*serverPort)),
		Exchanges:   exchanges,
		SegmentSize: *segSize,
		NoHandshake: *noHandshake,
	})
	if err != nil {
		return errorf(env, "synth", exitUsage, "%v", err)
	}
	if *outFile == "-" {
		err = c.WritePcap(env.Stdout)
	} else {
		err = c.WriteFile(*outFile)
	}
	if err != nil {
		return errorf(env, "synth", exitUsage, "%v", err)
	}
	var where []string
	for i := range exchanges {
		s := fmt.Sprintf("request %d in packet%s %s", i+1, synthPluralS(len(conn.Requests[i])), synthJoinInts(conn.Requests[i]))
		if len(conn.Responses[i]) > 0 {
			s += fmt.Sprintf(", response in %s", synthJoinInts(conn.Responses[i]))
		}
		where = append(where, s)
	}
	name := *outFile
	if name == "-" {
		name = "stdout"
	}
	fmt.Fprintf(env.Stderr, "sigtool synth: wrote %s: %d packets, %s -> %s; %s\n",
		name, c.Len(), netip.AddrPortFrom(ca, 49160), netip.AddrPortFrom(sa, uint16(*serverPort)), strings.Join(where, "; "))
	return exitOK
}

func synthPluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func synthJoinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}
