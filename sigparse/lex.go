package sigparse

import "strings"

// itemKind is what the file lexer found on a (possibly continued) line.
type itemKind int

const (
	itemRule     itemKind = iota // a rule line, continuation lines joined
	itemDisabled                 // a '#' line whose text looks like a rule
	itemComment                  // any other '#' line
)

// item is one logical line of a rule file. text is the line with every
// backslash-newline continuation removed (and, for a disabled rule, the
// '#' marker and the spaces after it removed); segs maps offsets in text
// back to the physical file so that errors point where the user looks.
type item struct {
	kind  itemKind
	start Pos    // first byte of the physical line ('#' for comments)
	end   Pos    // just past the last byte (before the newline)
	text  string // logical text
	segs  []seg  // ascending by off; segs[0].off == 0
}

// seg says that text[off:] starts at physical offset phys (until the next seg).
type seg struct {
	off  int
	phys Pos
}

// pos maps an offset in the logical text to the physical file.
func (it *item) pos(off int) Pos {
	i := len(it.segs) - 1
	for i > 0 && it.segs[i].off > off {
		i--
	}
	return it.segs[i].phys + Pos(off-it.segs[i].off)
}

// lexer splits a rule file into items. It is a state machine in the style
// of text/template/parse, run synchronously: each state function consumes
// input and returns the next state, and items are appended to a slice —
// no goroutine or channel, so there is nothing to leak or race on.
type lexer struct {
	src   []byte
	str   string // src as a string, copied once, so item texts are substrings
	pos   int    // current offset
	items []item
}

type stateFn func(*lexer) stateFn

// lex returns the items of src in order; str must equal string(src).
// Blank lines are dropped.
func lex(src []byte, str string) []item {
	l := &lexer{src: src, str: str, items: make([]item, 0, len(src)/300+1)}
	for state := lexLineStart; state != nil; {
		state = state(l)
	}
	return l.items
}

// lexLineStart skips blank space at the start of a line and decides what
// the line holds.
func lexLineStart(l *lexer) stateFn {
	for l.pos < len(l.src) {
		switch l.src[l.pos] {
		case ' ', '\t', '\r', '\n', '\f', '\v':
			l.pos++
			continue
		case '#':
			return lexComment
		}
		return lexRule
	}
	return nil
}

// lexRule reads a rule from l.pos to the end of its last continued line.
func lexRule(l *lexer) stateFn {
	l.items = append(l.items, l.logicalLine(itemRule, l.indentStart(), l.pos))
	return lexLineStart
}

// indentStart returns the start of the current line when only blanks
// precede l.pos on it, so that the formatter drops a rule's indentation.
func (l *lexer) indentStart() int {
	p := l.pos
	for p > 0 && (l.src[p-1] == ' ' || l.src[p-1] == '\t') {
		p--
	}
	return p
}

// lexComment reads a '#' line; if the text after the markers looks like a
// rule it becomes a disabled-rule item (continuations joined), otherwise a
// comment kept verbatim.
func lexComment(l *lexer) stateFn {
	start := l.pos
	lineStart := l.indentStart()
	p := l.pos
	for p < len(l.src) && (l.src[p] == '#' || l.src[p] == ' ' || l.src[p] == '\t') {
		p++
	}
	if looksLikeRule(l.src, p) {
		l.items = append(l.items, l.logicalLine(itemDisabled, lineStart, p))
		return lexLineStart
	}
	e := p
	for e < len(l.src) && l.src[e] != '\n' {
		e++
	}
	text := strings.TrimRight(l.str[start:e], "\r")
	l.items = append(l.items, item{kind: itemComment, start: Pos(start), end: Pos(start + len(text)), text: text, segs: []seg{{0, Pos(start)}}})
	l.pos = e
	return lexLineStart
}

