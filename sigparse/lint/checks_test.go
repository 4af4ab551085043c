package lint

import (
	"strings"
	"testing"

	"github.com/sigtool/sigtool/sigparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goodRule passes every check, ET style included. Each case below changes
// one part of it.
const goodRule = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET MALWARE Kryptik Checkin"; flow:established,to_server; http.uri; content:"/imagedump/image.php"; reference:url,example.com/x; classtype:trojan-activity; sid:1000001; rev:1; metadata:created_at 2024_04_01, updated_at 2024_04_01;)`

// with returns goodRule with old replaced by new (old must occur).
func with(t *testing.T, old, new string) string {
	t.Helper()
	require.Contains(t, goodRule, old)
	return strings.Replace(goodRule, old, new, 1)
}

func lintSrc(t *testing.T, src string, style Style) *Result {
	t.Helper()
	f, _ := sigparse.ParseFile("t.rules", []byte(src), sigparse.Options{})
	return Check([]*sigparse.File{f}, Options{Style: style})
}

func codes(res *Result) []string {
	var cs []string
	for _, d := range res.Diagnostics {
		cs = append(cs, d.Code)
	}
	return cs
}

func TestGoodRuleIsQuiet(t *testing.T) {
	for _, style := range []Style{StyleNone, StyleET} {
		res := lintSrc(t, goodRule+"\n", style)
		assert.Empty(t, codes(res), "style %q", style)
		assert.Equal(t, Summary{Files: 1, Rules: 1}, res.Summary)
	}
}

// Each check fires on its bad rule and stays quiet on its good one (a
// near neighbour, so the test shows the exact boundary).
func TestChecks(t *testing.T) {
	tests := []struct {
		code      string
		bad, good string
		line, col int // where the diagnostic must point (0: not checked)
	}{
		{"parse-error", "alert tcp any any -> (msg:\"x\"; sid:1; rev:1;)", goodRule, 1, 22},
		{"option-invalid", with(t, "flow:established,to_server", "flow:establishd,to_server"), goodRule, 1, 0},
		{"sid-missing", with(t, "sid:1000001; ", ""), goodRule, 1, 1},
		{"sid-invalid", with(t, "sid:1000001", "sid:x"), goodRule, 1, 0},
		{"sid-duplicate", goodRule + "\n" + goodRule, goodRule + "\n" + with(t, "sid:1000001", "sid:1000002"), 2, 0},
		{"sid-duplicate", goodRule + "\n" + with(t, "msg:", "gid:1; msg:"), goodRule + "\n" + with(t, "msg:", "gid:3; msg:"), 2, 0},
		{"msg-missing", with(t, `msg:"ET MALWARE Kryptik Checkin"; `, ""), goodRule, 1, 1},
		{"rev-missing", with(t, "rev:1; ", ""), goodRule, 1, 1},
		{"classtype-unknown", with(t, "classtype:trojan-activity", "classtype:trojan"), with(t, "classtype:trojan-activity", "classtype:Trojan-Activity"), 1, 0},
		{"reference-malformed", with(t, "reference:url,example.com/x", "reference:url,"), goodRule, 1, 0},
		{"reference-malformed", with(t, "reference:url,example.com/x", "reference:url"), goodRule, 1, 0},
		{"reference-url-scheme", with(t, "url,example.com/x", "url,https://example.com/x"), with(t, "url,example.com/x", "url,example.com/https://x"), 1, 0},
		{"reference-unknown-system", with(t, "url,example.com/x", "wiki,example.com/x"), with(t, "url,example.com/x", "cve,2021-44228"), 1, 0},
		{"modifier-without-content", with(t, "http.uri; ", "nocase; http.uri; "), with(t, "image.php\";", "image.php\"; nocase;"), 1, 0},
		{"modifier-without-content", with(t, "http.uri; ", "depth:4; http.uri; "), goodRule, 1, 0},
		{"relative-without-anchor", with(t, "image.php\";", "image.php\"; distance:0;"), with(t, "image.php\";", "image.php\"; content:\"abcd\"; distance:0;"), 1, 0},
		{"relative-without-anchor", with(t, "image.php\";", "image.php\"; file.data; content:\"abcd\"; within:10;"), with(t, "image.php\";", "image.php\"; file.data; content:\"abcd\"; content:\"efgh\"; within:10;"), 1, 0},
		{"relative-without-anchor", with(t, "http.uri; ", `pcre:"/^abc/R"; http.uri; `), with(t, "image.php\";", `image.php"; pcre:"/^abc/R";`), 1, 0},
		{"relative-without-anchor", with(t, "http.uri; ", "isdataat:10,relative; http.uri; "), with(t, "image.php\";", "image.php\"; isdataat:10,relative;"), 1, 0},
		{"content-cannot-fit", with(t, "image.php\";", "image.php\"; depth:5;"), with(t, "image.php\";", "image.php\"; depth:20;"), 1, 0},
		{"content-cannot-fit", with(t, "image.php\";", "image.php\"; content:\"abcdef\"; distance:0; within:5;"), with(t, "image.php\";", "image.php\"; content:\"abcdef\"; distance:0; within:6;"), 1, 0},
		{"content-cannot-fit", with(t, "http.uri; ", "http.uri; bsize:<10; "), with(t, "http.uri; ", "http.uri; bsize:<21; "), 1, 0},
		{"content-cannot-fit", with(t, "http.uri; ", "urilen:5; http.uri; "), with(t, "http.uri; ", "urilen:>5; http.uri; "), 1, 0},
		{"modifier-conflict", with(t, "image.php\";", "image.php\"; nocase; nocase;"), with(t, "image.php\";", "image.php\"; nocase;"), 1, 0},
		{"modifier-conflict", with(t, "image.php\";", "image.php\"; content:\"abcd\"; depth:40; distance:0;"), with(t, "image.php\";", "image.php\"; content:\"abcd\"; distance:0; within:40;"), 1, 0},
		{"modifier-conflict", with(t, "image.php\";", "image.php\"; startswith; offset:1;"), with(t, "image.php\";", "image.php\"; startswith;"), 1, 0},
		{"modifier-conflict", with(t, "image.php\";", "image.php\"; fast_pattern:only; depth:30;"), with(t, "image.php\";", "image.php\"; fast_pattern:only;"), 1, 0},
		{"fast-pattern-multiple", with(t, "image.php\";", "image.php\"; fast_pattern; content:\"check\"; fast_pattern;"), with(t, "image.php\";", "image.php\"; fast_pattern; content:\"check\";"), 1, 0},
		{"flow-conflict", with(t, "established,to_server", "established,to_server,to_client"), with(t, "established,to_server", "to_server,established"), 1, 0},
		{"flow-conflict", with(t, "established,to_server", "established,stateless,to_server"), goodRule, 1, 0},
		{"http-direction", with(t, "to_server", "to_client"), with(t, "to_server; http.uri; content:\"/imagedump/image.php\"", "to_client; http.stat_code; content:\"200\""), 1, 0},
		{"http-direction", with(t, "http.uri;", "http.stat_code;"), goodRule, 1, 0},
		{"flow-established-missing", with(t, "flow:established,to_server; ", ""), with(t, "established,", "stateless,"), 1, 1},
		{"flow-established-missing", with(t, "established,", ""), goodRule, 1, 0},
		{"pcre-only", with(t, `content:"/imagedump/image.php";`, `pcre:"/image\.php$/";`), with(t, `content:"/imagedump/image.php";`, `content:"image.php"; pcre:"/image\.php$/";`), 1, 0},
		{"pcre-only", with(t, `content:"/imagedump/image.php";`, `pcre:"/image\.php$/";`), with(t, `content:"/imagedump/image.php";`, `content:!"image.php"; pcre:"/image\.php$/";`), 1, 0},
		{"fast-pattern-short", with(t, `content:"/imagedump/image.php"`, `content:"/im"`), with(t, `content:"/imagedump/image.php"`, `content:"/ima"`), 1, 0},
		{"fast-pattern-short", with(t, "image.php\";", "image.php\"; content:\"ab\"; fast_pattern;"), with(t, "image.php\";", "image.php\"; content:\"ab\";"), 1, 0},
		{"var-undefined", with(t, "$EXTERNAL_NET any", "$EXTRNAL_NET any"), with(t, "$EXTERNAL_NET any", "[$HTTP_SERVERS,!$DNS_SERVERS] $HTTP_PORTS"), 1, 29},
		{"keyword-unknown", with(t, "rev:1;", "rev:1; foobar;"), with(t, "rev:1;", "rev:1; ja4.hash; content:\"abcd\"; flowint:x,+,1;"), 1, 0},
		{"et-msg-prefix", with(t, "ET MALWARE", "ET TROJAN"), with(t, "ET MALWARE", "ET WEB_SPECIFIC_APPS"), 1, 0},
		{"et-msg-prefix", with(t, "ET MALWARE", "MALWARE"), with(t, "ET MALWARE", "GPL WEB_SERVER"), 1, 0},
		{"et-msg-prefix", with(t, "ET MALWARE", "ET BOTNET"), goodRule, 1, 0},
		{"et-sid-range", with(t, "sid:1000001", "sid:42"), with(t, "sid:1000001", "sid:2034567"), 1, 0},
		{"et-classtype-missing", with(t, "classtype:trojan-activity; ", ""), goodRule, 1, 1},
		{"et-metadata-missing", with(t, "created_at 2024_04_01, ", ""), goodRule, 1, 0},
		{"et-metadata-missing", with(t, " metadata:created_at 2024_04_01, updated_at 2024_04_01;", ""), goodRule, 1, 1},
		{"et-metadata-value", with(t, "created_at 2024_04_01", "created_at 2024-04-01"), goodRule, 1, 0},
		{"et-metadata-value", with(t, "created_at 2024_04_01", "created_at 2024_02_30"), with(t, "created_at 2024_04_01", "created_at 2024_02_29"), 1, 0},
		{"et-metadata-value", with(t, "updated_at", "signature_severity High, updated_at"), with(t, "updated_at", "signature_severity Major, updated_at"), 1, 0},
		{"et-metadata-value", with(t, "updated_at", "mitre_technique_id 1071, updated_at"), with(t, "updated_at", "mitre_technique_id T1071.001, updated_at"), 1, 0},
		{"et-metadata-value", with(t, "updated_at", "malware_family Kryptik Loader, updated_at"), with(t, "updated_at", "malware_family Kryptik_Loader, updated_at"), 1, 0},
		{"et-metadata-key", with(t, "updated_at", "author me, updated_at"), with(t, "updated_at", "tag Kryptik, updated_at"), 1, 0},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.code] = true
		t.Run(tt.code, func(t *testing.T) {
			style := StyleNone
			if strings.HasPrefix(tt.code, "et-") {
				style = StyleET
			}
			bad := lintSrc(t, tt.bad+"\n", style)
			var hit *Diagnostic
			for i, d := range bad.Diagnostics {
				if d.Code == tt.code {
					hit = &bad.Diagnostics[i]
					break
				}
			}
			if assert.NotNil(t, hit, "%s should fire on\n%s\ngot %v", tt.code, tt.bad, codes(bad)) {
				assert.Equal(t, tt.line, hit.Line)
				if tt.col != 0 {
					assert.Equal(t, tt.col, hit.Column)
				}
				assert.Greater(t, hit.EndColumn, hit.Column)
				assert.Equal(t, severityOf(tt.code), hit.Severity)
			}
			good := lintSrc(t, tt.good+"\n", style)
			assert.NotContains(t, codes(good), tt.code, "%s should stay quiet on\n%s", tt.code, tt.good)
		})
	}
	for _, c := range Checks() {
		assert.True(t, covered[c.Code], "check %s has no test case", c.Code)
	}
}

