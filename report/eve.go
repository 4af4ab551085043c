package report

import (
	"encoding/base64"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/sigparse"
)

// TimeFormat is the layout of EVE "timestamp" fields: microseconds and a
// numeric zone without a colon, as Suricata writes them.
const TimeFormat = "2006-01-02T15:04:05.000000-0700"

// FastTimeFormat is the layout of the timestamp that starts a fast.log line.
const FastTimeFormat = "01/02/2006-15:04:05.000000"

// WriteEVE writes a as one line of Suricata EVE JSON. Times are written in
// UTC, as Suricata does when run with TZ=UTC (suricata-verify's setting).
func WriteEVE(w io.Writer, a *matcher.Alert) error {
	_, err := w.Write(AppendEVE(nil, a))
	return err
}

// AppendEVE appends a's EVE JSON record and a newline to dst.
//
// Field order follows Suricata 7's CreateEveHeader and alert logger:
// timestamp, flow_id, pcap_cnt, event_type, vlan, the tuple (ports for TCP,
// UDP and SCTP only), ip_v, proto, icmp_type and icmp_code (ICMP only),
// pkt_src, [ether], tx_id (transaction alerts only), alert, http (alerts on
// HTTP flows), app_proto, flow (pkts_toserver, pkts_toclient,
// bytes_toserver, bytes_toclient, start: the counters as of the alerting
// packet), [packet, packet_info]; the bracketed fields are EVEOptions'.
// Empty optional fields are left out, as Suricata leaves them out. IPv6
// addresses are written in full.
func AppendEVE(dst []byte, a *matcher.Alert) []byte {
	return appendEVE(dst, a, nil)
}

// RuleID names a rule by generator and signature id.
type RuleID struct{ GID, SID int }

// EVEOptions adds to EVE records what a matcher.Alert does not carry but
// Suricata writes: the alerting rule's metadata (alert.metadata, on by
// default in Suricata's eve-log alert output). The zero value adds nothing.
type EVEOptions struct {
	// Metadata maps a rule to its metadata entries in source order.
	Metadata map[RuleID][]sigparse.MetaEntry
	// Ethernet adds the ether object (src_mac, dest_mac of an Ethernet
	// frame): eve-log's "ethernet: yes", off in Suricata's default
	// configuration and on in suricata-verify's.
	Ethernet bool
	// Packet adds the frame in base64 and packet_info (linktype and
	// Suricata 8's linktype_name): the
	// alert output's "packet: yes", likewise off by default.
	Packet bool
}

// NewEVEOptions collects the metadata of rules for EVE records.
func NewEVEOptions(rules []*sigparse.Rule) *EVEOptions {
	o := &EVEOptions{Metadata: map[RuleID][]sigparse.MetaEntry{}}
	for _, r := range rules {
		if md := r.Metadata(); len(md) > 0 {
			o.Metadata[RuleID{r.GID(), r.SID()}] = md
		}
	}
	return o
}

// Append appends a's EVE record, with the rule details o knows, to dst.
func (o *EVEOptions) Append(dst []byte, a *matcher.Alert) []byte {
	if o == nil {
		return appendEVE(dst, a, nil)
	}
	return o.appendEVE(dst, a, o.Metadata[RuleID{max(a.GID, 1), a.SID}])
}

func appendEVE(dst []byte, a *matcher.Alert, md []sigparse.MetaEntry) []byte {
	var o *EVEOptions
	return o.appendEVE(dst, a, md)
}

