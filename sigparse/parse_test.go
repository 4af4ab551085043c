package sigparse

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kryptik is the analyst's rule of issue 2, as written, errors included.
const kryptik = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; reference:url,; classtype:trojan-activity; sid:x; rev:1;)`

func mustParse(t *testing.T, text string, d Dialect) *Rule {
	t.Helper()
	r, err := ParseRule(text, Options{Dialect: d})
	require.NoError(t, err)
	require.NotNil(t, r)
	return r
}

func TestKryptikSIDError(t *testing.T) {
	f, errs := ParseFile("rules/local.rules", []byte(kryptik+"\n"), Options{})
	require.Len(t, errs, 1, "only sid:x is a parse error; the empty reference is lint's business")
	e := errs[0]
	assert.Equal(t, "rules/local.rules:1:209: sid must be a positive integer, got \"x\"", e.Error())
	assert.Equal(t, 1, e.Pos.Line)
	assert.Equal(t, 209, e.Pos.Column)
	assert.Equal(t, byte('x'), kryptik[e.Pos.Offset])
	// The rule is kept, with sid marked invalid, so lint can check the rest.
	require.Len(t, f.Rules, 1)
	r := f.Rules[0]
	sid := r.Option("sid")
	require.NotNil(t, sid)
	assert.True(t, sid.Invalid)
	assert.Equal(t, 0, r.SID())
	assert.Equal(t, "ET TROJAN Win32/Kryptik.ABUD Checkin", r.Msg())
	refs := r.References()
	require.Len(t, refs, 1)
	assert.Equal(t, Reference{Scheme: "url", ID: ""}, *refs[0])
	c := r.Contents()
	require.Len(t, c, 1)
	assert.Equal(t, "http.uri", c[0].Buffer)

	// The caret block pins the column under the x.
	want := "  … hp\"; http_uri; reference:url,; classtype:trojan-activity; sid:x; rev:1;)\n" +
		"                                                                  ^\n"
	assert.Equal(t, want, Caret(e))
	caretLine := strings.Split(Caret(e), "\n")[1]
	textLine := strings.Split(Caret(e), "\n")[0]
	col := len([]rune(caretLine)) - 1
	assert.Equal(t, 'x', []rune(textLine)[col])

	_, err := ParseRule(kryptik, Options{})
	require.Error(t, err)
	assert.Equal(t, "1:209: sid must be a positive integer, got \"x\"", err.Error())
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name             string
		header           string
		src, dst         string // JSON of the parsed address
		sport, dport     string // JSON of the parsed port
		bidirectional    bool
		wantErr, errText string
	}{
		{name: "vars", header: "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS",
			src: `{"var":"HOME_NET"}`, sport: `{"any":true}`, dst: `{"var":"EXTERNAL_NET"}`, dport: `{"var":"HTTP_PORTS"}`},
		{name: "cidr and range", header: "alert udp 10.0.0.0/8 1024: <> 192.168.1.1 :1023",
			src: `{"cidr":"10.0.0.0/8"}`, sport: `{"low":1024,"high":65535}`, dst: `{"cidr":"192.168.1.1/32"}`, dport: `{"low":0,"high":1023}`, bidirectional: true},
		{name: "ipv6", header: "alert ip 2001:db8::/32 any -> ::1 53",
			src: `{"cidr":"2001:db8::/32"}`, sport: `{"any":true}`, dst: `{"cidr":"::1/128"}`, dport: `{"low":53,"high":53}`},
		{name: "nested negated lists", header: "alert tcp ![$HOME_NET,[10.0.0.0/8,!10.1.0.0/16]] [80, 443,!8080] -> any ![1:1024,$P]",
			src:   `{"negated":true,"list":[{"var":"HOME_NET"},{"list":[{"cidr":"10.0.0.0/8"},{"negated":true,"cidr":"10.1.0.0/16"}]}]}`,
			sport: `{"list":[{"low":80,"high":80},{"low":443,"high":443},{"negated":true,"low":8080,"high":8080}]}`,
			dst:   `{"any":true}`, dport: `{"negated":true,"list":[{"low":1,"high":1024},{"var":"P"}]}`},
		{name: "dotted netmask", header: "alert tcp 10.0.0.0/255.0.0.0 any -> any any",
			src: `{"cidr":"10.0.0.0/8"}`, sport: `{"any":true}`, dst: `{"any":true}`, dport: `{"any":true}`},
		{name: "bad port", header: "alert tcp any 70000 -> any any", wantErr: "1:15:", errText: `invalid port "70000"`},
		{name: "bad range", header: "alert tcp any 90:80 -> any any", wantErr: "1:15:", errText: `invalid port "90:80"`},
		{name: "bad address", header: "alert tcp 10.0.0.300 any -> any any", wantErr: "1:11:", errText: `invalid address "10.0.0.300"`},
		{name: "bad direction", header: "alert tcp any any => any any", wantErr: "1:19:", errText: `expected -> or <>`},
		{name: "unknown action", header: "alarm tcp any any -> any any", wantErr: "1:1:", errText: `unknown rule action "alarm"`},
		{name: "unterminated list", header: "alert tcp [1.1.1.1,2.2.2.2 any -> any any", wantErr: "1:11:", errText: "unterminated address list"},
		{name: "empty list item", header: "alert tcp [1.1.1.1,,2.2.2.2] any -> any any", wantErr: "1:20:", errText: "empty item in list"},
		{name: "short header", header: "alert tcp any any ->", wantErr: "1:22:", errText: "incomplete rule header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRule(tt.header+` (msg:"m"; sid:1;)`, Options{})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), tt.errText)
				assert.Nil(t, r)
				return
			}
			require.NoError(t, err)
			js := func(v any) string { b, err := json.Marshal(v); require.NoError(t, err); return string(b) }
			assert.Equal(t, tt.src, js(r.Src))
			assert.Equal(t, tt.sport, js(r.SrcPort))
			assert.Equal(t, tt.dst, js(r.Dst))
			assert.Equal(t, tt.dport, js(r.DstPort))
			assert.Equal(t, tt.bidirectional, r.Bidirectional)
		})
	}
}

func TestHeaderPositions(t *testing.T) {
	r := mustParse(t, "alert tcp [1.1.1.1, $X] any -> any any (sid:1;)", DialectAuto)
	require.Len(t, r.Src.List, 2)
	assert.Equal(t, Pos(10), r.Src.Pos)
	assert.Equal(t, Pos(11), r.Src.List[0].Pos)
	assert.Equal(t, Pos(20), r.Src.List[1].Pos)
	assert.Equal(t, netip.MustParsePrefix("1.1.1.1/32"), r.Src.List[0].Prefix)
}

func TestContentDecoding(t *testing.T) {
	tests := []struct {
		arg     string
		want    string
		negated bool
		err     string
	}{
		{arg: `"abc"`, want: "abc"},
		{arg: `"|41 42|C|0d0A|"`, want: "ABC\r\n"},
		{arg: `"a\;b\"c\\d\:e"`, want: `a;b"c\d:e`},
		{arg: `!"x"`, want: "x", negated: true},
		{arg: `! "x"`, want: "x", negated: true},
		{arg: `"|4|"`, err: "odd number of hex digits"},
		{arg: `"|4G|"`, err: "invalid hex digit"},
		{arg: `"|41"`, err: "unterminated |...| hex block"},
		{arg: `"abc`, err: "missing closing quote"},
		{arg: `""`, err: "content must not be empty"},
		{arg: `"a" x`, err: "unexpected text after the closing quote"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			text := `alert tcp any any -> any any (content:` + tt.arg + `; sid:1;)`
			f, errs := ParseFile("t.rules", []byte(text), Options{})
			require.Len(t, f.Rules, 1)
			o := f.Rules[0].Option("content")
			if tt.err != "" {
				require.NotEmpty(t, errs)
				assert.Contains(t, errs[0].Msg, tt.err)
				assert.True(t, o.Invalid)
				return
			}
			require.Empty(t, errs)
			c := o.Value.(*Content)
			assert.Equal(t, tt.want, string(c.Pattern))
			assert.Equal(t, tt.negated, c.Negated)
		})
	}
}