// ET checks run only with the ET style.
func TestStyleNoneSkipsET(t *testing.T) {
	res := lintSrc(t, with(t, "ET MALWARE", "ET TROJAN")+"\n", StyleNone)
	assert.Empty(t, codes(res))
}

func TestChecksCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks() {
		assert.False(t, seen[c.Code], "duplicate code %s", c.Code)
		seen[c.Code] = true
		assert.Regexp(t, `^[a-z0-9]+(-[a-z0-9]+)*$`, c.Code)
		assert.NotEmpty(t, c.Description)
		assert.NotContains(t, c.Description, "\n")
		assert.Equal(t, strings.HasPrefix(c.Code, "et-"), c.Style == StyleET, c.Code)
	}
}

// Parse errors of '#'-disabled rules are warnings: Suricata never loads
// those rules, but a broken one is still worth knowing about.
func TestDisabledRuleErrorsAreWarnings(t *testing.T) {
	res := lintSrc(t, "#"+with(t, "sid:1000001", "sid:x")+"\n", StyleNone)
	require.Len(t, res.Diagnostics, 1)
	d := res.Diagnostics[0]
	assert.Equal(t, "sid-invalid", d.Code)
	assert.Equal(t, Warning, d.Severity)
	assert.Contains(t, d.Message, "in a disabled rule")
	assert.Equal(t, 0, res.Summary.Rules)
	assert.False(t, res.Failed())
	f, _ := sigparse.ParseFile("t.rules", []byte("#"+with(t, "sid:1000001", "sid:x")+"\n"), sigparse.Options{})
	assert.True(t, Check([]*sigparse.File{f}, Options{Strict: true}).Failed(), "strict fails on warnings")
}

