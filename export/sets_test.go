package export

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/rulesets"
)

func TestEvalAddrs(t *testing.T) {
	vars := rulesets.DefaultVars()
	vars["MIXED"] = "[10.0.0.0/8,!10.1.0.0/16,2001:db8::/32]"
	for _, tc := range []struct {
		raw    string
		v4, v6 []string
		any    bool
	}{
		{raw: "any", any: true},
		{raw: "$HOME_NET", v4: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}},
		{raw: "$EXTERNAL_NET", v4: []string{
			"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2",
			"128.0.0.0/3", "160.0.0.0/5", "168.0.0.0/6", "172.0.0.0/12", "172.32.0.0/11", "172.64.0.0/10",
			"172.128.0.0/9", "173.0.0.0/8", "174.0.0.0/7", "176.0.0.0/4", "192.0.0.0/9", "192.128.0.0/11",
			"192.160.0.0/13", "192.169.0.0/16", "192.170.0.0/15", "192.172.0.0/14", "192.176.0.0/12",
			"192.192.0.0/10", "193.0.0.0/8", "194.0.0.0/7", "196.0.0.0/6", "200.0.0.0/5", "208.0.0.0/4",
			"224.0.0.0/3"}, v6: []string{"::/0"}},
		{raw: "1.2.3.4", v4: []string{"1.2.3.4/32"}},
		{raw: "[1.2.3.4,1.2.3.5]", v4: []string{"1.2.3.4/31"}},
		{raw: "$MIXED", v4: []string{"10.0.0.0/16", "10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10", "10.128.0.0/9"}, v6: []string{"2001:db8::/32"}},
		{raw: "![1.0.0.0/8,!1.2.0.0/16]", v4: []string{"0.0.0.0/8", "1.2.0.0/16", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/5", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"}, v6: []string{"::/0"}},
		{raw: "10.0.0.0/255.0.0.0", v4: []string{"10.0.0.0/8"}},
		{raw: "::1", v6: []string{"::1/128"}},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			a, err := evalAddrs(vars, tc.raw)
			require.NoError(t, err)
			assert.Equal(t, tc.any, a.isAny())
			if !tc.any {
				assert.Equal(t, tc.v4, cidrs(a.v4, true))
				assert.Equal(t, tc.v6, cidrs(a.v6, false))
			}
		})
	}
	for _, bad := range []string{"[1.2.3.4", "1.2.3", "$NOPE", "[1.2.3.4;5]", "1.2.3.4 x"} {
		_, err := evalAddrs(vars, bad)
		assert.Error(t, err, bad)
	}
}

func TestEvalPorts(t *testing.T) {
	vars := rulesets.DefaultVars()
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{"any", []string{"0:65535"}},
		{"$HTTP_PORTS", []string{"80"}},
		{"$SHELLCODE_PORTS", []string{"0:79", "81:65535"}},
		{"[80,8080,1024:]", []string{"80", "1024:65535"}},
		{"[!80,!443]", []string{"0:79", "81:442", "444:65535"}},
		{":1023", []string{"0:1023"}},
		{"$FILE_DATA_PORTS", []string{"80", "110", "143"}},
	} {
		ps, err := evalPorts(vars, tc.raw)
		require.NoError(t, err, tc.raw)
		assert.Equal(t, tc.want, portItems(ps, ":"), tc.raw)
	}
	for _, bad := range []string{"70000", "90:80", "[80", "x"} {
		_, err := evalPorts(vars, bad)
		assert.Error(t, err, bad)
	}
}