// logicalLine consumes the line starting at from, joining lines that end
// in a backslash, and returns its item. The text starts at textStart
// (after a '#' marker for disabled rules). A continued line of a disabled
// rule may itself start with '#' markers; those are dropped too.
func (l *lexer) logicalLine(kind itemKind, from, textStart int) item {
	it := item{kind: kind, start: Pos(from)}
	var b []byte // only allocated when the rule is continued
	p := textStart
	segStart := p
	it.segs = []seg{{0, Pos(p)}}
	logical := 0
	for {
		e := p
		for e < len(l.src) && l.src[e] != '\n' {
			e++
		}
		lineEnd := e
		if lineEnd > p && l.src[lineEnd-1] == '\r' {
			lineEnd--
		}
		// Trailing spaces after the backslash are tolerated, as Suricata does.
		t := lineEnd
		for t > p && (l.src[t-1] == ' ' || l.src[t-1] == '\t') {
			t--
		}
		// Like Suricata, any trailing backslash continues the line (a
		// literal backslash at the end of a rule is written |5C|).
		if t > p && l.src[t-1] == '\\' && e < len(l.src) {
			// Continued: keep the text up to the backslash.
			b = append(b, l.src[segStart:t-1]...)
			logical += t - 1 - segStart
			p = e + 1
			if kind == itemDisabled {
				q := p
				for q < len(l.src) && (l.src[q] == ' ' || l.src[q] == '\t') {
					q++
				}
				if q < len(l.src) && l.src[q] == '#' {
					for q < len(l.src) && (l.src[q] == '#' || l.src[q] == ' ' || l.src[q] == '\t') {
						q++
					}
					p = q
				}
			}
			segStart = p
			it.segs = append(it.segs, seg{logical, Pos(p)})
			continue
		}
		if b == nil {
			if kind == itemRule {
				// Snort 3 writes rules over several lines without
				// backslashes; the text stays contiguous in the source.
				lineEnd, e = l.openRuleLines(segStart, lineEnd, e)
			}
			it.text = l.str[segStart:lineEnd]
		} else {
			b = append(b, l.src[segStart:lineEnd]...)
			it.text = string(b)
		}
		it.end = Pos(lineEnd)
		l.pos = e
		return it
	}
}

// maxRuleLines bounds how far openRuleLines looks for a closing ')'.
const maxRuleLines = 500

// openRuleLines extends a rule whose text (src[start:lineEnd], the line
// ending at newline e) does not end with ')' over the following lines, as
// Snort 3 allows: it takes lines until one ends with ')', and stops before
// a blank line, a comment or a line that starts another rule, so that a
// rule that just lacks its ')' is still reported on its own line. It
// returns the new end of the text and of the last line taken.
func (l *lexer) openRuleLines(start, lineEnd, e int) (int, int) {
	if endsWithParen(l.src[start:lineEnd]) {
		return lineEnd, e
	}
	end, nl := lineEnd, e
	for n := 0; n < maxRuleLines && nl < len(l.src); n++ {
		p := nl + 1
		q := p
		for q < len(l.src) && l.src[q] != '\n' {
			q++
		}
		le := q
		if le > p && l.src[le-1] == '\r' {
			le--
		}
		t := p
		for t < le && (l.src[t] == ' ' || l.src[t] == '\t') {
			t++
		}
		if t == le || l.src[t] == '#' || startsRule(l.src[t:le]) || endsWithBackslash(l.src[t:le]) {
			// A backslash would make the line a continuation of a
			// different kind; leave such mixtures to fail on their own.
			break
		}
		end, nl = le, q
		if endsWithParen(l.src[start:end]) {
			return end, nl
		}
	}
	// No ')' came: keep the rule to its first line so the error about
	// the missing ')' points there and the lines after are read alone.
	return lineEnd, e
}

func endsWithBackslash(b []byte) bool {
	i := len(b)
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t') {
		i--
	}
	return i > 0 && b[i-1] == '\\'
}

func endsWithParen(b []byte) bool {
	i := len(b)
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t' || b[i-1] == '\r') {
		i--
	}
	return i > 0 && b[i-1] == ')'
}

// startsRule reports whether a line begins with a rule action and a blank.
func startsRule(b []byte) bool {
	e := 0
	for e < len(b) && isWordByte(b[e]) {
		e++
	}
	return e < len(b) && actions[string(b[:e])] && (b[e] == ' ' || b[e] == '\t')
}

// actions are the rule actions of Snort 2, Snort 3 and Suricata.
var actions = map[string]bool{
	"alert": true, "drop": true, "pass": true, "reject": true, "rejectsrc": true,
	"rejectdst": true, "rejectboth": true, "sdrop": true, "log": true,
	"activate": true, "dynamic": true, "block": true, "react": true, "rewrite": true,
}

// looksLikeRule reports whether the commented text at p is a rule: an
// action word followed by a protocol and an option list in parentheses,
// on the same logical line. Prose such as "# alert on this" is not.
func looksLikeRule(src []byte, p int) bool {
	e := p
	for e < len(src) && isWordByte(src[e]) {
		e++
	}
	if !actions[string(src[p:e])] || e >= len(src) || (src[e] != ' ' && src[e] != '\t') {
		return false
	}
	// A '(' must follow on this line and the line (or its continuation)
	// must end in ')'.
	open := false
	last := byte(0)
	for q := e; q < len(src) && src[q] != '\n'; q++ {
		c := src[q]
		if c == '(' {
			open = true
		}
		if c != ' ' && c != '\t' && c != '\r' {
			last = c
		}
	}
	return open && (last == ')' || last == '\\')
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