// contentSummary describes each content of a rule as buffer:pattern plus
// its modifiers, to compare dialects in one line.
func contentSummary(r *Rule) []string {
	var out []string
	for _, o := range r.Options {
		if p, ok := o.Value.(*PCRE); ok {
			s := p.Buffer + ":pcre /" + p.Pattern + "/"
			if p.Negated {
				s += " negated"
			}
			if p.Relative {
				s += " relative"
			}
			out = append(out, s)
		}
	}
	for _, c := range r.Contents() {
		s := c.Buffer + ":" + string(c.Pattern)
		if c.Nocase {
			s += " nocase"
		}
		for _, m := range []struct {
			k string
			v *IntOrVar
		}{{"depth", c.Depth}, {"offset", c.Offset}, {"distance", c.Distance}, {"within", c.Within}} {
			if m.v != nil {
				s += " " + m.k + "=" + m.v.String()
			}
		}
		if c.Startswith {
			s += " startswith"
		}
		if c.Endswith {
			s += " endswith"
		}
		if fp := c.FastPattern; fp != nil {
			s += " fast_pattern"
			if fp.Only {
				s += "=only"
			}
			if fp.Chop {
				s += "=" + itoa(fp.Offset) + "," + itoa(fp.Length)
			}
		}
		if len(c.Transforms) > 0 {
			s += " [" + strings.Join(c.Transforms, ",") + "]"
		}
		out = append(out, s)
	}
	return out
}

