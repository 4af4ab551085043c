package sigparse

import "strings"

// modifierBuffers maps the Snort 2 style HTTP content modifiers (written
// after the content, and still accepted by Suricata) to the canonical
// Suricata 7 sticky-buffer names. In Snort 3 the same words are written
// before the content and select the buffer for what follows.
var modifierBuffers = map[string]string{
	"http_uri":         "http.uri",
	"http_raw_uri":     "http.uri.raw",
	"http_method":      "http.method",
	"http_header":      "http.header",
	"http_raw_header":  "http.header.raw",
	"http_cookie":      "http.cookie",
	"http_raw_cookie":  "http.cookie.raw", // Snort only; Suricata has no raw cookie buffer
	"http_user_agent":  "http.user_agent",
	"http_host":        "http.host",
	"http_raw_host":    "http.host.raw",
	"http_client_body": "http.request_body",
	"http_server_body": "http.response_body",
	"http_stat_code":   "http.stat_code",
	"http_stat_msg":    "http.stat_msg",
}

// legacyStickyBuffers are underscore spellings that Suricata (and Snort 2
// for file_data/pkt_data) treats as sticky buffers, not modifiers.
var legacyStickyBuffers = map[string]string{
	"file_data":            "file.data",
	"pkt_data":             "",
	"dns_query":            "dns.query",
	"tls_sni":              "tls.sni",
	"tls_cert_subject":     "tls.cert_subject",
	"tls_cert_issuer":      "tls.cert_issuer",
	"tls_cert_serial":      "tls.cert_serial",
	"tls_cert_fingerprint": "tls.cert_fingerprint",
	"ja3_hash":             "ja3.hash",
	"ja3_string":           "ja3.string",
	"ja3s_hash":            "ja3s.hash",
	"ja3s_string":          "ja3s.string",
	"ssh_proto":            "ssh.proto",
	"ssh_software":         "ssh.software",
	"http_request_line":    "http.request_line",
	"http_response_line":   "http.response_line",
	"http_header_names":    "http.header_names",
	"http_accept":          "http.accept",
	"http_accept_enc":      "http.accept_enc",
	"http_accept_lang":     "http.accept_lang",
	"http_referer":         "http.referer",
	"http_content_type":    "http.content_type",
	"http_content_len":     "http.content_len",
	"http_start":           "http.start",
	"http_protocol":        "http.protocol",
	"http_connection":      "http.connection",
	"dce_stub_data":        "dcerpc.stub_data",
	"dnp3_data":            "dnp3.data",
	"base64_data":          "base64_data",
	"sip_header":           "sip_header", // Snort 2 SIP preprocessor buffers
	"sip_body":             "sip_body",
}

// snort3HeaderFields maps Snort 3 http_header:field NAME to the Suricata
// buffer that holds just that header; other fields stay in http.header.
var snort3HeaderFields = map[string]string{
	"user-agent": "http.user_agent", "host": "http.host", "cookie": "http.cookie",
	"referer": "http.referer", "content-type": "http.content_type",
	"content-length": "http.content_len", "accept": "http.accept",
	"accept-encoding": "http.accept_enc", "accept-language": "http.accept_lang",
	"connection": "http.connection", "server": "http.server", "location": "http.location",
}

// snort3Buffers are Snort 3 buffer keywords without a Suricata spelling in
// the tables above; they keep their own name as the buffer.
var snort3Buffers = map[string]bool{
	"http_raw_body": true, "http_version": true, "http_raw_request": true,
	"http_raw_status": true, "http_trailer": true, "http_raw_trailer": true,
	"http_true_ip": true, "http_param": true, "raw_data": true, "js_data": true,
	"vba_data": true, "sip_header": true, "sip_body": true, "sip_method": true,
	"sip_stat_code": true,
}

// dottedNotBuffers are dotted Suricata keywords without an argument that
// are not sticky buffers.
var dottedNotBuffers = map[string]bool{
	"tls.store": true, "tls.cert_expired": true, "tls.cert_valid": true,
}

// transforms are Suricata's transform keywords (some take an argument).
var transforms = map[string]bool{
	"to_lowercase": true, "to_uppercase": true, "dotprefix": true,
	"strip_whitespace": true, "compress_whitespace": true, "to_md5": true,
	"to_sha1": true, "to_sha256": true, "url_decode": true, "xor": true,
	"pcrexform": true, "header_lowercase": true, "strip_pseudo_headers": true,
	"from_base64": true,
}

// stickyBuffer returns the canonical buffer a keyword selects in dialect d
// and whether it is a sticky buffer there at all.
func stickyBuffer(name string, hasArg bool, d Dialect) (string, bool) {
	if b, ok := legacyStickyBuffers[name]; ok {
		return b, true
	}
	if d == DialectSnort3 {
		if b, ok := modifierBuffers[name]; ok {
			return b, true
		}
		if snort3Buffers[name] {
			return name, true
		}
	}
	if strings.Contains(name, ".") && !hasArg && !dottedNotBuffers[name] {
		return name, true
	}
	return "", false
}

// pcreBufferFlags maps Suricata's HTTP pcre flags to buffers.
var pcreBufferFlags = map[byte]string{
	'U': "http.uri",
	'I': "http.uri.raw",
	'P': "http.request_body",
	'Q': "http.response_body",
	'H': "http.header",
	'D': "http.header.raw",
	'M': "http.method",
	'C': "http.cookie",
	'K': "http.cookie.raw",
	'S': "http.stat_code",
	'Y': "http.stat_msg",
	'V': "http.user_agent",
	'W': "http.host",
	'Z': "http.host.raw",
}

// pcreFlags are every flag letter Suricata or Snort accepts after the
// closing '/'.
const pcreFlags = "ismxAEGRUIPQHDMCKSYVWZBOL"

// suricataOnlyKeywords signal a Suricata file when the dialect is detected.
var suricataOnlyKeywords = map[string]bool{
	"bsize": true, "startswith": true, "endswith": true, "target": true,
	"noalert": true, "app-layer-event": true, "tls.store": true, "ja3.hash": true,
}
