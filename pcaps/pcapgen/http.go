package pcapgen

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// NormalizeHTTP repairs an HTTP/1.x request or response copied out of a log,
// a terminal or a stream dump so that it goes on the wire as the original
// did, and says what it changed (one note per change, for the user):
//
//   - leading blank lines are dropped;
//   - header lines ending in a bare LF get CRLF (the body is left alone);
//   - a header block without its closing blank line gets one;
//   - a Content-Length that disagrees with the body that follows is set to
//     the body's length, and a request body without Content-Length or
//     Transfer-Encoding gets a Content-Length.
//
// A message that already is well formed comes back unchanged with no notes.
// Chunked bodies are not touched.
func NormalizeHTTP(msg []byte) ([]byte, []string) {
	var notes []string
	trimmed := bytes.TrimLeft(msg, "\r\n")
	if len(trimmed) != len(msg) {
		notes = append(notes, "dropped blank lines before the start line")
	}
	msg = trimmed
	if len(msg) == 0 {
		return msg, notes
	}

	// Split the header block from the body at the first empty line,
	// whatever the line endings.
	var head, body []byte
	terminated := false
	for i := 0; i < len(msg); {
		j := bytes.IndexByte(msg[i:], '\n')
		if j < 0 {
			break
		}
		line := msg[i : i+j]
		next := i + j + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			head, body, terminated = msg[:i], msg[next:], true
			break
		}
		i = next
	}
	if !terminated {
		head = msg
	}
	raw := strings.Split(strings.TrimSuffix(string(head), "\n"), "\n")
	// In an unterminated block that does not end in LF the last line has
	// no line ending at all: not a bare LF, and when it is a lone CR, the
	// start of the missing blank line rather than a header.
	noEnding := !terminated && !bytes.HasSuffix(head, []byte("\n"))
	lines := make([]string, 0, len(raw))
	bare := 0
	for i, l := range raw {
		cr := strings.HasSuffix(l, "\r")
		l = strings.TrimSuffix(l, "\r")
		if i == len(raw)-1 && noEnding {
			if l != "" {
				lines = append(lines, l)
			}
			continue
		}
		if !cr {
			bare++
		}
		lines = append(lines, l)
	}
	if bare > 0 {
		notes = append(notes, fmt.Sprintf("header lines ended in LF only; wrote CRLF (%d line(s))", bare))
	}
	if !terminated {
		notes = append(notes, "added the blank line that ends the header block")
	}

	isRequest := !strings.HasPrefix(lines[0], "HTTP/")
	clIdx, chunked := -1, false
	for i, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-length":
			if clIdx < 0 {
				clIdx = i + 1
			}
		case "transfer-encoding":
			if strings.Contains(strings.ToLower(value), "chunked") {
				chunked = true
			}
		}
	}
	if !chunked {
		switch {
		case clIdx >= 0:
			name, value, _ := strings.Cut(lines[clIdx], ":")
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n != len(body) {
				lines[clIdx] = name + ": " + strconv.Itoa(len(body))
				notes = append(notes, fmt.Sprintf("Content-Length was %q but the body has %d bytes; set it to %d", strings.TrimSpace(value), len(body), len(body)))
			}
		case isRequest && len(body) > 0:
			lines = append(lines, "Content-Length: "+strconv.Itoa(len(body)))
			notes = append(notes, fmt.Sprintf("request has a %d-byte body but no Content-Length; added one", len(body)))
		}
	}
	if len(notes) == 0 {
		return msg, nil
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes(), notes
}