func TestContentBuffers(t *testing.T) {
	tests := []struct {
		name    string
		opts    string
		dialect Dialect // expected detected dialect
		want    []string
	}{
		{"snort2 modifiers", `content:"GET"; http_method; content:"/a"; http_uri; nocase; depth:4; content:"b"; distance:0; within:10;`,
			DialectSnort2, []string{"http.method:GET", "http.uri:/a nocase depth=4", ":b distance=0 within=10"}},
		{"uricontent", `uricontent:"/x"; nocase;`, DialectSnort2, []string{"http.uri:/x nocase"}},
		{"client body and raw modifiers", `content:"a"; http_client_body; content:"b"; http_raw_uri; content:"c"; http_server_body; content:"d"; http_stat_code;`,
			DialectSnort2, []string{"http.request_body:a", "http.uri.raw:b", "http.response_body:c", "http.stat_code:d"}},
		{"suricata sticky", `http.method; content:"POST"; http.uri; content:"/gate.php"; endswith; fast_pattern; http.user_agent; content:"Mozilla"; startswith; pkt_data; content:"z";`,
			DialectSuricata, []string{"http.method:POST", "http.uri:/gate.php endswith fast_pattern", "http.user_agent:Mozilla startswith", ":z"}},
		{"legacy sticky names", `file_data; content:"MZ"; dns_query; content:"evil"; tls_sni; content:"x.com"; http_header_names; content:"Host";`,
			DialectSuricata, []string{"file.data:MZ", "dns.query:evil", "tls.sni:x.com", "http.header_names:Host"}},
		{"transforms", `http.host; to_lowercase; dotprefix; content:".evil.com"; endswith; http.uri; content:"/x";`,
			DialectSuricata, []string{"http.host:.evil.com endswith [to_lowercase,dotprefix]", "http.uri:/x"}},
		{"transform with argument", `http.uri; xor:"0d0a"; content:"x";`,
			DialectSuricata, []string{`http.uri:x [xor:"0d0a"]`}},
		{"snort3 sticky and inline", `http_uri; content:"/a",nocase,depth 4,fast_pattern; http_header; content:"X-Y",within 20,distance 2; service:http;`,
			DialectSnort3, []string{"http.uri:/a nocase depth=4 fast_pattern", "http.header:X-Y distance=2 within=20"}},
		{"snort3 header field", `http_header:field user-agent; content:"curl"; http_header:field x-foo; content:"1"; service:http;`,
			DialectSnort3, []string{"http.user_agent:curl", "http.header:1"}},
		{"fast_pattern forms", `content:"abcd"; fast_pattern:only; content:"efgh"; fast_pattern:1,2;`,
			DialectSuricata, []string{":abcd fast_pattern=only", ":efgh fast_pattern=1,2"}},
		{"byte_extract variable", `byte_extract:2,0,len; content:"x"; distance:len; within:len;`,
			DialectSuricata, []string{":x distance=len within=len"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs := ParseFile("t.rules", []byte(`alert tcp any any -> any any (msg:"m"; `+tt.opts+` sid:1;)`), Options{})
			require.Empty(t, errs)
			assert.Equal(t, tt.dialect, f.Dialect)
			assert.Equal(t, tt.want, contentSummary(f.Rules[0]))
		})
	}
}

