package sigparse

import (
	"strconv"
	"strings"
)

// snort2Modifiers are the buffers Snort 2.9 writes as a modifier after
// the content, by canonical name.
var snort2Modifiers = map[string]string{
	"http.uri":          "http_uri",
	"http.uri.raw":      "http_raw_uri",
	"http.method":       "http_method",
	"http.header":       "http_header",
	"http.header.raw":   "http_raw_header",
	"http.cookie":       "http_cookie",
	"http.cookie.raw":   "http_raw_cookie",
	"http.request_body": "http_client_body",
	"http.stat_code":    "http_stat_code",
	"http.stat_msg":     "http_stat_msg",
}

// snort3Sticky are the buffers Snort 3 selects with a keyword before the
// content, by canonical name.
var snort3Sticky = map[string]string{
	"":                  "pkt_data",
	"file.data":         "file_data",
	"dcerpc.stub_data":  "dce_stub_data",
	"http.uri":          "http_uri",
	"http.uri.raw":      "http_raw_uri",
	"http.method":       "http_method",
	"http.header":       "http_header",
	"http.header.raw":   "http_raw_header",
	"http.cookie":       "http_cookie",
	"http.cookie.raw":   "http_raw_cookie",
	"http.request_body": "http_client_body",
	"http.stat_code":    "http_stat_code",
	"http.stat_msg":     "http_stat_msg",
}

// snort2PCREFlags are the pcre buffer flags Snort 2.9 knows.
var snort2PCREFlags = map[string]byte{
	"http.uri": 'U', "http.uri.raw": 'I', "http.request_body": 'P', "http.header": 'H',
	"http.header.raw": 'D', "http.method": 'M', "http.cookie": 'C', "http.cookie.raw": 'K',
	"http.stat_code": 'S', "http.stat_msg": 'Y',
}

// suricataBuffers are canonical names that are not Suricata 7 buffers.
var notSuricataBuffers = map[string]bool{"http.cookie.raw": true}

