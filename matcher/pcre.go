package matcher

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// pcreTimeout bounds one backtracking match, like Suricata's PCRE match
// limits: a runaway pattern gives "no match" instead of hanging the scan.
const pcreTimeout = 500 * time.Millisecond

// pcreProg is a compiled pcre keyword. Go's regexp (RE2, linear time) is
// used when the pattern allows it and means the same on bytes; patterns
// that need lookaround, backreferences or byte values above 0x7f (RE2 reads
// UTF-8, PCRE in Suricata reads bytes) go to regexp2, a backtracking
// engine, run over the buffer widened byte-for-rune (Latin-1) with a time
// bound.
type pcreProg struct {
	re2 *regexp.Regexp
	// atStart: every match of re2 begins at the subject's start (each
	// alternative begins with ^ without m, or \A), so a search from a
	// later offset finds nothing.
	atStart bool
	// afterSrc, when set, is the search from a later offset for an re2
	// pattern whose match depends on the byte before it (\b, \B, ^ with
	// m) or that flag A anchors at that offset: it is run over the
	// buffer from one byte earlier, with that byte consumed first, so
	// the pattern sees its real left context. Empty when re2 over the
	// rest of the buffer means the same. It is compiled into re2After
	// on first use: retries are rare, and compiling it for every such
	// pattern cost ET Open's compile 8 MB.
	afterSrc  string
	afterOnce sync.Once
	re2After  *regexp.Regexp
	bt        *regexp2.Regexp
	negated   bool
}

// compilePCRE compiles a Suricata pcre pattern with its flags (the
// buffer-selecting flags are already folded into the Content buffer by
// sigparse and are ignored here).
func compilePCRE(pattern, flags string, negated bool) (*pcreProg, error) {
	var goFlags strings.Builder
	var btOpts regexp2.RegexOptions
	anchored, extended, ungreedy := false, false, false
	for _, f := range flags {
		switch f {
		case 'i':
			goFlags.WriteByte('i')
			btOpts |= regexp2.IgnoreCase
		case 's':
			goFlags.WriteByte('s')
			btOpts |= regexp2.Singleline
		case 'm':
			goFlags.WriteByte('m')
			btOpts |= regexp2.Multiline
		case 'x':
			extended = true
			btOpts |= regexp2.IgnorePatternWhitespace
		case 'A':
			anchored = true
		case 'G':
			ungreedy = true
		case 'E', 'R', 'B', 'O', 'U', 'I', 'P', 'Q', 'H', 'D', 'M', 'C', 'S', 'Y', 'V', 'W', 'Z', 'K':
			// E: Go's $ already matches only at the very end; the rest
			// select buffers or limits, handled elsewhere.
		default:
			return nil, fmt.Errorf("unknown pcre flag %q", f)
		}
	}
	p := &pcreProg{negated: negated}
	needBT := extended || hasHighByte(pattern) || needsBacktracking(pattern)
	if !needBT {
		prefix := goFlags.String()
		if ungreedy {
			prefix += "U"
		}
		inner := pattern
		if prefix != "" {
			inner = "(?" + prefix + ")" + pattern
		}
		src := inner
		if anchored {
			src = `\A(?:` + inner + `)`
		}
		if re, err := regexp.Compile(src); err == nil {
			p.re2 = re
			if err := p.setAfter(inner, anchored); err == nil {
				return p, nil
			}
			p.re2, p.atStart, p.afterSrc = nil, false, ""
		}
	}
	if ungreedy {
		return nil, fmt.Errorf("pcre flag G with a pattern RE2 cannot run is not supported")
	}
	body := pattern
	if anchored {
		// PCRE2_ANCHORED anchors at the offset the search starts from
		// (a retry after a failed relative step starts later), which is
		// .NET's \G, not \A.
		body = `\G(?:` + body + `)`
	}
	re, err := regexp2.Compile(possessiveToAtomic(pcreToNET(body)), btOpts)
	if err != nil {
		return nil, fmt.Errorf("pcre %q: %v", pattern, err)
	}
	re.MatchTimeout = pcreTimeout
	p.bt = re
	return p, nil
}