func TestModifierWithoutContent(t *testing.T) {
	r := mustParse(t, `alert tcp any any -> any any (nocase; depth:3; content:"a"; sid:1;)`, DialectSuricata)
	m := r.Options[0].Value.(*Modifier)
	assert.Nil(t, m.Content, "lint reports modifiers with nothing to modify")
	assert.False(t, r.Contents()[0].Nocase)
}

func TestTypedValues(t *testing.T) {
	tests := []struct {
		opt  string
		want string // JSON of the value
	}{
		{`msg:"a \"b\" \; c"`, `{"text":"a \"b\" ; c"}`},
		{`sid:2000001`, `{"n":2000001}`},
		{`rev:0`, `{"n":0}`},
		{`classtype:trojan-activity`, `{"name":"trojan-activity"}`},
		{`reference:url,example.com/a,b`, `{"scheme":"url","id":"example.com/a,b"}`},
		{`metadata:created_at 2024_01_01, former_category MALWARE,signature_severity Major`, `{"entries":[{"key":"created_at","value":"2024_01_01"},{"key":"former_category","value":"MALWARE"},{"key":"signature_severity","value":"Major"}]}`},
		{`pcre:"/^\/a(b|c)\;?/Ui"`, `{"pattern":"^\\/a(b|c)\\;?","flags":"Ui","buffer":"http.uri"}`},
		{`pcre:/one/U`, `{"pattern":"one","flags":"U","buffer":"http.uri"}`},
		{`pcre:"/^(.*)\/(\d+)/VG, flow:key,flow:value"`, `{"pattern":"^(.*)\\/(\\d+)","flags":"VG","captures":"flow:key,flow:value","buffer":"http.user_agent"}`},
		{`pcre:!"/x/R"`, `{"pattern":"x","flags":"R","negated":true,"relative":true}`},
		{`flow:established,to_server`, `{"established":true,"to_server":true,"flags":["established","to_server"]}`},
		{`flow: to_client ,stateless`, `{"stateless":true,"to_client":true,"flags":["to_client","stateless"]}`},
		{`flowbits:set,ET.a`, `{"cmd":"set","names":["ET.a"]}`},
		{`flowbits:isset,a&b`, `{"cmd":"isset","names":["a","b"],"op":"&"}`},
		{`flowbits:noalert`, `{"cmd":"noalert"}`},
		{`dsize:>100`, `{"op":">","min":100}`},
		{`dsize:10<>20`, `{"op":"<>","min":10,"max":20}`},
		{`urilen:5,raw`, `{"op":"=","min":5,"raw":true}`},
		{`bsize:<=64`, `{"op":"<=","min":64}`},
		{`isdataat:!1,relative`, `{"offset":1,"negated":true,"relative":true}`},
		{`byte_test:4,>,1000,0,relative,little`, `{"bytes":4,"op":">","value":1000,"offset":0,"relative":true,"endian":"little","flags":["relative","little"]}`},
		{`byte_test:2,!&,0x8000,2`, `{"bytes":2,"op":"&","negated":true,"value":32768,"offset":2}`},
		{`byte_jump:4,12,relative,align,post_offset -2`, `{"bytes":4,"offset":12,"relative":true,"align":true,"post_offset":-2,"flags":["relative","align","post_offset -2"]}`},
		{`byte_extract:1,0,str_len,relative`, `{"bytes":1,"offset":0,"name":"str_len","relative":true,"flags":["relative"]}`},
		{`threshold:type limit, track by_src, count 1, seconds 60`, `{"type":"limit","track":"by_src","count":1,"seconds":60}`},
		{`detection_filter:track by_dst, count 5, seconds 30`, `{"track":"by_dst","count":5,"seconds":30}`},
		{`target:dest_ip`, `{"side":"dest_ip"}`},
		{`noalert`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.opt, func(t *testing.T) {
			r := mustParse(t, `alert tcp any any -> any any (`+tt.opt+`; sid:1;)`, DialectSuricata)
			o := r.Options[0]
			require.False(t, o.Invalid)
			require.NotNil(t, o.Value)
			b, err := json.Marshal(o.Value)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))
		})
	}
}