// convert returns r's options rewritten for dialect to. Contents are
// re-emitted with their modifiers right after them, and the buffer they
// apply to is written the way the target dialect writes it.
func convert(r *Rule, to Dialect) ([]*Option, error) {
	fail := func(opt, reason string) ([]*Option, error) {
		return nil, &ConvertError{SID: r.SID(), Option: opt, To: to, Reason: reason}
	}
	if to == DialectSnort2 && r.Src != nil && !isSnort2Proto(r.Protocol) {
		return fail("protocol "+r.Protocol, "Snort 2 rules take tcp, udp, icmp or ip; write the app-layer protocol as a flow and content match instead")
	}
	folded := map[*Option]bool{}
	for _, c := range r.Contents() {
		for _, m := range c.Modifiers {
			folded[m] = true
		}
	}
	var out []*Option
	emit := func(name string, arg string, hasArg bool) {
		out = append(out, &Option{Name: name, Arg: arg, HasArg: hasArg, Pos: NoPos, ArgPos: NoPos, End: NoPos})
	}
	cur := "" // the buffer the target's sticky keyword currently selects
	selectBuffer := func(opt, b string) ([]*Option, error) {
		if b == cur {
			return nil, nil
		}
		switch to {
		case DialectSuricata:
			if notSuricataBuffers[b] || strings.HasPrefix(b, "http_") || b == "raw_data" || b == "js_data" || b == "vba_data" {
				return fail(opt, "buffer "+b+" has no Suricata equivalent")
			}
			if b == "" {
				emit("pkt_data", "", false)
			} else {
				emit(b, "", false)
			}
		case DialectSnort3:
			if k, ok := snort3Sticky[b]; ok {
				emit(k, "", false)
				break
			}
			field := ""
			for f, fb := range snort3HeaderFields {
				if fb == b {
					field = f
				}
			}
			if field == "" {
				return fail(opt, "buffer "+b+" has no Snort 3 equivalent")
			}
			// Snort 3 selects a single header with http_header:field.
			emit("http_header", "field "+field, true)
		case DialectSnort2:
			switch b {
			case "file.data":
				emit("file_data", "", false)
			case "":
				emit("pkt_data", "", false)
			default:
				return fail(opt, "buffer "+b+" has no Snort 2 equivalent")
			}
		}
		cur = b
		return nil, nil
	}
	for _, o := range r.Options {
		if folded[o] {
			continue
		}
		if o.Invalid {
			return fail(o.Name, "its value is invalid: "+o.Err.Msg)
		}
		switch v := o.Value.(type) {
		case *Content:
			buf := v.Buffer
			mod := ""
			if to == DialectSnort2 {
				if m, ok := snort2Modifiers[buf]; ok {
					// The modifier names the buffer itself; the sticky
					// selection stays as it is.
					mod, buf = m, cur
				}
			}
			if _, err := selectBuffer(o.Name, buf); err != nil {
				return nil, err
			}
			if err := emitContent(v, o, to, mod, emit); err != nil {
				return fail(o.Name, err.Error())
			}
		case *StickyBuffer:
			if to == DialectSnort2 {
				// Re-emitted per content as modifiers or file_data.
				if _, ok := snort2Modifiers[v.Name]; ok || v.Name == "file.data" || v.Name == "" {
					continue
				}
				return fail(o.Name, "buffer "+v.Name+" has no Snort 2 equivalent")
			}
			if _, err := selectBuffer(o.Name, v.Name); err != nil {
				return nil, err
			}
		case *Modifier:
			// A modifier with no content before it: keep it as written.
			if v.Buffer != "" && to == DialectSnort3 {
				return fail(o.Name, "modifier has no content to apply to")
			}
			emit(o.Name, o.Arg, o.HasArg)
		case *PCRE:
			arg := o.Arg
			flagged := false
			for i := 0; i < len(v.Flags); i++ {
				if _, ok := pcreBufferFlags[v.Flags[i]]; ok {
					flagged = true
				}
			}
			switch {
			case to == DialectSnort2 && !flagged && v.Buffer != "" && v.Buffer != "file.data":
				f, ok := snort2PCREFlags[v.Buffer]
				if !ok {
					return fail(o.Name, "buffer "+v.Buffer+" has no Snort 2 pcre flag")
				}
				// Add the buffer flag after the closing '/'.
				i := strings.LastIndexByte(arg, '/')
				arg = arg[:i+1] + string(f) + arg[i+1:]
			case to == DialectSnort2 && flagged:
				// Snort 2 reads the flag as Suricata does.
			default:
				// Suricata and Snort 3 select the buffer with a sticky
				// keyword; a buffer flag inside a sticky buffer is an
				// error in Suricata and unsupported in Snort 3.
				if flagged {
					i := strings.LastIndexByte(arg, '/')
					var flags strings.Builder
					for _, c := range []byte(v.Flags) {
						if _, ok := pcreBufferFlags[c]; !ok {
							flags.WriteByte(c)
						}
					}
					arg = arg[:i+1] + flags.String() + arg[i+1+len(v.Flags):]
				}
				if _, err := selectBuffer(o.Name, v.Buffer); err != nil {
					return nil, err
				}
			}
			if len(v.Transforms) > 0 && to != DialectSuricata {
				return fail(o.Name, "transforms exist only in Suricata")
			}
			emit(o.Name, arg, true)
		case *Transform, *Bsize, *Target:
			if to != DialectSuricata {
				return fail(o.Name, "keyword exists only in Suricata")
			}
			emit(o.Name, o.Arg, o.HasArg)
		case *Flag:
			if o.Name == "noalert" && to != DialectSuricata {
				emit("flowbits", "noalert", true)
				continue
			}
			emit(o.Name, o.Arg, o.HasArg)
		case *Service:
			if to != DialectSnort3 {
				return fail(o.Name, "Snort 3 service has no exact equivalent; use an app-layer protocol in the header")
			}
			emit(o.Name, o.Arg, o.HasArg)
		default:
			if o.Name == "uricontent" {
				return fail(o.Name, "unreadable uricontent")
			}
			emit(o.Name, o.Arg, o.HasArg)
		}
	}
	return out, nil
}

