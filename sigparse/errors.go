package sigparse

import (
	"bytes"
	"sort"
	"strings"
)

// Error is a problem at a place in a rule source.
type Error struct {
	Pos Position // where the problem starts
	End Position // just past its end (may be zero)
	Msg string   // lower-case, no trailing period
	Err error    // the underlying error, if any (strconv, regexp, …)
	// Line is the physical source line holding Pos, without its newline,
	// so that a caret can be drawn without the source at hand.
	Line string
	// InDisabled is set for errors inside a '#'-disabled rule, which
	// tools report without failing (the rule is not loaded by an IDS).
	InDisabled bool
}

// Error returns "file:line:col: msg".
func (e *Error) Error() string {
	if !e.Pos.IsValid() && e.Pos.Filename == "" {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is the errors of one parse in source order.
type ErrorList []*Error

// Error returns the first error and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return l[0].Error() + " (and " + itoa(len(l)-1) + " more errors)"
}

// Err returns nil for an empty list and the list otherwise, so callers can
// write `if err := list.Err(); err != nil`.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Sort orders the list by file and offset.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Offset < b.Offset
	})
}

// caretWidth is how much of a long line Caret shows around the error, so
// that a 600-byte ET rule does not wrap the terminal.
const caretWidth = 72

// Caret returns the error's source line and a caret under its column,
// each indented by two spaces and ending in a newline:
//
//	… classtype:trojan-activity; sid:x; rev:1;)
//	                                 ^
//
// Lines longer than the window are cut around the column with "…". Tabs
// before the column are kept in the caret line so that the caret lines up
// in a terminal. It returns "" when the error has no source line.
func Caret(e *Error) string {
	if e == nil || !e.Pos.IsValid() || e.Line == "" && e.Pos.Column <= 1 {
		return ""
	}
	line := e.Line
	col := e.Pos.Column - 1 // 0-based byte index
	if col > len(line) {
		col = len(line)
	}
	start, end := 0, len(line)
	prefix, suffix := "", ""
	if len(line) > caretWidth {
		// Keep most of the window before the caret: the context that
		// leads to an error is usually to its left.
		start = col - caretWidth*2/3
		if start < 0 {
			start = 0
		}
		end = start + caretWidth
		if end > len(line) {
			end = len(line)
			start = max(0, end-caretWidth)
		}
		start = runeStart(line, start)
		end = runeStart(line, end)
		if start > 0 {
			prefix = "… "
		}
		if end < len(line) {
			suffix = " …"
		}
	}
	var b strings.Builder
	b.WriteString("  ")
	b.WriteString(prefix)
	b.WriteString(line[start:end])
	b.WriteString(suffix)
	b.WriteString("\n  ")
	if prefix != "" {
		b.WriteString("  ")
	}
	for _, c := range []byte(line[start:col]) {
		if c == '\t' {
			b.WriteByte('\t')
		} else if c < 0x80 || c >= 0xC0 {
			// one column per rune: skip UTF-8 continuation bytes
			b.WriteByte(' ')
		}
	}
	b.WriteString("^\n")
	return b.String()
}

// runeStart moves i back to the start of the UTF-8 sequence holding it.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}

// lineStarts returns the offset of the first byte of each line of src.
func lineStarts(src []byte) []int {
	lines := make([]int, 1, bytes.Count(src, []byte{'\n'})+1)
	for i := 0; ; {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			return lines
		}
		i += j + 1
		lines = append(lines, i)
	}
}

// positionFor resolves p with the line table lines.
func positionFor(name string, lines []int, p Pos) Position {
	off := int(p)
	i := sort.Search(len(lines), func(i int) bool { return lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return Position{Filename: name, Offset: off, Line: i + 1, Column: off - lines[i] + 1}
}

// LineAt returns the line of src holding byte offset off, without its
// line ending ("" for a negative offset; the last line past the end). It
// is what Error.Line holds, for tools that point at other places in a
// rule file.
func LineAt(src []byte, off int) string {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		return ""
	}
	s := off
	for s > 0 && src[s-1] != '\n' {
		s--
	}
	e := off
	for e < len(src) && src[e] != '\n' {
		e++
	}
	line := string(src[s:e])
	return strings.TrimSuffix(line, "\r")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