func TestBadOptionValues(t *testing.T) {
	tests := []struct {
		opt, msg string
		col      int // column of the error in the rule
	}{
		{`sid:0`, `sid must be a positive integer, got "0"`, 35}, // the later sid:7 still counts
		{`rev:-1`, `rev must be a non-negative integer, got "-1"`, 35},
		{`flow:established,to_sever`, `unknown flow option "to_sever"`, 48},
		{`pcre:"/x/q"`, `unknown pcre flag 'q'`, 40},
		{`pcre:"x"`, `pcre pattern must start with '/'`, 36},
		{`depth:abc-1`, `depth must be an integer or a byte_extract variable, got "abc-1"`, 37},
		{`threshold:type limit, track by_src`, `threshold needs type, track, count and seconds`, 41},
		{`byte_test:4,~,1,0`, `byte_test operator must be <, >, =, <=, >=, & or ^, got "~"`, 41},
		{`dsize:1<>x`, `dsize must be N, <N, >N, <=N, >=N, !N or N<>M, got "1<>x"`, 37},
		{`msg:"abc`, `msg must be a quoted string, got "abc`, 35},
		{`nocase:1`, `nocase takes no argument`, 38},
		{`flowbits:frob,a`, `unknown flowbits command "frob"`, 40},
		{`bad name:1`, `invalid option name "bad name"`, 31},
	}
	for _, tt := range tests {
		t.Run(tt.opt, func(t *testing.T) {
			text := `alert tcp any any -> any any (` + tt.opt + `; msg:"after"; sid:7;)`
			f, errs := ParseFile("f.rules", []byte(text), Options{})
			require.Len(t, errs, 1)
			assert.Equal(t, tt.msg, errs[0].Msg)
			assert.Equal(t, tt.col, errs[0].Pos.Column, "column")
			// The rule stays, with the remaining options read.
			require.Len(t, f.Rules, 1)
			assert.Equal(t, 7, f.Rules[0].SID())
			assert.True(t, f.Rules[0].Options[0].Invalid)
		})
	}
}

func TestUnknownKeywordsAreKept(t *testing.T) {
	r := mustParse(t, `alert tls any any -> any any (msg:"m"; tls.version:1.2; ja3.hash; content:"abc"; ssl_state:client_hello; xyz_future:1,2; sid:5;)`, DialectAuto)
	var names []string
	for _, o := range r.Options {
		names = append(names, o.Name)
		assert.False(t, o.Invalid, o.Name)
	}
	assert.Equal(t, []string{"msg", "tls.version", "ja3.hash", "content", "ssl_state", "xyz_future", "sid"}, names)
	assert.Nil(t, r.Option("xyz_future").Value)
	assert.Equal(t, "1,2", r.Option("xyz_future").Arg)
	assert.Equal(t, "ja3.hash", r.Contents()[0].Buffer)
}

func TestContinuationAndDisabled(t *testing.T) {
	src := "# Copyright line: not a rule\n" +
		"alert tcp any any -> any any (msg:\"one\"; \\\n" +
		"    content:\"abc\"; \\\n" +
		"    sid:x; rev:1;)\n" +
		"\n" +
		"#alert tcp any any -> any any (msg:\"two\"; sid:2; rev:1;)\n" +
		"## alert tcp any any -> any any (msg:\"three\"; sid:bad;)\n" +
		"# alert me when this is done (later)\n"
	f, errs := ParseFile("c.rules", []byte(src), Options{})
	require.Len(t, f.Rules, 3)
	require.Len(t, errs, 2)
	// The error in the continued rule points at the physical line 4.
	assert.Equal(t, "c.rules:4:9: sid must be a positive integer, got \"x\"", errs[0].Error())
	assert.Equal(t, "    sid:x; rev:1;)", errs[0].Line)
	assert.False(t, errs[0].InDisabled)
	assert.True(t, errs[1].InDisabled)
	assert.Equal(t, 7, errs[1].Pos.Line)
	assert.Equal(t, 51, errs[1].Pos.Column)

	r := f.Rules[0]
	assert.False(t, r.Disabled)
	assert.Equal(t, "alert tcp any any -> any any (msg:\"one\"; \\\n    content:\"abc\"; \\\n    sid:x; rev:1;)", r.Raw)
	assert.Equal(t, 3, f.Position(r.Option("content").Pos).Line)
	assert.Equal(t, 5, f.Position(r.Option("content").Pos).Column)
	assert.True(t, f.Rules[1].Disabled)
	assert.Equal(t, 2, f.Rules[1].SID())
	assert.True(t, f.Rules[2].Disabled)
	require.Len(t, f.Comments, 2)
	assert.Equal(t, "# Copyright line: not a rule", f.Comments[0].Text)
	assert.Equal(t, "# alert me when this is done (later)", f.Comments[1].Text)
}

