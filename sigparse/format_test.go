package sigparse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/internal/golden"
)

// TestFormatGolden formats each testdata/fmt/*.rules file in its own
// dialect and converted to the other three, checks the result against
// the golden files, and checks that formatting the result again changes
// nothing (in -> out, out -> out).
func TestFormatGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/fmt/*.rules")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, in := range files {
		base := strings.TrimSuffix(in, ".rules")
		t.Run(filepath.Base(base), func(t *testing.T) {
			src, err := os.ReadFile(in)
			require.NoError(t, err)
			f, errs := ParseFile(filepath.Base(in), src, Options{})
			var eb strings.Builder
			for _, e := range errs {
				eb.WriteString(e.Error() + "\n" + Caret(e))
			}
			golden.Check(t, base+".errors.golden", []byte(eb.String()))
			for _, to := range []Dialect{DialectAuto, DialectSuricata, DialectSnort2, DialectSnort3} {
				suffix := ".golden"
				if to != DialectAuto {
					suffix = ".to-" + to.String() + ".golden"
				}
				out, err := FormatFile(f, FormatOptions{To: to})
				if err != nil {
					golden.Check(t, base+suffix, []byte("error: "+err.Error()+"\n"))
					continue
				}
				golden.Check(t, base+suffix, out)
				// Idempotence: the output, formatted in its own dialect,
				// comes back unchanged.
				g, gerrs := ParseFile("out", out, Options{Dialect: to})
				require.Equal(t, len(errs), len(gerrs), "formatting must neither add nor remove errors")
				again, err := FormatFile(g, FormatOptions{})
				require.NoError(t, err)
				assert.Equal(t, string(out), string(again), "fmt is not idempotent (to %s)", to)
				if to != DialectAuto {
					// A conversion keeps every content's buffer and modifiers.
					require.Equal(t, len(f.Rules), len(g.Rules))
					for i := range f.Rules {
						want := contentSummary(f.Rules[i])
						if to == DialectSnort3 {
							// Snort 3 has no fast_pattern:only; plain
							// fast_pattern matches the same packets.
							for k := range want {
								want[k] = strings.ReplaceAll(want[k], "fast_pattern=only", "fast_pattern")
							}
						}
						assert.Equal(t, want, contentSummary(g.Rules[i]), "sid %d to %s", f.Rules[i].SID(), to)
					}
				}
			}
		})
	}
}

func TestFormatRule(t *testing.T) {
	tests := []struct {
		name, in, want string
		to             Dialect
	}{
		{"spaces and order", `alert tcp any any -> any any ( sid : 1 ;rev:2;  content: "a b" ;msg:"m"; flow:established ; )`,
			`alert tcp any any -> any any (msg:"m"; flow:established; content:"a b"; sid:1; rev:2;)`, DialectAuto},
		{"detection order kept", `alert tcp any any -> any any (content:"b"; sid:1; content:"a"; distance:0; msg:"m";)`,
			`alert tcp any any -> any any (msg:"m"; content:"b"; content:"a"; distance:0; sid:1;)`, DialectAuto},
		{"hex kept as written", `alert tcp any any -> any any (msg:"m"; content:"|41 41|AA"; sid:1;)`,
			`alert tcp any any -> any any (msg:"m"; content:"|41 41|AA"; sid:1;)`, DialectAuto},
		{"disabled", `## alert tcp any any -> any any (msg:"m"; sid:1;)`,
			`# alert tcp any any -> any any (msg:"m"; sid:1;)`, DialectAuto},
		{"http_uri to sticky", `alert tcp any any -> any any (msg:"m"; content:"/a"; http_uri; nocase; content:"b"; sid:1;)`,
			`alert tcp any any -> any any (msg:"m"; http.uri; content:"/a"; nocase; pkt_data; content:"b"; sid:1;)`, DialectSuricata},
		{"client body to request_body", `alert tcp any any -> any any (msg:"m"; content:"x=1"; http_client_body; sid:1;)`,
			`alert tcp any any -> any any (msg:"m"; http.request_body; content:"x=1"; sid:1;)`, DialectSuricata},
		{"sticky to modifiers", `alert tcp any any -> any any (msg:"m"; http.uri; content:"/a"; content:"/b"; distance:0; http.header; content:"H"; sid:1;)`,
			`alert tcp any any -> any any (msg:"m"; content:"/a"; http_uri; content:"/b"; http_uri; distance:0; content:"H"; http_header; sid:1;)`, DialectSnort2},
		{"pcre in sticky buffer to flag", `alert tcp any any -> any any (msg:"m"; http.uri; pcre:"/a/i"; sid:1;)`,
			`alert tcp any any -> any any (msg:"m"; pcre:"/a/Ui"; sid:1;)`, DialectSnort2},
		{"to snort3", `alert tcp any any -> any any (msg:"m"; content:"/a"; http_uri; nocase; depth:4; fast_pattern; sid:1;)`,
			`alert tcp any any -> any any (msg:"m"; http_uri; content:"/a",nocase,depth 4,fast_pattern; sid:1;)`, DialectSnort3},
		{"user agent to snort3 header field", `alert tcp any any -> any any (msg:"m"; http.user_agent; content:"curl"; sid:1;)`,
			`alert tcp any any -> any any (msg:"m"; http_header:field user-agent; content:"curl"; sid:1;)`, DialectSnort3},
		{"snort3 headerless to suricata", `alert http (msg:"m"; http_uri; content:"/a",nocase; sid:1;)`,
			`alert http any any -> any any (msg:"m"; http.uri; content:"/a"; nocase; sid:1;)`, DialectSuricata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, tt.in, DialectAuto)
			got, err := Format(r, FormatOptions{To: tt.to})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			r2 := mustParse(t, got, DialectAuto)
			again, err := Format(r2, FormatOptions{})
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}
}

func TestFormatConvertErrors(t *testing.T) {
	tests := []struct {
		in   string
		to   Dialect
		want string
	}{
		{`alert http any any -> any any (msg:"m"; http.uri; content:"a"; sid:5;)`, DialectSnort2, "sid 5: cannot convert to snort2: protocol http: Snort 2 rules take tcp, udp, icmp or ip"},
		{`alert tcp any any -> any any (msg:"m"; http.user_agent; content:"a"; sid:5;)`, DialectSnort2, "sid 5: cannot convert to snort2: http.user_agent: buffer http.user_agent has no Snort 2 equivalent"},
		{`alert tcp any any -> any any (msg:"m"; http.uri; to_lowercase; content:"a"; sid:5;)`, DialectSnort3, "sid 5: cannot convert to snort3: to_lowercase: keyword exists only in Suricata"},
		{`alert tcp any any -> any any (msg:"m"; content:"a"; startswith; sid:5;)`, DialectSnort2, "sid 5: cannot convert to snort2: content: startswith/endswith exist only in Suricata"},
		{`alert tcp any any -> any any (msg:"m"; content:"a"; http_raw_cookie; sid:5;)`, DialectSuricata, "sid 5: cannot convert to suricata: content: buffer http.cookie.raw has no Suricata equivalent"},
		{`alert tcp (msg:"m"; content:"a"; service:http; sid:5;)`, DialectSuricata, "sid 5: cannot convert to suricata: service: Snort 3 service has no exact equivalent"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			r := mustParse(t, tt.in, DialectAuto)
			_, err := Format(r, FormatOptions{To: tt.to})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			var ce *ConvertError
			assert.ErrorAs(t, err, &ce)
		})
	}
}

func TestVerbatim(t *testing.T) {
	src := "alert tcp any any -> any any (msg:\"a\";  \\\n  content:\"|41 41|\"; sid:1;)\n"
	f, errs := ParseFile("v", []byte(src), Options{})
	require.Empty(t, errs)
	assert.Equal(t, strings.TrimSuffix(src, "\n"), Verbatim(f.Rules[0]))
}

func TestFormatDropsIndentation(t *testing.T) {
	src := "  alert tcp any any -> any any (msg:\"a\"; sid:1;)\n\t# alert tcp any any -> any any (msg:\"b\"; sid:2;)\n  # a comment stays as it is\n"
	f, errs := ParseFile("i", []byte(src), Options{})
	require.Empty(t, errs)
	out, err := FormatFile(f, FormatOptions{})
	require.NoError(t, err)
	assert.Equal(t, "alert tcp any any -> any any (msg:\"a\"; sid:1;)\n# alert tcp any any -> any any (msg:\"b\"; sid:2;)\n  # a comment stays as it is\n", string(out))
	assert.Equal(t, 3, f.Position(f.Rules[0].Pos).Column, "positions still point at the action")
}
