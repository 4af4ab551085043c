package lint

import "strings"

// suricataKeywords lists the rule keywords of Suricata 7 (as
// "suricata --list-keywords" prints them) that have no dot in their name,
// plus the underscore spellings it keeps for compatibility. Dotted
// keywords are recognised by their protocol prefix (dottedPrefixes),
// because Suricata adds new ones with every release.
var suricataKeywords = setOf(`
msg sid gid rev classtype reference priority metadata target noalert tag
threshold detection_filter requires config

content uricontent nocase depth offset distance within rawbytes isdataat
fast_pattern prefilter startswith endswith bsize dsize urilen pcre replace
byte_test byte_jump byte_extract byte_math rpc base64_decode base64_data
pkt_data file_data entropy absent

to_lowercase to_uppercase dotprefix strip_whitespace compress_whitespace
to_md5 to_sha1 to_sha256 url_decode xor pcrexform header_lowercase
strip_pseudo_headers from_base64

flow flowbits flowint flowvar pktvar xbits hostbits stream_size
app-layer-protocol app-layer-event app-layer-state decode-event stream-event
engine-event datarep dataset iprep bypass lua luajit asn1 geoip

ttl tos ipopts sameip ip_proto id fragbits fragoffset
ipv4-csum tcpv4-csum tcpv6-csum udpv4-csum udpv6-csum icmpv4-csum icmpv6-csum
seq ack window flags itype icode icmp_id icmp_seq icmpv6.mtu

http_uri http_raw_uri http_method http_request_line http_client_body
http_header http_raw_header http_cookie http_user_agent http_host
http_raw_host http_accept http_accept_lang http_accept_enc http_referer
http_connection http_content_type http_content_len http_start
http_protocol http_header_names http_stat_msg http_stat_code
http_response_line http_server_body

filename fileext filemagic filestore filemd5 filesha1 filesha256 filesize

dns_query tls_sni tls_cert_subject tls_cert_issuer tls_cert_serial
tls_cert_fingerprint ssl_version ssl_state ja3_hash ja3_string ja3s_hash
ja3s_string ssh_proto ssh_software ssh_state

dce_iface dce_opnum dce_stub_data ftpbounce ftpdata_command
krb5_msg_type krb5_cname krb5_sname krb5_err_code
modbus dnp3_func dnp3_ind dnp3_obj dnp3_data cip_service enip_command
nfs_procedure
`)

// dottedPrefixes are the protocol namespaces of Suricata's dotted
// keywords (http.uri, tls.sni, dns.query, ...).
var dottedPrefixes = setOf(`
http http2 dns tls ssh smb sip krb5 snmp mqtt rfb quic ike ikev2 dhcp file
ja3 ja3s ja4 tcp udp ip ipv4 ipv6 icmpv4 icmpv6 pgsql smtp email ftp
dcerpc nfs modbus dnp3 enip cip websocket flow ldap sdp rdp bittorrent-dht
dnp3 frame pkt stream app-layer tftp mime nfs ntp
`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// isSuricataKeyword reports whether name is a rule keyword Suricata 7
// accepts.
func isSuricataKeyword(name string) bool {
	if suricataKeywords[name] {
		return true
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return dottedPrefixes[name[:i]]
	}
	return false
}
