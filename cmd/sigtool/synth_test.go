package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// synthReadPcap decodes every packet of a pcap file.
func synthReadPcap(t *testing.T, path string) []gopacket.Packet {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	var out []gopacket.Packet
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		p := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		require.Nil(t, p.ErrorLayer(), "packet %d", len(out)+1)
		out = append(out, p)
	}
	return out
}

func tcpFlags(tcp *layers.TCP) string {
	var s []string
	for _, f := range []struct {
		on   bool
		name string
	}{{tcp.SYN, "S"}, {tcp.FIN, "F"}, {tcp.PSH, "P"}, {tcp.ACK, "A"}} {
		if f.on {
			s = append(s, f.name)
		}
	}
	return strings.Join(s, "")
}

// TestSynth writes a request copied with LF line endings and a response
// whose Content-Length is wrong, reads the pcap back packet by packet, and
// runs the Kryptik rule on it.
func TestSynth(t *testing.T) {
	dir := t.TempDir()
	reqFile := filepath.Join(dir, "request.txt")
	respFile := filepath.Join(dir, "response.txt")
	out := filepath.Join(dir, "checkin.pcap")
	require.NoError(t, os.WriteFile(reqFile, []byte("GET /imagedump/image.php?id=77 HTTP/1.1\nHost: 198.51.100.23:8080\nUser-Agent: WinHttp\n"), 0o644))
	require.NoError(t, os.WriteFile(respFile, []byte("HTTP/1.1 200 OK\nContent-Length: 999\n\nOK"), 0o644))

	code, stdout, stderr := runCmd(t, "", "synth", "--request", reqFile, "--response", respFile, "--server-port", "8080", "-o", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "request.txt: header lines ended in LF only; wrote CRLF (3 line(s))")
	assert.Contains(t, stderr, "request.txt: added the blank line that ends the header block")
	assert.Contains(t, stderr, `response.txt: Content-Length was "999" but the body has 2 bytes; set it to 2`)
	assert.Contains(t, stderr, "wrote "+out+": 10 packets, 192.168.1.105:49160 -> 198.51.100.23:8080; request 1 in packet 4, response in 6")

	pkts := synthReadPcap(t, out)
	require.Len(t, pkts, 10)
	wantReq := "GET /imagedump/image.php?id=77 HTTP/1.1\r\nHost: 198.51.100.23:8080\r\nUser-Agent: WinHttp\r\n\r\n"
	wantResp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
	want := []struct {
		flags    string
		toServer bool
		payload  string
	}{
		{"S", true, ""}, {"SA", false, ""}, {"A", true, ""},
		{"PA", true, wantReq}, {"A", false, ""},
		{"PA", false, wantResp}, {"A", true, ""},
		{"FA", true, ""}, {"FA", false, ""}, {"A", true, ""},
	}
	for i, p := range pkts {
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		assert.Equal(t, want[i].flags, tcpFlags(tcp), "packet %d flags", i+1)
		if want[i].toServer {
			assert.Equal(t, "192.168.1.105", ip.SrcIP.String(), "packet %d", i+1)
			assert.Equal(t, layers.TCPPort(8080), tcp.DstPort, "packet %d", i+1)
		} else {
			assert.Equal(t, "198.51.100.23", ip.SrcIP.String(), "packet %d", i+1)
			assert.Equal(t, layers.TCPPort(8080), tcp.SrcPort, "packet %d", i+1)
		}
		assert.Equal(t, want[i].payload, string(tcp.Payload), "packet %d payload", i+1)
	}

	// End to end: the rule fires on the synthesized check-in, at the odd port.
	code, stdout, stderr = runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", out)
	require.Equal(t, exitOK, code, stderr)
	var ev struct {
		DestPort int `json:"dest_port"`
		Alert    struct {
			SignatureID int `json:"signature_id"`
		} `json:"alert"`
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 1, stdout)
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ev))
	assert.Equal(t, 1000001, ev.Alert.SignatureID)
	assert.Equal(t, 8080, ev.DestPort)
}

