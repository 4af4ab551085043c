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

// methods are the request methods Suricata 7 registers for HTTP/1
// protocol detection (app-layer-htp.c), matched case-insensitively and
// followed by a space or tab.
var methods = [...]string{
	"GET", "PUT", "POST", "HEAD", "TRACE", "OPTIONS", "CONNECT", "DELETE",
	"PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
	"UNLOCK", "CHECKOUT", "UNCHECKOUT", "CHECKIN", "UPDATE", "LABEL",
	"REPORT", "MKWORKSPACE", "MKACTIVITY", "MERGE", "INVALID",
	"VERSION-CONTROL", "BASELINE-CONTROL",
}

// Probe tells whether a direction's first bytes start an HTTP/1.x message:
// a known method followed by a space or tab to the server, "HTTP/" to the
// client.
func Probe(data []byte, toServer bool) Verdict {
	if !toServer {
		const p = "HTTP/"
		n := min(len(data), len(p))
		if !equalFold(data[:n], p[:n]) {
			return NotHTTP
		}
		if n < len(p) {
			return NeedMore
		}
		return IsHTTP
	}
	more := false
	for _, m := range methods {
		n := min(len(data), len(m))
		if !equalFold(data[:n], m[:n]) {
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
	if more {
		return NeedMore
	}
	return NotHTTP
}

// Detect reports whether data (the first bytes of a direction) is HTTP/1.x;
// false also when there are too few bytes to tell (see Probe).
func Detect(data []byte, toServer bool) bool { return Probe(data, toServer) == IsHTTP }