// hasHighByte reports whether the pattern names a byte above 0x7f (as a
// \xHH escape or a raw byte), which RE2 would read as a UTF-8 rune.
func hasHighByte(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] >= 0x80 {
			return true
		}
		if p[i] == '\\' && i+1 < len(p) {
			if p[i+1] == 'x' && i+2 < len(p) && strings.IndexByte("89abcdefABCDEF{", p[i+2]) >= 0 {
				return true
			}
			i++
		}
	}
	return false
}

// needsBacktracking reports constructs RE2 lacks: lookaround, atomic
// groups, possessive quantifiers and backreferences.
func needsBacktracking(p string) bool {
	if strings.Contains(p, "(?=") || strings.Contains(p, "(?!") || strings.Contains(p, "(?<=") ||
		strings.Contains(p, "(?<!") || strings.Contains(p, "(?>") || strings.Contains(p, "(?P=") {
		return true
	}
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '\\' {
			if p[i+1] >= '1' && p[i+1] <= '9' {
				return true
			}
			i++
		}
	}
	return false
}

// setAfter decides, from the parsed pattern, how re2 searches from an
// offset after the subject's start (atStart, re2After). inner is the
// pattern with its flags; anchored is flag A.
func (p *pcreProg) setAfter(inner string, anchored bool) error {
	if !anchored && !mayAssertLeft(inner) {
		return nil
	}
	re, err := syntax.Parse(inner, syntax.Perl)
	if err != nil {
		return err
	}
	re = re.Simplify()
	if !anchored && startsAtBeginText(re) {
		p.atStart = true
		return nil
	}
	if !anchored && !leftContext(re) {
		return nil
	}
	// (?s:.) consumes the byte before the offset; a ^ without m inside
	// the pattern then never matches, as PCRE's does not past offset 0.
	p.afterSrc = `(?s:.)(?:` + inner + `)`
	if anchored {
		p.afterSrc = `\A` + p.afterSrc
	}
	return nil
}

// mayAssertLeft is a quick look for ^ (outside a class's opening [^),
// \A, \b or \B, before parsing: most patterns have none, and parsing
// them all cost ET Open's compile 8 MB. A false yes only costs the parse.
func mayAssertLeft(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 < len(p) && strings.IndexByte("AbB", p[i+1]) >= 0 {
				return true
			}
			i++
		case '^':
			if i == 0 || p[i-1] != '[' {
				return true
			}
		}
	}
	return false
}

// startsAtBeginText reports whether every match of re begins with a
// start-of-text assertion (^ without m, \A).
func startsAtBeginText(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginText:
		return true
	case syntax.OpCapture:
		return startsAtBeginText(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if startsAtBeginText(sub) {
				return true
			}
			if !emptyWidth(sub) {
				return false
			}
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !startsAtBeginText(sub) {
				return false
			}
		}
		return len(re.Sub) > 0
	}
	return false
}

// emptyWidth reports an assertion that consumes nothing, so a
// start-of-text assertion after it still fixes where the match begins.
func emptyWidth(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpBeginText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	return false
}

// leftContext reports whether re holds an assertion that reads the byte
// before the position it is tried at, or a start-of-text assertion: a
// search over buf[from:] would see neither as it is at from.
func leftContext(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, sub := range re.Sub {
		if leftContext(sub) {
			return true
		}
	}
	return false
}