func TestDisabledContinuation(t *testing.T) {
	src := "#alert tcp any any -> any any (msg:\"x\"; \\\n#    content:\"abc\"; sid:9;)\n"
	f, errs := ParseFile("d.rules", []byte(src), Options{})
	require.Empty(t, errs)
	require.Len(t, f.Rules, 1)
	assert.True(t, f.Rules[0].Disabled)
	assert.Equal(t, 9, f.Rules[0].SID())
	assert.Equal(t, 2, f.Position(f.Rules[0].Option("content").Pos).Line)
}

func TestRuleLevelErrorsKeepGoing(t *testing.T) {
	src := "alert tcp any any -> any any (msg:\"a\"; sid:1;\n" + // missing ')'
		"alert tcp any any -> any any msg:\"b\"; sid:2;)\n" + // missing '('
		"alert tcp any any -> any any (msg:\"c\"; sid:3;) trailing\n" +
		"alert tcp any any -> any any (msg:\"d\"; sid:4;)\n"
	f, errs := ParseFile("k.rules", []byte(src), Options{})
	require.Len(t, errs, 3)
	assert.Equal(t, "k.rules:1:46: missing ')' at the end of the rule", errs[0].Error())
	assert.Equal(t, "k.rules:2:30: expected '(' to start the rule options", errs[1].Error())
	assert.Equal(t, "k.rules:3:48: unexpected text after the closing ')'", errs[2].Error())
	require.Len(t, f.Rules, 1)
	assert.Equal(t, 4, f.Rules[0].SID())
}

func TestAccessors(t *testing.T) {
	r := mustParse(t, `alert tcp any any -> any any (msg:"m"; metadata:a 1, b 2; reference:cve,2024-1; gid:3; priority:2; reference:url,x.org; metadata:c 3; sid:10; rev:4;)`, DialectAuto)
	assert.Equal(t, 10, r.SID())
	assert.Equal(t, 3, r.GID())
	assert.Equal(t, 4, r.Rev())
	assert.Equal(t, 2, r.Priority())
	assert.Equal(t, []MetaEntry{{"a", "1"}, {"b", "2"}, {"c", "3"}}, r.Metadata())
	assert.Len(t, r.References(), 2)
	r2 := mustParse(t, `alert tcp any any -> any any (sid:1;)`, DialectAuto)
	assert.Equal(t, 1, r2.GID(), "gid defaults to 1")
}

func TestDialectOption(t *testing.T) {
	// The same words mean different things in Snort 3: http_uri selects
	// the buffer for the content after it.
	opts := `content:"a"; http_uri; content:"b";`
	s2 := mustParse(t, `alert tcp any any -> any any (`+opts+` sid:1;)`, DialectSnort2)
	s3 := mustParse(t, `alert tcp any any -> any any (`+opts+` sid:1;)`, DialectSnort3)
	assert.Equal(t, []string{"http.uri:a", ":b"}, contentSummary(s2))
	assert.Equal(t, []string{":a", "http.uri:b"}, contentSummary(s3))
}

func TestDetectDialect(t *testing.T) {
	tests := []struct {
		name, src string
		want      Dialect
	}{
		{"no signal defaults to suricata", `alert tcp any any -> any any (content:"a"; sid:1;)`, DialectSuricata},
		{"snort2 modifiers", `alert tcp any any -> any any (content:"a"; http_uri; sid:1;)`, DialectSnort2},
		{"one odd rule in a snort2 file", "alert tcp any any -> any any (content:\"a\"; http_uri; sid:1;)\n" +
			"alert tcp any any -> any any (content:\"a\"; http_header; sid:2;)\n" +
			"alert tcp any any -> any any (http_uri; sid:3;)\n", DialectSnort2},
		{"sticky buffers", `alert tcp any any -> any any (http.uri; content:"a"; pkt_data; content:"b"; http_header; sid:1;)`, DialectSuricata},
		{"snort3 service", `alert tcp any any -> any any (content:"a"; service:http; sid:1;)`, DialectSnort3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs := ParseFile("d", []byte(tt.src), Options{})
			require.Empty(t, errs)
			assert.Equal(t, tt.want, f.Dialect)
		})
	}
}