func isSnort2Proto(p string) bool {
	switch strings.ToLower(p) {
	case "tcp", "udp", "icmp", "ip":
		return true
	}
	return false
}

// emitContent writes content c (option o) and its modifiers for dialect to;
// mod is a Snort 2 buffer modifier to write after it.
func emitContent(c *Content, o *Option, to Dialect, mod string, emit func(string, string, bool)) error {
	pat := contentText(o.Arg)
	if !strings.HasPrefix(strings.TrimLeft(strings.TrimPrefix(pat, "!"), " \t"), "\"") {
		// Snort 2 allowed content:abc; every target writes the quotes
		// (Snort 3 needs them before its inline modifiers).
		pat = "\"" + EscapeContent(c.Pattern) + "\""
		if c.Negated {
			pat = "!" + pat
		}
	}
	iv := func(v *IntOrVar) string { return v.String() }
	if to == DialectSnort3 {
		if c.Rawbytes {
			return errString("rawbytes has no Snort 3 equivalent (use raw_data)")
		}
		if c.Startswith || c.Endswith {
			return errString("startswith/endswith exist only in Suricata")
		}
		if len(c.Transforms) > 0 {
			return errString("transforms exist only in Suricata")
		}
		var b strings.Builder
		b.WriteString(pat)
		add := func(s string) { b.WriteByte(','); b.WriteString(s) }
		if c.Nocase {
			add("nocase")
		}
		for _, m := range []struct {
			k string
			v *IntOrVar
		}{{"depth", c.Depth}, {"offset", c.Offset}, {"distance", c.Distance}, {"within", c.Within}} {
			if m.v != nil {
				add(m.k + " " + iv(m.v))
			}
		}
		if fp := c.FastPattern; fp != nil {
			add("fast_pattern")
			if fp.Chop {
				add("fast_pattern_offset " + strconv.Itoa(fp.Offset))
				add("fast_pattern_length " + strconv.Itoa(fp.Length))
			}
		}
		emit("content", b.String(), true)
		return nil
	}
	if to == DialectSnort2 && (c.Startswith || c.Endswith) {
		return errString("startswith/endswith exist only in Suricata")
	}
	emit("content", pat, true)
	if mod != "" {
		emit(mod, "", false)
	}
	if c.Nocase {
		emit("nocase", "", false)
	}
	if c.Rawbytes {
		emit("rawbytes", "", false)
	}
	for _, m := range []struct {
		k string
		v *IntOrVar
	}{{"depth", c.Depth}, {"offset", c.Offset}, {"distance", c.Distance}, {"within", c.Within}} {
		if m.v != nil {
			emit(m.k, iv(m.v), true)
		}
	}
	if c.Startswith {
		emit("startswith", "", false)
	}
	if c.Endswith {
		emit("endswith", "", false)
	}
	if fp := c.FastPattern; fp != nil {
		switch {
		case fp.Only:
			emit("fast_pattern", "only", true)
		case fp.Chop:
			emit("fast_pattern", strconv.Itoa(fp.Offset)+","+strconv.Itoa(fp.Length), true)
		default:
			emit("fast_pattern", "", false)
		}
	}
	return nil
}

// contentText returns the [!]"..." part of a content argument, without
// Snort 3 inline modifiers.
func contentText(arg string) string {
	_, _, rest, _, _ := decodeContent(arg)
	return strings.TrimSpace(arg[:len(arg)-len(rest)])
}

type errString string

func (e errString) Error() string { return string(e) }