func TestSynthIPv6KeepAliveSegments(t *testing.T) {
	dir := t.TempDir()
	var args []string
	for _, path := range []string{"/a", "/b"} {
		f := filepath.Join(dir, "req"+path[1:])
		require.NoError(t, os.WriteFile(f, []byte("GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"), 0o644))
		r := filepath.Join(dir, "resp"+path[1:])
		require.NoError(t, os.WriteFile(r, []byte("HTTP/1.1 204 No Content\r\n\r\n"), 0o644))
		args = append(args, "--request", f, "--response", r)
	}
	out := filepath.Join(dir, "v6.pcapng")
	code, _, stderr := runCmd(t, "", append(append([]string{"synth"}, args...), "--ipv6", "--segment-size", "10", "-o", out)...)
	require.Equal(t, exitOK, code, stderr)
	// Requests are 30 bytes (3 segments), responses 27 (3 segments).
	assert.Contains(t, stderr, "request 1 in packets 4,5,6, response in 8,9,10; request 2 in packets 12,13,14, response in 16,17,18")

	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	require.NoError(t, err)
	n := 0
	var stream bytes.Buffer
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		n++
		p := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		ip6 := p.Layer(layers.LayerTypeIPv6)
		require.NotNil(t, ip6, "packet %d is IPv6", n)
		tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		assert.LessOrEqual(t, len(tcp.Payload), 10)
		if tcp.DstPort == 80 {
			stream.Write(tcp.Payload)
		}
	}
	assert.Equal(t, 3+(3+1+3+1)*2+3, n)
	assert.Equal(t, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", stream.String())
}

func TestSynthErrors(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "req")
	require.NoError(t, os.WriteFile(req, []byte("GET / HTTP/1.1\r\n\r\n"), 0o644))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n\n"), 0o644))
	out := filepath.Join(dir, "o.pcap")
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"-o", out}, "need --request and -o"},
		{[]string{"--request", req}, "need --request and -o"},
		{[]string{"--request", filepath.Join(dir, "missing"), "-o", out}, "missing"},
		{[]string{"--request", empty, "-o", out}, "empty"},
		{[]string{"--request", req, "--response", req, "--response", req, "-o", out}, "2 responses for 1 requests"},
		{[]string{"--request", req, "--server-port", "70000", "-o", out}, "--server-port 70000"},
		{[]string{"--request", req, "--client", "10.0.0.1", "--ipv6", "-o", out}, "different IP versions"},
		{[]string{"--request", req, "--server", "nope", "-o", out}, "--server"},
		{[]string{"--request", req, "-o", filepath.Join(dir, "no", "such", "dir.pcap")}, "no such file"},
		{[]string{"--request", req, "-o", out, "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(t, "", append([]string{"synth"}, tt.args...)...)
		assert.Equal(t, exitUsage, code, "%v", tt.args)
		assert.Contains(t, stderr, tt.msg, "%v", tt.args)
	}
}

func TestSynthStdout(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "req")
	require.NoError(t, os.WriteFile(req, []byte("GET / HTTP/1.1\r\n\r\n"), 0o644))
	code, stdout, stderr := runCmd(t, "", "synth", "--request", req, "--vlan", "42", "--no-handshake", "-o", "-")
	require.Equal(t, exitOK, code, stderr)
	r, err := pcapgo.NewReader(strings.NewReader(stdout))
	require.NoError(t, err)
	data, _, err := r.ReadPacketData()
	require.NoError(t, err)
	p := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
	q := p.Layer(layers.LayerTypeDot1Q)
	require.NotNil(t, q)
	assert.Equal(t, uint16(42), q.(*layers.Dot1Q).VLANIdentifier)
	tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	assert.False(t, tcp.SYN, "no handshake: the first packet carries the request")
	assert.Equal(t, "GET / HTTP/1.1\r\n\r\n", string(tcp.Payload))
}