// A rule with a bad option is still checked for the rest.
func TestInvalidOptionDoesNotStopChecks(t *testing.T) {
	res := lintSrc(t, with(t, "classtype:trojan-activity; sid:1000001", "classtype:nope; sid:x")+"\n", StyleNone)
	assert.ElementsMatch(t, []string{"sid-invalid", "classtype-unknown"}, codes(res))
}

func TestDuplicateSIDAcrossFiles(t *testing.T) {
	a, _ := sigparse.ParseFile("a.rules", []byte(goodRule+"\n"), sigparse.Options{})
	b, _ := sigparse.ParseFile("b.rules", []byte("\n"+goodRule+"\n"), sigparse.Options{})
	res := Check([]*sigparse.File{a, b}, Options{})
	require.Len(t, res.Diagnostics, 1)
	d := res.Diagnostics[0]
	assert.Equal(t, "b.rules", d.File)
	assert.Equal(t, 2, d.Line)
	assert.Contains(t, d.Message, "also used at a.rules:1:1")
	require.NotNil(t, d.SID)
	assert.Equal(t, 1000001, *d.SID)
}

func TestCustomClassifications(t *testing.T) {
	f, _ := sigparse.ParseFile("t.rules", []byte(with(t, "trojan-activity", "house-rule")+"\n"), sigparse.Options{})
	res := Check([]*sigparse.File{f}, Options{})
	assert.Equal(t, []string{"classtype-unknown"}, codes(res))
	// With a classification.config that has it, the classtype is fine.
	res = Check([]*sigparse.File{f}, Options{Classifications: classesFor(t, "config classification: house-rule,House Rule,2\n")})
	assert.Empty(t, codes(res))
}