// appendEVE writes the record; o may be nil (no optional fields).
func (o *EVEOptions) appendEVE(dst []byte, a *matcher.Alert, md []sigparse.MetaEntry) []byte {
	b := dst
	b = append(b, `{"timestamp":`...)
	b = appendString(b, a.Time.UTC().Format(TimeFormat))
	if a.FlowID != 0 {
		b = append(b, `,"flow_id":`...)
		b = strconv.AppendUint(b, a.FlowID, 10)
	}
	if a.PcapCnt > 0 {
		b = append(b, `,"pcap_cnt":`...)
		b = strconv.AppendInt(b, int64(a.PcapCnt), 10)
	}
	b = append(b, `,"event_type":"alert"`...)
	if len(a.VLAN) > 0 {
		// Suricata writes at most three VLAN layers.
		b = append(b, `,"vlan":[`...)
		for i, id := range a.VLAN[:min(len(a.VLAN), 3)] {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(id), 10)
		}
		b = append(b, ']')
	}
	if a.SrcIP.IsValid() {
		b = append(b, `,"src_ip":`...)
		b = appendString(b, ipString(a.SrcIP))
	}
	if hasPorts(a.Proto) {
		b = append(b, `,"src_port":`...)
		b = strconv.AppendUint(b, uint64(a.SrcPort), 10)
	}
	if a.DstIP.IsValid() {
		b = append(b, `,"dest_ip":`...)
		b = appendString(b, ipString(a.DstIP))
	}
	if hasPorts(a.Proto) {
		b = append(b, `,"dest_port":`...)
		b = strconv.AppendUint(b, uint64(a.DstPort), 10)
	}
	if a.SrcIP.IsValid() {
		// ip_v is Suricata 8's; Suricata 7 readers ignore it, and
		// suricata-verify checks written for 8 filter on it.
		b = append(b, `,"ip_v":`...)
		if a.SrcIP.Unmap().Is4() {
			b = append(b, '4')
		} else {
			b = append(b, '6')
		}
	}
	b = append(b, `,"proto":`...)
	b = appendString(b, a.Proto)
	if isICMP(a.Proto) {
		b = append(b, `,"icmp_type":`...)
		b = strconv.AppendUint(b, uint64(a.ICMPType), 10)
		b = append(b, `,"icmp_code":`...)
		b = strconv.AppendUint(b, uint64(a.ICMPCode), 10)
	}
	b = append(b, `,"pkt_src":"wire/pcap"`...)
	if o != nil && o.Ethernet && a.LinkType == 1 && len(a.Frame) >= 14 {
		// As the packet carries them (Suricata's LOG_DIR_PACKET).
		b = append(b, `,"ether":{"src_mac":`...)
		b = appendMAC(b, a.Frame[6:12])
		b = append(b, `,"dest_mac":`...)
		b = appendMAC(b, a.Frame[0:6])
		b = append(b, '}')
	}
	// Only transaction alerts have a tx_id (Suricata's
	// PACKET_ALERT_FLAG_TX); packet and stream alerts on an HTTP flow
	// still get the http object below.
	if a.TxID >= 0 {
		b = append(b, `,"tx_id":`...)
		b = strconv.AppendInt(b, int64(a.TxID), 10)
	}
	b = append(b, `,"alert":{"action":`...)
	action := a.Action
	if action == "" {
		action = "allowed"
	}
	b = appendString(b, action)
	b = append(b, `,"gid":`...)
	b = strconv.AppendInt(b, int64(max(a.GID, 1)), 10)
	b = append(b, `,"signature_id":`...)
	b = strconv.AppendInt(b, int64(a.SID), 10)
	b = append(b, `,"rev":`...)
	b = strconv.AppendInt(b, int64(a.Rev), 10)
	b = append(b, `,"signature":`...)
	b = appendString(b, a.Msg)
	// Suricata writes the category even when the rule has no classtype.
	b = append(b, `,"category":`...)
	b = appendString(b, a.Category)
	b = append(b, `,"severity":`...)
	b = strconv.AppendInt(b, int64(severity(a)), 10)
	if len(md) > 0 {
		b = appendMetadata(b, md)
	}
	b = append(b, '}')
	if h := a.HTTP; h != nil {
		b = append(b, `,"http":{`...)
		first := true
		field := func(name string) {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, name)
			b = append(b, ':')
		}
		str := func(name, v string) {
			if v != "" {
				field(name)
				b = appendString(b, v)
			}
		}
		str("hostname", h.Hostname)
		str("url", h.URL)
		str("http_user_agent", h.UserAgent)
		str("http_content_type", contentType(h.ContentType))
		str("http_refer", h.Referer)
		str("http_method", h.Method)
		str("protocol", h.Protocol)
		if h.Status > 0 {
			field("status")
			b = strconv.AppendInt(b, int64(h.Status), 10)
		}
		field("length")
		b = strconv.AppendInt(b, int64(h.Length), 10)
		b = append(b, '}')
	}
	if a.AppProto != "" {
		b = append(b, `,"app_proto":`...)
		b = appendString(b, a.AppProto)
	}
	if f := a.Flow; f != nil {
		b = append(b, `,"flow":{"pkts_toserver":`...)
		b = strconv.AppendInt(b, int64(f.PktsToServer), 10)
		b = append(b, `,"pkts_toclient":`...)
		b = strconv.AppendInt(b, int64(f.PktsToClient), 10)
		b = append(b, `,"bytes_toserver":`...)
		b = strconv.AppendInt(b, int64(f.BytesToServer), 10)
		b = append(b, `,"bytes_toclient":`...)
		b = strconv.AppendInt(b, int64(f.BytesToClient), 10)
		b = append(b, `,"start":`...)
		b = appendString(b, f.Start.UTC().Format(TimeFormat))
		b = append(b, '}')
	}
	if o != nil && o.Packet && a.Frame != nil {
		b = append(b, `,"packet":"`...)
		b = base64.StdEncoding.AppendEncode(b, a.Frame)
		b = append(b, `","packet_info":{"linktype":`...)
		b = strconv.AppendInt(b, int64(a.LinkType), 10)
		if n := linkTypeName(a.LinkType); n != "" {
			// Suricata 8's addition, like ip_v above.
			b = append(b, `,"linktype_name":`...)
			b = appendString(b, n)
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// linkTypeName is the libpcap name of the link types pcaps decodes.
func linkTypeName(lt int) string {
	switch lt {
	case 0:
		return "NULL"
	case 1:
		return "EN10MB"
	case 101:
		return "RAW"
	case 113:
		return "LINUX_SLL"
	case 276:
		return "LINUX_SLL2"
	}
	return ""
}

// appendMAC appends a MAC address as a JSON string, lower-case hex
// separated by colons.
func appendMAC(b []byte, mac []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i, c := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	return append(b, '"')
}

// contentType is the Content-Type value up to its first ';' (the media
// type without parameters), as Suricata's http_content_type.
func contentType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		return v[:i]
	}
	return v
}

