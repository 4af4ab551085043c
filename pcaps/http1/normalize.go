package http1

// NormalizeURI appends to dst the normalized form of a raw request URI, as
// Suricata 7 builds http.uri from libhtp's parsed URI with its default
// (IDS personality) decoder settings: only the path, query and fragment are
// kept (an absolute URI loses scheme and authority); the path is
// percent-decoded (%u too), backslashes become slashes, repeated slashes are
// compressed and dot-segments removed; the query and fragment are kept as
// sent.
func NormalizeURI(dst, raw []byte) []byte {
	return normalizeParts(dst, splitURI(raw))
}

func normalizeParts(dst []byte, u uriParts) []byte {
	start := len(dst)
	dst = decodePath(dst, u.path)
	dst = append(dst[:start], removeDotSegments(dst[start:])...)
	if u.hasQuery {
		dst = append(append(dst, '?'), u.query...)
	}
	if u.hasFragment {
		dst = append(append(dst, '#'), u.fragment...)
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

// decodeU maps a %uHHLL code to one byte the way libhtp's best-fit decoder
// does: U+00LL is byte LL, the fullwidth forms U+FF01-U+FF5E are their ASCII
// counterparts, anything else becomes '?'.
func decodeU(hi, lo byte) byte {
	if hi == 0 {
		return lo
	}
	if hi == 0xff && lo >= 0x01 && lo <= 0x5e {
		return lo + 0x20
	}
	return '?'
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