func TestCustomVars(t *testing.T) {
	f, _ := sigparse.ParseFile("t.rules", []byte(with(t, "$EXTERNAL_NET any", "$LAB_NET any")+"\n"), sigparse.Options{})
	assert.Equal(t, []string{"var-undefined"}, codes(Check([]*sigparse.File{f}, Options{})))
	assert.Empty(t, codes(Check([]*sigparse.File{f}, Options{Vars: map[string]string{"LAB_NET": "10.0.0.0/8"}})))
}

// The exported ET vocabularies are what the checks accept: every category
// passes et-msg-prefix, every listed metadata value passes et-metadata-value,
// and a free-text key has no list.
func TestETVocabularyAccessors(t *testing.T) {
	cats := ETCategories()
	require.NotEmpty(t, cats)
	assert.IsNonDecreasing(t, cats)
	assert.Contains(t, cats, "MALWARE")
	assert.NotContains(t, cats, "TROJAN", "retired categories are not offered")
	for _, c := range cats {
		res := lintSrc(t, with(t, "ET MALWARE Kryptik", "ET "+c+" Kryptik")+"\n", StyleET)
		assert.Empty(t, codes(res), "category %s", c)
	}
	cats[0] = "changed"
	assert.NotEqual(t, "changed", ETCategories()[0], "callers get their own copy")

	for _, key := range []string{"attack_target", "deployment", "signature_severity", "confidence", "performance_impact", "deprecation_reason", "tls_state"} {
		values, ok := ETMetadataValues(key)
		require.True(t, ok, key)
		require.NotEmpty(t, values, key)
		for _, v := range values {
			res := lintSrc(t, with(t, "updated_at 2024_04_01", "updated_at 2024_04_01, "+key+" "+v)+"\n", StyleET)
			assert.Empty(t, codes(res), "%s %s", key, v)
		}
	}
	for _, key := range []string{"malware_family", "created_at", "no_such_key"} {
		_, ok := ETMetadataValues(key)
		assert.False(t, ok, key)
	}
}
