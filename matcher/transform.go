package matcher

// supportedTransform reports the Suricata transforms the engine applies.
func supportedTransform(name string) bool {
	switch name {
	case "to_lowercase", "to_uppercase", "strip_whitespace", "compress_whitespace", "dotprefix", "url_decode":
		return true
	}
	return false
}

// isSpace is C isspace, which Suricata's whitespace transforms use.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// applyTransforms writes buf transformed by ts into dst (reused, so the
// hot path does not allocate once dst has grown) and returns it.
func applyTransforms(dst, buf []byte, ts []string) []byte {
	cur := append(dst[:0], buf...)
	for _, t := range ts {
		switch t {
		case "to_lowercase":
			for i, c := range cur {
				if c >= 'A' && c <= 'Z' {
					cur[i] = c + 'a' - 'A'
				}
			}
		case "to_uppercase":
			for i, c := range cur {
				if c >= 'a' && c <= 'z' {
					cur[i] = c - ('a' - 'A')
				}
			}
		case "strip_whitespace":
			n := 0
			for _, c := range cur {
				if !isSpace(c) {
					cur[n] = c
					n++
				}
			}
			cur = cur[:n]
		case "compress_whitespace":
			// Each run of whitespace becomes one space.
			n := 0
			for i := 0; i < len(cur); i++ {
				c := cur[i]
				if isSpace(c) {
					for i+1 < len(cur) && isSpace(cur[i+1]) {
						i++
					}
					c = ' '
				}
				cur[n] = c
				n++
			}
			cur = cur[:n]
		case "dotprefix":
			if len(cur) > 0 {
				cur = append(cur, 0)
				copy(cur[1:], cur)
				cur[0] = '.'
			}
		case "url_decode":
			// %HH becomes the byte, '+' a space; a malformed escape
			// stays as it is.
			n := 0
			for i := 0; i < len(cur); i++ {
				c := cur[i]
				switch {
				case c == '+':
					c = ' '
				case c == '%' && i+2 < len(cur) && hexVal(cur[i+1]) >= 0 && hexVal(cur[i+2]) >= 0:
					c = byte(hexVal(cur[i+1])<<4 | hexVal(cur[i+2]))
					i += 2
				}
				cur[n] = c
				n++
			}
			cur = cur[:n]
		}
	}
	return cur
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
