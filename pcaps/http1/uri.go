package http1

// parseRequestURI splits tx.uriRaw into its parts as libhtp's htp_parse_uri
// does, then builds the normalized URI (http.uri) and the URI's host.
func (c *Conn) parseRequestURI(tx *Tx) {
	u := splitURI(tx.uriRaw)
	if equalFold(tx.method, "CONNECT") {
		// CONNECT's target is host:port, not a URI.
		u = uriParts{hostname: tx.uriRaw, hasHost: len(tx.uriRaw) > 0}
		if h, _, ok := splitHostPort(tx.uriRaw); ok {
			u.hostname = h
		}
	}
	tx.uri = normalizeParts(nil, u)
	if u.hasHost {
		// Suricata's http.host.raw reads libhtp's parsed_uri hostname,
		// which is the normalized one: the same bytes as http.host.
		tx.host = normalizeHostname(nil, urlDecode(nil, u.hostname, true))
		tx.hostRaw = tx.host
		tx.hasHost = true
	}
}

// uriParts are the pieces of a request URI; the slices alias the raw URI.
type uriParts struct {
	scheme, userinfo, hostname, port, path, query, fragment []byte
	hasHost, hasQuery, hasFragment                          bool
}

// splitURI follows libhtp's htp_parse_uri.
func splitURI(b []byte) uriParts {
	var u uriParts
	pos := 0
	if len(b) > 0 && b[0] != '/' {
		i := 0
		for i < len(b) && b[i] != ':' {
			i++
		}
		if i < len(b) {
			u.scheme = b[:i]
			pos = i + 1
			if pos+2 < len(b)+1 && len(b) >= pos+2 && b[pos] == '/' && b[pos+1] == '/' && (pos+2 == len(b) || b[pos+2] != '/') {
				start := pos + 2
				end := start
				for end < len(b) && b[end] != '/' && b[end] != '?' && b[end] != '#' {
					end++
				}
				auth := b[start:end]
				pos = end
				for j := len(auth) - 1; j >= 0; j-- {
					if auth[j] == '@' {
						u.userinfo = auth[:j]
						auth = auth[j+1:]
						break
					}
				}
				if h, p, ok := splitHostPort(auth); ok {
					u.hostname, u.port = h, p
				} else {
					u.hostname = auth
				}
				u.hasHost = true
			}
		} else {
			pos = 0
		}
	}
	start := pos
	for pos < len(b) && b[pos] != '?' && b[pos] != '#' {
		pos++
	}
	u.path = b[start:pos]
	if pos < len(b) && b[pos] == '?' {
		pos++
		start = pos
		for pos < len(b) && b[pos] != '#' {
			pos++
		}
		u.query = b[start:pos]
		u.hasQuery = true
	}
	if pos < len(b) && b[pos] == '#' {
		u.fragment = b[pos+1:]
		u.hasFragment = true
	}
	return u
}

// splitHostPort splits "host:port" at the first colon, or "[v6]:port", as
// libhtp's htp_parse_hostport; ok is false when there is no port part.
func splitHostPort(b []byte) (host, port []byte, ok bool) {
	if len(b) > 0 && b[0] == '[' {
		for i := range b {
			if b[i] == ']' {
				if i+1 < len(b) && b[i+1] == ':' {
					return b[:i+1], b[i+2:], true
				}
				return b[:i+1], nil, false
			}
		}
		return b, nil, false
	}
	for i := range b {
		if b[i] == ':' {
			h := b[:i]
			for len(h) > 0 && isSpace(h[len(h)-1]) {
				h = h[:len(h)-1]
			}
			return h, b[i+1:], true
		}
	}
	return b, nil, false
}

// normalizeHostname lowercases a hostname and strips trailing dots, as
// libhtp's htp_normalize_hostname_inplace does.
func normalizeHostname(dst, h []byte) []byte {
	h = trimLWS(h)
	for len(h) > 0 && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	dst = dst[:0]
	for _, c := range h {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// resolveHost sets the transaction's host from the Host header when the URI
// carried none (libhtp prefers the URI's authority).
func (c *Conn) resolveHost(tx *Tx) {
	v, ok := lookup(tx.reqHeaders, "Host")
	if !ok {
		return
	}
	if tx.hostRaw == nil {
		tx.hostRaw = v
	}
	if tx.hasHost {
		return
	}
	h := trimLWS(v)
	if hh, _, ok := splitHostPort(h); ok {
		h = hh
	}
	tx.host = normalizeHostname(nil, h)
	tx.hasHost = true
}