func TestSnort3Headerless(t *testing.T) {
	f, errs := ParseFile("s3.rules", []byte(`alert http (msg:"x"; http_uri; content:"/a",nocase; sid:1;)`+"\n"), Options{})
	require.Empty(t, errs)
	assert.Equal(t, DialectSnort3, f.Dialect)
	r := f.Rules[0]
	assert.Nil(t, r.Src)
	assert.Equal(t, "http", r.Protocol)
	assert.Equal(t, []string{"http.uri:/a nocase"}, contentSummary(r))
}

func TestNeverPanics(t *testing.T) {
	for _, s := range []string{
		"", "(", ")", "alert", "alert tcp", "alert tcp (", "alert tcp ()", "#", "# alert tcp a b -> c d (",
		"alert tcp any any -> any any (;;;)", "alert tcp any any -> any any (:)", "alert tcp any any -> any any (content:\"\\",
		"alert tcp [[[ any -> any any ()", "alert tcp any any -> any any (pcre:\"/\";)", "\\\n\\\n", "alert tcp any any -> any any (msg:\"\\\\\";)",
		"alert tcp any any -> any any (content:\"a\"; byte_test:; byte_jump:; isdataat:; urilen:,; threshold:; flowbits:;)",
	} {
		assert.NotPanics(t, func() { ParseFile("p", []byte(s), Options{}) }, s)
	}
}

func TestSuricataModifierAfterStickyBuffer(t *testing.T) {
	src := `alert http any any -> any any (msg:"m"; file.data; content:"filename="; http_header; sid:1;)`
	_, err := ParseRule(src, Options{Dialect: DialectSuricata})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1:73: http_header modifier after sticky buffer file.data: Suricata rejects this")
	_, err = ParseRule(`alert http any any -> any any (msg:"m"; file.data; pcre:"/x/H"; sid:1;)`, Options{Dialect: DialectSuricata})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1:61: pcre flag 'H' selects http.header inside sticky buffer file.data: Suricata rejects this")
	// A flag that names the sticky buffer itself is accepted (ET Open does it).
	mustParse(t, `alert http any any -> any any (msg:"m"; http.uri; content:"a="; pcre:"/^\d+/UR"; sid:1;)`, DialectSuricata)
	// Snort 2 reads it: the modifier names the content's buffer.
	r := mustParse(t, src, DialectSnort2)
	assert.Equal(t, []string{"http.header:filename="}, contentSummary(r))
}

func TestMissingFinalSemicolon(t *testing.T) {
	src := `alert tcp any any -> any any (msg:"m"; sid:1)`
	_, err := ParseRule(src, Options{Dialect: DialectSuricata})
	require.Error(t, err)
	assert.Equal(t, "1:45: missing ';' after the last option: Suricata rejects the rule", err.Error())
	// Snort accepts it.
	r := mustParse(t, src, DialectSnort2)
	assert.Equal(t, 1, r.SID())
}

func TestSnort3MultiLineRule(t *testing.T) {
	src := "alert http\n(\n    msg:\"multi\";\n    http_uri; content:\"/x\",nocase;\n    service:http;\n    sid:5; rev:x;\n)\nalert tcp any any -> any any (msg:\"next\"; sid:6;)\n"
	f, errs := ParseFile("m.rules", []byte(src), Options{})
	require.Len(t, f.Rules, 2)
	require.Len(t, errs, 1)
	assert.Equal(t, "m.rules:6:16: rev must be a non-negative integer, got \"x\"", errs[0].Error())
	r := f.Rules[0]
	assert.Equal(t, 5, r.SID())
	assert.Equal(t, []string{"http.uri:/x nocase"}, contentSummary(r))
	assert.Equal(t, 4, f.Position(r.Option("content").Pos).Line)
	assert.Equal(t, 6, f.Rules[1].SID())
	out, err := FormatFile(f, FormatOptions{})
	require.NoError(t, err)
	assert.Equal(t, "alert http (msg:\"multi\"; http_uri; content:\"/x\",nocase; service:http; sid:5; rev:x;)\nalert tcp any any -> any any (msg:\"next\"; sid:6;)\n", string(out))
}
