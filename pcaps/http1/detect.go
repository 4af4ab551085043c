package http1

// Verdict is the outcome of protocol detection on the first bytes of a
// direction.
type Verdict uint8

// Detection outcomes.
const (
	NeedMore Verdict = iota // too few bytes to tell
	IsHTTP                  // starts like an HTTP/1.x request or response
	NotHTTP                 // cannot be HTTP/1.x
)

// methods are the request methods Suricata registers for HTTP/1 protocol
// detection (HTPRegisterPatternsForProtocolDetection), each matched
// case-sensitively at offset 0 and followed by a space or a tab.
var methods = [...]string{
	"GET", "PUT", "POST", "HEAD", "TRACE", "OPTIONS", "CONNECT", "DELETE",
	"PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
	"UNLOCK", "CHECKOUT", "UNCHECKOUT", "CHECKIN", "UPDATE", "LABEL",
	"REPORT", "MKWORKSPACE", "MKACTIVITY", "MERGE", "INVALID",
	"VERSION-CONTROL", "BASELINE-CONTROL",
}

// versions start a response for detection to the client.
var versions = [...]string{"HTTP/0.9", "HTTP/1.0", "HTTP/1.1"}

// Probe tells whether a direction's first bytes start an HTTP/1.x message
// the way Suricata's pattern-based protocol detection decides it: a known
// method and a space or tab to the server, "HTTP/0.9", "HTTP/1.0" or
// "HTTP/1.1" to the client, all case-sensitive at the start of the stream.
func Probe(data []byte, toServer bool) Verdict {
	more := false
	if !toServer {
		for _, v := range versions {
			n := min(len(data), len(v))
			if string(data[:n]) != v[:n] {
				continue
			}
			if n < len(v) {
				more = true
				continue
			}
			return IsHTTP
		}
	} else {
		for _, m := range methods {
			n := min(len(data), len(m))
			if string(data[:n]) != m[:n] {
				continue
			}
			if len(data) <= len(m) {
				more = true
				continue
			}
			if c := data[len(m)]; c == ' ' || c == '\t' {
				return IsHTTP
			}
		}
	}
	if more {
		return NeedMore
	}
	return NotHTTP
}

// Detect reports whether data (the first bytes of a direction) is HTTP/1.x;
// false also when there are too few bytes to tell (see Probe).
func Detect(data []byte, toServer bool) bool { return Probe(data, toServer) == IsHTTP }
