package http1

import "testing"

// The expectations follow libhtp 0.5's htp_normalize_parsed_uri with the
// IDS personality (htp_config.c), Suricata's override of its lowercasing
// (app-layer-htp.c) and SCHTPGenerateNormalizedUri (app-layer-htp-libhtp.c),
// read from their source.
var normalizeCases = []struct{ raw, want string }{
	{"/index.html", "/index.html"},
	{"/a/b/../c", "/a/c"},
	{"/a/./b", "/a/b"},
	{"/../a", "/a"},
	{"/a/..", "/"},
	{"/a/./../b", "/b"},
	{"/.%2e/", "/"},
	{"/a/%2e%2e/b", "/b"},
	{"/a%2Fb", "/a/b"},       // encoded separators are decoded
	{"/a%5cb", "/a/b"},       // ...and an encoded backslash becomes a slash
	{"/a\\b\\..\\c", "/a/c"}, // backslashes are separators
	{"//a///b", "/a/b"},      // runs of slashes compressed
	{"/a%2f%2fb", "/a/b"},
	{"/%41%42c", "/ABc"},
	{"/Mixed/CASE", "/Mixed/CASE"}, // Suricata keeps case
	{"/%4", "/%4"},                 // truncated escape keeps its percent
	{"/%zz", "/%zz"},
	{"/%u0041", "/A"}, // %u decoding is on for the path
	{"/%uFF21", "/A"}, // fullwidth forms best-fit to ASCII
	{"/%U0042", "/B"},
	{"/%u4e2d", "/?"}, // no best fit
	{"/%uzz00", "/%uzz00"},
	{"/%u00", "/%u00"},
	{"/caf%C3%A9", "/caf\xe9"}, // UTF-8 to one byte by best fit
	{"/caf\xc3\xa9", "/caf\xe9"},
	{"/%C0%AE%C0%AE/x", "/x"}, // overlong UTF-8 dots are dots
	{"/%E9/x", "/?/x"},        // invalid UTF-8 becomes '?'
	{"/%FF", "/?"},
	{"/%F5%80%80%80", "/????"},     // no 4-byte lead above F4: each byte is invalid
	{"/%F0%9F%98%80x", "/?x"},      // U+1F600: valid, but beyond the best-fit range
	{"/%E4%B8%ADx", "/?x"},         // U+4E2D: no best fit
	{"/%C3", "/"},                  // cut-off sequence at the end is dropped
	{"/%00x", "/\x00x"},            // NUL kept (nul-encoded-terminates is off)
	{"/a?b=%41%2B+c", "/a?b=A++c"}, // query %HH decoded, '+' kept
	{"/a?q=%u0041", "/a?q=%u0041"}, // no %u in the query
	{"/a?p=../x//y", "/a?p=../x//y"},
	{"/a#f%41", "/a#fA"},
	{"/a?q#f", "/a?q#f"},
	{"/a?", "/a?"},
	{"http://host.example/p%41th?q=1", "/pAth?q=1"}, // absolute URI: path onwards
	{"http://user:pw@host:8080/x/../y", "/y"},
	{"http://host", ""},
	{"*", "*"},
	{"rel/../x", "/x"}, // as RFC 3986 5.2.4 and libhtp do
}

func TestNormalizeURI(t *testing.T) {
	for _, tc := range normalizeCases {
		if got := string(NormalizeURI(nil, []byte(tc.raw))); got != tc.want {
			t.Errorf("NormalizeURI(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

// TestNormalizeURIInTx checks the Tx uses the same normalization.
func TestNormalizeURIInTx(t *testing.T) {
	for _, tc := range normalizeCases {
		txs := parse("GET "+tc.raw+" HTTP/1.1\r\nHost: h\r\n\r\n", "")
		if len(txs) != 1 {
			t.Fatalf("%q: %d transactions", tc.raw, len(txs))
		}
		if got := buf(txs[0], BufURI, true); got != tc.want {
			t.Errorf("http.uri of %q = %q, want %q", tc.raw, got, tc.want)
		}
		if got := buf(txs[0], BufURIRaw, true); got != tc.raw {
			t.Errorf("http.uri.raw of %q = %q", tc.raw, got)
		}
	}
}

func TestBestFit(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want byte
	}{
		{'A', 'A'}, {0xe9, 0xe9}, {0xff21, 'A'}, {0xff41, 'a'}, {0x0100, 'A'},
		{0x2019, 0x92}, {0x20ac, 0x80}, {0x4e2d, '?'}, {0x1f600, '?'},
	} {
		if got := bestFit(tc.r); got != tc.want {
			t.Errorf("bestFit(%U) = %#x, want %#x", tc.r, got, tc.want)
		}
	}
}
