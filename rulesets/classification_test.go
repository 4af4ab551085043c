package rulesets

import (
	"errors"
	"os"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultClassifications(t *testing.T) {
	c := DefaultClassifications()
	assert.Equal(t, 43, c.Len())
	tests := []struct {
		name string
		want Class
		ok   bool
	}{
		{"trojan-activity", Class{"trojan-activity", "A Network Trojan was detected", 1}, true},
		{"Trojan-Activity", Class{"trojan-activity", "A Network Trojan was detected", 1}, true},
		{"tcp-connection", Class{"tcp-connection", "A TCP connection was detected", 4}, true},
		{"command-and-control", Class{"command-and-control", "Malware Command and Control Activity Detected", 1}, true},
		{"inappropriate-content", Class{"inappropriate-content", "Inappropriate Content was Detected", 1}, true},
		{"trojan", Class{}, false},
		{"", Class{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.Lookup(tt.name)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	var nilSet *Classifications
	_, ok := nilSet.Lookup("unknown")
	assert.False(t, ok)
}

// The ET Open copy of classification.config is Suricata's minus
// inappropriate-content; every class it has must agree with ours.
func TestDefaultClassificationsMatchETOpen(t *testing.T) {
	p := sharedtest.Path(t, "rulesets", "et-open-2024-04", "classification.config")
	src, err := os.ReadFile(p)
	require.NoError(t, err)
	et, err := ParseClassifications(p, src)
	require.NoError(t, err)
	def := DefaultClassifications()
	for _, cl := range et.All() {
		got, ok := def.Lookup(cl.Name)
		if assert.True(t, ok, cl.Name) {
			assert.Equal(t, cl, got)
		}
	}
	assert.Equal(t, def.Len()-1, et.Len())
}

func TestParseClassifications(t *testing.T) {
	src := "# comment\n\n" +
		"config classification: not-suspicious,Not Suspicious Traffic,3\n" +
		"  config   classification:bad-unknown , Potentially Bad Traffic, 2 \r\n" +
		"config classification: commas,One, two, and three,1\n" +
		"config classification: not-suspicious,Redefined,4\n" +
		"config classification: 9lives,Starts with a digit,1\n" +
		"config classification: x,No priority\n" +
		"config classification: y,Bad priority,high\n" +
		"config reference: url http://\n" +
		"config classification: z,,1\n"
	c, err := ParseClassifications("c.config", []byte(src))
	require.Error(t, err)
	assert.Equal(t, `c.config:7:24: classification name "9lives" must start with a letter and hold only letters, digits, - and _
c.config:8:24: want NAME,DESCRIPTION,PRIORITY
c.config:9:24: classification priority "high" is not a non-negative integer
c.config:10:1: want "config classification: NAME,DESCRIPTION,PRIORITY"
c.config:11:24: empty classification description`, err.Error())
	var each interface{ Unwrap() []error }
	require.True(t, errors.As(err, &each))
	assert.Len(t, each.Unwrap(), 5)
	var first *Error
	require.True(t, errors.As(err, &first))
	assert.Equal(t, 7, first.Line)

	assert.Equal(t, []Class{
		{"not-suspicious", "Redefined", 4},
		{"bad-unknown", "Potentially Bad Traffic", 2},
		{"commas", "One, two, and three", 1},
	}, c.All())
}

func TestReferences(t *testing.T) {
	d := DefaultReferences()
	u, ok := d.Lookup("URL")
	require.True(t, ok)
	assert.Equal(t, "https://", u.URL)
	_, ok = d.Lookup("osvdb")
	assert.False(t, ok, "commented out in Suricata's file")

	r, err := ParseReferences("r.config", []byte("# x\nconfig reference: cve  https://cve/\nconfig reference: bad\nconfig reference:\tbid\thttps://bid/\nconfig classification: a,b,1\n"))
	assert.Equal(t, "r.config:3:19: want NAME URL, got 1 fields\nr.config:5:1: want \"config reference: NAME URL\"", err.Error())
	assert.Equal(t, []ReferenceSystem{{"cve", "https://cve/"}, {"bid", "https://bid/"}}, r.All())
}
