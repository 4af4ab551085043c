package rulesets

import (
	"testing"

	"github.com/sigtool/sigtool/sigparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rule builds the parts of a rule a Filter looks at. (Built by hand so the
// filter tests do not depend on the parser.)
func rule(file string, gid, sid int, raw string, md ...sigparse.MetaEntry) *sigparse.Rule {
	r := &sigparse.Rule{Raw: raw, File: &sigparse.File{Name: file}}
	if gid != 1 {
		r.Options = append(r.Options, &sigparse.Option{Name: "gid", Value: &sigparse.Int{N: gid}})
	}
	r.Options = append(r.Options, &sigparse.Option{Name: "sid", Value: &sigparse.Int{N: sid}})
	if md != nil {
		r.Options = append(r.Options, &sigparse.Option{Name: "metadata", Value: &sigparse.Metadata{Entries: md}})
	}
	return r
}

func TestFilterMatch(t *testing.T) {
	heart := rule("/x/emerging-exploit.rules", 1, 2018372, `alert tls any any -> any any (msg:"ET EXPLOIT Malformed HeartBeat Request"; sid:2018372;)`)
	icmp := rule("rules/emerging-icmp.rules", 1, 2100366, `alert icmp any any -> any any (msg:"GPL ICMP_INFO PING *NIX"; sid:2100366;)`)
	gid3 := rule("snort.rules", 3, 100, `alert tcp any any -> any any (msg:"so rule"; gid:3; sid:100;)`)
	perim := rule("local.rules", 1, 1000001, `alert http any any -> any any (msg:"x"; sid:1000001;)`,
		sigparse.MetaEntry{Key: "deployment", Value: "Perimeter"}, sigparse.MetaEntry{Key: "tag", Value: "x"})
	all := []*sigparse.Rule{heart, icmp, gid3, perim}

	tests := []struct {
		line string
		want []*sigparse.Rule
	}{
		{"2018372", []*sigparse.Rule{heart}},
		{"1:2018372", []*sigparse.Rule{heart}},
		{"100", nil},
		{"3:100", []*sigparse.Rule{gid3}},
		{"2100366, 1:2018372", []*sigparse.Rule{heart, icmp}},
		{"re:heartbeat", []*sigparse.Rule{heart}},
		{`re:GPL\s+ICMP`, []*sigparse.Rule{icmp}},
		{"group:emerging-icmp", []*sigparse.Rule{icmp}},
		{"group:emerging-icmp.rules", []*sigparse.Rule{icmp}},
		{"group:emerging*", []*sigparse.Rule{heart, icmp}},
		{"metadata: deployment perimeter", []*sigparse.Rule{perim}},
		{"metadata: deployment internal", nil},
		{"2018372 # heartbleed noise", []*sigparse.Rule{heart}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			f, err := ParseFilter("disable.conf", []byte(tt.line+"\n"))
			require.NoError(t, err)
			assert.Equal(t, 1, f.Len())
			var got []*sigparse.Rule
			for _, r := range all {
				if f.Match(r) {
					got = append(got, r)
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	src := "# disable.conf\n\n2018372\n  re:(?=x)\nsid:12\ngroup:[\nmetadata: lonely\n1:0\n"
	f, err := ParseFilter("d.conf", []byte(src))
	require.Error(t, err)
	assert.Equal(t, `d.conf:4:3: bad regular expression "(?=x)": error parsing regexp: invalid or unsupported Perl syntax: `+"`(?=`"+`
d.conf:5:1: "sid:12" is not a sid, gid:sid, re:, group: or metadata: matcher
d.conf:6:1: bad group pattern "[.rules": syntax error in pattern
d.conf:7:1: want "metadata: KEY VALUE"
d.conf:8:1: "1:0" is not a sid, gid:sid, re:, group: or metadata: matcher`, err.Error())
	assert.Equal(t, 1, f.Len(), "the good line is kept")
}

func TestApply(t *testing.T) {
	a := rule("a.rules", 1, 1, "a")
	b := rule("a.rules", 1, 2, "b")
	c := rule("b.rules", 1, 3, "c")
	c.Disabled = true
	files := []*sigparse.File{{Rules: []*sigparse.Rule{a, b}}, {Rules: []*sigparse.Rule{c}}}
	disable, err := ParseFilter("disable.conf", []byte("group:a\n"))
	require.NoError(t, err)
	enable, err := ParseFilter("enable.conf", []byte("2\n3\n"))
	require.NoError(t, err)
	en, dis := Apply(files, enable, disable)
	assert.True(t, a.Disabled)
	assert.False(t, b.Disabled, "enable.conf wins over disable.conf")
	assert.False(t, c.Disabled)
	assert.Equal(t, 1, en)
	assert.Equal(t, 1, dis)
	en, dis = Apply(files, nil, nil)
	assert.Zero(t, en+dis)
}
