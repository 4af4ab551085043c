package http1

// NormalizeURI appends to dst the normalized form of a raw request URI, as
// Suricata 7 builds http.uri: libhtp's normalized URI (IDS personality, with
// Suricata's override that keeps the path's case) without scheme and
// authority, and with the query URL-decoded (SCHTPGenerateNormalizedUri).
//
// The path is percent-decoded (%uHHHH too, with best-fit mapping), invalid
// encodings keep their '%', backslashes become slashes, runs of slashes are
// compressed, UTF-8 is converted to single bytes by best fit (invalid UTF-8
// becomes '?'), and dot-segments are removed. The query has %HH decoded
// ('+' stays), the fragment %HH and %uHHHH.
func NormalizeURI(dst, raw []byte) []byte {
	return normalizeParts(dst, splitURI(raw))
}

func normalizeParts(dst []byte, u uriParts) []byte {
	start := len(dst)
	dst = decodePath(dst, u.path)
	dst = append(dst[:start], utf8BestFit(dst[start:])...)
	dst = append(dst[:start], removeDotSegments(dst[start:])...)
	if u.hasQuery {
		dst = urlDecode(append(dst, '?'), u.query, false)
	}
	if u.hasFragment {
		dst = urlDecode(append(dst, '#'), u.fragment, true)
	}
	return dst
}

// urlDecode appends src with %HH (and, with uDecode, %uHHHH) decoded and
// invalid encodings left as they are (libhtp's htp_urldecode_inplace with
// PRESERVE_PERCENT; Suricata turns '+' decoding off).
func urlDecode(dst, src []byte, uDecode bool) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		if c == '%' && i+2 < len(src) {
			switch {
			case uDecode && (src[i+1] == 'u' || src[i+1] == 'U'):
				if i+5 < len(src) && isHex(src[i+2]) && isHex(src[i+3]) && isHex(src[i+4]) && isHex(src[i+5]) {
					c = decodeU(x2c(src[i+2:]), x2c(src[i+4:]))
					i += 6
				} else {
					i++
				}
			case isHex(src[i+1]) && isHex(src[i+2]):
				c = x2c(src[i+1:])
				i += 3
			default:
				i++
			}
		} else {
			i++
		}
		dst = append(dst, c)
	}
	return dst
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func x2c(b []byte) byte { return unhex(b[0])<<4 | unhex(b[1]) }

// decodePath follows libhtp's htp_decode_path_inplace with the IDS
// personality: %XX and %uXXXX decoded, invalid encodings left as they are
// (the percent preserved), encoded slashes decoded, backslashes converted
// to slashes and runs of slashes compressed.
func decodePath(dst, p []byte) []byte {
	prevSlash := false
	for i := 0; i < len(p); {
		c := p[i]
		if c == '%' {
			switch {
			case i+5 < len(p) && (p[i+1] == 'u' || p[i+1] == 'U') &&
				isHex(p[i+2]) && isHex(p[i+3]) && isHex(p[i+4]) && isHex(p[i+5]):
				c = decodeU(x2c(p[i+2:]), x2c(p[i+4:]))
				i += 6
			case i+2 < len(p) && (p[i+1] == 'u' || p[i+1] == 'U'):
				i++ // invalid %u: keep the percent
			case i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
				c = x2c(p[i+1:])
				i += 3
			default:
				i++ // invalid or truncated: keep the percent
			}
		} else {
			i++
		}
		if c == '\\' {
			c = '/'
		}
		if c == '/' {
			if prevSlash {
				continue
			}
			prevSlash = true
		} else {
			prevSlash = false
		}
		dst = append(dst, c)
	}
	return dst
}

// decodeU maps a %uHHLL code to one byte the way libhtp does: U+00LL is
// byte LL, anything else goes through the best-fit map.
func decodeU(hi, lo byte) byte {
	if hi == 0 {
		return lo
	}
	return bestFit(rune(hi)<<8 | rune(lo))
}

// removeDotSegments resolves "." and ".." path segments in place (RFC 3986
// section 5.2.4, as libhtp's htp_normalize_uri_path_inplace) and returns the
// shortened slice.
func removeDotSegments(p []byte) []byte {
	in := p
	out := p[:0]
	for len(in) > 0 {
		switch {
		case hasPrefix(in, "../"):
			in = in[3:]
		case hasPrefix(in, "./"):
			in = in[2:]
		case hasPrefix(in, "/./"):
			in = in[2:]
		case string(in) == "/.":
			in = in[:1]
			in[0] = '/'
		case hasPrefix(in, "/../"):
			in = in[3:]
			out = dropLastSegment(out)
		case string(in) == "/..":
			in = in[2:]
			in[0] = '/'
			out = dropLastSegment(out)
		case string(in) == "." || string(in) == "..":
			in = in[:0]
		default:
			j := 0
			if in[0] == '/' {
				j = 1
			}
			for j < len(in) && in[j] != '/' {
				j++
			}
			// out never overtakes in: both index the same array.
			out = append(out, in[:j]...)
			in = in[j:]
		}
	}
	return out
}

func dropLastSegment(out []byte) []byte {
	i := len(out) - 1
	for i >= 0 && out[i] != '/' {
		i--
	}
	if i < 0 {
		return out[:0]
	}
	return out[:i]
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}
