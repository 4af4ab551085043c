package http1

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// bestFit maps a code point to one byte as libhtp's best-fit conversion
// does (Windows-1252 best fit, '?' when there is none). libhtp ships
// Microsoft's bestfit1252 table; it is derived here from Unicode data
// instead: a code point Windows-1252 encodes directly maps to that byte,
// otherwise its compatibility decomposition's first character does (so the
// fullwidth 'Ａ' U+FF21 and 'Ā' U+0100 both become 'A').
func bestFit(r rune) byte {
	if r < 0x100 {
		return byte(r)
	}
	if r > 0xffff {
		return '?'
	}
	if b, ok := charmap.Windows1252.EncodeRune(r); ok {
		return b
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFKD.Append(nil, buf[:n]...)
	if first, _ := utf8.DecodeRune(d); first != utf8.RuneError && first != r {
		if first < 0x80 {
			return byte(first)
		}
		if b, ok := charmap.Windows1252.EncodeRune(first); ok {
			return b
		}
	}
	return '?'
}

// utf8BestFit converts UTF-8 sequences in p to single bytes in place, as
// libhtp's htp_utf8_decode_path_inplace: overlong forms are accepted (so
// %C0%AF is '/'), a valid multi-byte character becomes its best-fit byte, and
// an invalid sequence becomes '?'; a sequence cut off by the end of the path
// is dropped. It returns the shortened slice.
func utf8BestFit(p []byte) []byte {
	w := 0
	i := 0
	for i < len(p) {
		c := p[i]
		var need int
		var cp rune
		switch {
		case c < 0x80:
			p[w] = c
			w++
			i++
			continue
		case c >= 0xc0 && c <= 0xdf:
			need, cp = 1, rune(c&0x1f)
		case c >= 0xe0 && c <= 0xef:
			need, cp = 2, rune(c&0x0f)
		case c >= 0xf0 && c <= 0xf4 && !(c == 0xf4 && i+1 < len(p) && p[i+1] > 0x8f):
			need, cp = 3, rune(c&0x07)
		default:
			// A continuation byte, 0xf5-0xff, or a code point beyond
			// U+10FFFF cannot start a character.
			p[w] = '?'
			w++
			i++
			continue
		}
		j := i + 1
		for ; j < len(p) && j <= i+need; j++ {
			if p[j]&0xc0 != 0x80 {
				break
			}
			cp = cp<<6 | rune(p[j]&0x3f)
		}
		switch {
		case j == i+need+1:
			p[w] = bestFit(cp)
			w++
			i = j
		case j == len(p):
			// Truncated at the end: libhtp's loop ends mid-character.
			i = j
		default:
			// The byte at j does not continue the sequence: one '?' for
			// the bytes so far, then j starts the next character.
			p[w] = '?'
			w++
			i = j
		}
	}
	return p[:w]
}
