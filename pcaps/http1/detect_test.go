package http1

import "testing"

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		data     string
		toServer bool
		want     Verdict
	}{
		{"GET / HTTP/1.1\r\n", true, IsHTTP},
		{"POST\t/x HTTP/1.0", true, IsHTTP},
		{"PROPFIND /dav HTTP/1.1", true, IsHTTP},
		{"VERSION-CONTROL /", true, IsHTTP},
		{"GE", true, NeedMore},
		{"GET", true, NeedMore},
		{"", true, NeedMore},
		{"get / HTTP/1.1", true, NotHTTP}, // Suricata's patterns are case-sensitive
		{"GETX / HTTP/1.1", true, NotHTTP},
		{"\x16\x03\x01\x02\x00", true, NotHTTP},
		{"SSH-2.0-OpenSSH", true, NotHTTP},
		{"HTTP/1.1 200 OK\r\n", false, IsHTTP},
		{"HTTP/1.0 404", false, IsHTTP},
		{"HTTP/0.9", false, IsHTTP},
		{"HTTP/1", false, NeedMore},
		{"HTTP/2.0 200", false, NotHTTP},
		{"http/1.1 200", false, NotHTTP},
		{"220 smtp ready", false, NotHTTP},
		{"GET / HTTP/1.1", false, NotHTTP},
	} {
		if got := Probe([]byte(tc.data), tc.toServer); got != tc.want {
			t.Errorf("Probe(%q, %v) = %v, want %v", tc.data, tc.toServer, got, tc.want)
		}
		if got := Detect([]byte(tc.data), tc.toServer); got != (tc.want == IsHTTP) {
			t.Errorf("Detect(%q, %v) = %v", tc.data, tc.toServer, got)
		}
	}
}