// find looks for an RE2 pattern in buf[base:], the subject Suricata
// hands pcre (for relative pcre it starts after the previous match),
// from subject offset from-base on, as pcre2_match with that start
// offset does. It returns absolute offsets. Backtracking patterns go
// through scratch.pcreFind.
func (p *pcreProg) find(buf []byte, base, from int) (int, int, bool) {
	if from > base {
		if p.atStart {
			return 0, 0, false
		}
		if p.afterSrc != "" {
			p.afterOnce.Do(func() {
				// inner compiled, so this does too (one group
				// and a (?s:.) more); were it ever refused,
				// the search below stays the plain one.
				p.re2After, _ = regexp.Compile(p.afterSrc)
			})
		}
		if p.re2After != nil {
			loc := p.re2After.FindIndex(buf[from-1:])
			if loc == nil {
				return 0, 0, false
			}
			// The match begins with the character (one byte, or
			// the UTF-8 sequence RE2 reads there) before the pattern.
			at := from - 1 + loc[0]
			_, w := utf8.DecodeRune(buf[at:])
			return at + w, from - 1 + loc[1], true
		}
	}
	loc := p.re2.FindIndex(buf[from:])
	if loc == nil {
		return 0, 0, false
	}
	return from + loc[0], from + loc[1], true
}

// pcreToNET rewrites the PCRE spellings regexp2 (.NET syntax) lacks:
// Python-style named groups (?P<n>...) become (?<n>...) and named
// backreferences (?P=n) become \k<n>, \g{N} becomes \N. Other escapes
// are left alone.
func pcreToNET(p string) string {
	if !strings.Contains(p, "(?P") && !strings.Contains(p, `\g`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], `\g{`) && strings.IndexByte(p[i:], '}') > 3:
			// \g{N} (PCRE numbered backreference) is \N.
			end := strings.IndexByte(p[i:], '}')
			b.WriteString(`\` + p[i+3:i+end])
			i += end
		case p[i] == '\\' && i+1 < len(p):
			b.WriteString(p[i : i+2])
			i++
		case strings.HasPrefix(p[i:], "(?P<"):
			b.WriteString("(?<")
			i += 3
		case strings.HasPrefix(p[i:], "(?P="):
			end := strings.IndexByte(p[i:], ')')
			if end < 0 {
				b.WriteString(p[i:])
				return b.String()
			}
			b.WriteString(`\k<` + p[i+4:i+end] + ">")
			i += end
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

// possessiveToAtomic rewrites PCRE possessive quantifiers (X*+, X++, X?+,
// X{m,n}+), which regexp2 lacks, as the atomic groups they abbreviate:
// (?>X*). Character classes, escapes and groups are kept whole as atoms.
func possessiveToAtomic(p string) string {
	if !strings.Contains(p, "+") {
		return p
	}
	var out []byte
	atom := -1 // start in out of the last atom, -1 when none
	var groups []int
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			atom = len(out)
			j := i + 2
			if p[i+1] == 'x' && j < len(p) && p[j] == '{' {
				if k := strings.IndexByte(p[j:], '}'); k >= 0 {
					j += k + 1
				}
			} else if p[i+1] == 'x' {
				j = min(i+4, len(p))
			}
			out = append(out, p[i:j]...)
			i = j - 1
		case c == '[':
			atom = len(out)
			j := i + 1
			if j < len(p) && p[j] == '^' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				if p[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(p))
			out = append(out, p[i:j]...)
			i = j - 1
		case c == '(':
			groups = append(groups, len(out))
			out = append(out, c)
			atom = -1
		case c == ')':
			out = append(out, c)
			atom = -1
			if n := len(groups); n > 0 {
				atom = groups[n-1]
				groups = groups[:n-1]
			}
		case c == '*' || c == '+' || c == '?' || c == '{' && quantBrace(p[i:]) > 0:
			j := i + 1
			if c == '{' {
				j = i + quantBrace(p[i:])
			}
			q := p[i:j]
			if atom >= 0 && j < len(p) && p[j] == '+' {
				body := string(out[atom:]) + q
				out = append(out[:atom], "(?>"+body+")"...)
				j++
			} else {
				out = append(out, q...)
			}
			atom = -1
			i = j - 1
		default:
			atom = len(out)
			out = append(out, c)
		}
	}
	return string(out)
}

// quantBrace returns the length of a {m}, {m,} or {m,n} quantifier at the
// start of s, or 0.
func quantBrace(s string) int {
	k := strings.IndexByte(s, '}')
	if k < 2 {
		return 0
	}
	for _, c := range s[1:k] {
		if (c < '0' || c > '9') && c != ',' {
			return 0
		}
	}
	return k + 1
}
