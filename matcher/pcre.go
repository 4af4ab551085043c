package matcher

import (
	"fmt"
	"regexp"
	"strings"
	"time"

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
	// anchored: the pattern only matches at the start of the subject
	// (leading ^ without m, or flag A).
	anchored bool
	bt       *regexp2.Regexp
	negated  bool
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
	p.anchored = anchored || strings.HasPrefix(pattern, "^") && !strings.ContainsRune(flags, 'm')
	body := pattern
	if anchored {
		body = `\A(?:` + body + `)`
	}
	needBT := extended || hasHighByte(pattern) || needsBacktracking(pattern)
	if !needBT {
		prefix := goFlags.String()
		if ungreedy {
			prefix += "U"
		}
		src := body
		if prefix != "" {
			src = "(?" + prefix + ")" + body
		}
		if re, err := regexp.Compile(src); err == nil {
			p.re2 = re
			return p, nil
		}
	}
	if ungreedy {
		return nil, fmt.Errorf("pcre flag G with a pattern RE2 cannot run is not supported")
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

// find looks for the pattern in buf[base:], the subject Suricata hands
// pcre (for relative pcre it starts after the previous match), from
// subject offset from-base on. It returns absolute offsets.
func (p *pcreProg) find(buf []byte, base, from int) (int, int, bool) {
	if p.re2 != nil {
		if from > base && p.anchored {
			// Another match of an anchored pattern cannot start
			// later in the subject.
			return 0, 0, false
		}
		loc := p.re2.FindIndex(buf[from:])
		if loc == nil {
			return 0, 0, false
		}
		return from + loc[0], from + loc[1], true
	}
	runes := make([]rune, len(buf)-base)
	for i, c := range buf[base:] {
		runes[i] = rune(c)
	}
	m, err := p.bt.FindRunesMatchStartingAt(runes, from-base)
	if err != nil || m == nil {
		return 0, 0, false
	}
	return base + m.Index, base + m.Index + m.Length, true
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