func isICMP(proto string) bool {
	return proto == "ICMP" || proto == "IPv6-ICMP"
}

// icmpCounterpart is the ICMP type answering (or answered by) a message
// of type t, or -1 (Suricata's ICMPv4GetCounterpart and
// ICMPv6GetCounterpart).
func icmpCounterpart(proto string, t uint8) int {
	var pairs [][2]uint8
	if proto == "ICMP" {
		// echo, timestamp, information and address mask request/reply
		pairs = [][2]uint8{{8, 0}, {13, 14}, {15, 16}, {17, 18}}
	} else {
		// echo and node information query/reply
		pairs = [][2]uint8{{128, 129}, {139, 140}}
	}
	for _, pr := range pairs {
		switch t {
		case pr[0]:
			return int(pr[1])
		case pr[1]:
			return int(pr[0])
		}
	}
	return -1
}

// appendMetadata writes rule metadata as Suricata does: an object whose
// keys, in order of first appearance, map to the list of their values.
func appendMetadata(b []byte, md []sigparse.MetaEntry) []byte {
	var keys []string
	vals := map[string][]string{}
	for _, e := range md {
		if e.Key == "" {
			continue
		}
		if _, ok := vals[e.Key]; !ok {
			keys = append(keys, e.Key)
		}
		vals[e.Key] = append(vals[e.Key], e.Value)
	}
	if len(keys) == 0 {
		return b
	}
	b = append(b, `,"metadata":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, `:[`...)
		for j, v := range vals[k] {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// ipString formats an address as Suricata does: IPv4 dotted, IPv6 in full
// (eight groups of four hex digits, no "::").
func ipString(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		return a.StringExpanded()
	}
	return a.String()
}

// severity is the rule's priority; Suricata's default is 3.
func severity(a *matcher.Alert) int {
	if a.Severity > 0 {
		return a.Severity
	}
	return 3
}

func hasPorts(proto string) bool {
	switch strings.ToUpper(proto) {
	case "TCP", "UDP", "SCTP":
		return true
	}
	return false
}

// appendString appends s as a JSON string. Unlike encoding/json it leaves
// <, > and & alone, as Suricata does, and writes each byte of invalid UTF-8
// as \u00XX so that no byte of a URI is lost.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
			continue
		}
		b = append(b, s[i:i+size]...)
		i += size
	}
	return append(b, '"')
}

// WriteFast writes a as one fast.log line:
//
//	01/02/2024-03:04:05.123456  [**] [1:1000001:1] msg [**] [Classification: c] [Priority: 1] {TCP} 192.168.1.10:49152 -> 203.0.113.5:80
func WriteFast(w io.Writer, a *matcher.Alert) error {
	_, err := w.Write(AppendFast(nil, a))
	return err
}

// AppendFast appends a's fast.log line and a newline to dst.
func AppendFast(dst []byte, a *matcher.Alert) []byte {
	b := append(dst, a.Time.UTC().Format(FastTimeFormat)...)
	b = append(b, "  [**] ["...)
	b = strconv.AppendInt(b, int64(max(a.GID, 1)), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(a.SID), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(a.Rev), 10)
	b = append(b, "] "...)
	b = append(b, a.Msg...)
	b = append(b, " [**] [Classification: "...)
	if a.Category != "" {
		b = append(b, a.Category...)
	} else {
		// What Suricata prints for a rule without classtype.
		b = append(b, "(null)"...)
	}
	b = append(b, "] [Priority: "...)
	b = strconv.AppendInt(b, int64(severity(a)), 10)
	b = append(b, "] {"...)
	b = append(b, a.Proto...)
	b = append(b, "} "...)
	sp, dp := uint64(a.SrcPort), uint64(a.DstPort)
	if isICMP(a.Proto) {
		// Suricata's packet keeps the ICMP type and code in the bytes of
		// its source port and the counterpart type (the reply's for a
		// request) in those of its destination port, and fast.log prints
		// them as ports: type + 256*code on little-endian hosts.
		sp = uint64(a.ICMPType) | uint64(a.ICMPCode)<<8
		dp = 0
		if c := icmpCounterpart(a.Proto, a.ICMPType); c >= 0 {
			dp = uint64(c)
		}
	}
	b = append(b, ipString(a.SrcIP)...)
	b = append(b, ':')
	b = strconv.AppendUint(b, sp, 10)
	b = append(b, " -> "...)
	b = append(b, ipString(a.DstIP)...)
	b = append(b, ':')
	b = strconv.AppendUint(b, dp, 10)
	return append(b, '\n')
}
