package rulesets

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultVarsExpand(t *testing.T) {
	vars := DefaultVars()
	tests := []struct{ name, want string }{
		{"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
		{"EXTERNAL_NET", "![192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
		{"AIM_SERVERS", "![192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
		{"HTTP_SERVERS", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
		{"DC_SERVERS", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
		{"HTTP_PORTS", "80"},
		{"SHELLCODE_PORTS", "!80"},
		{"ORACLE_PORTS", "1521"},
		{"FILE_DATA_PORTS", "[80,110,143]"},
		{"TEREDO_PORTS", "3544"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(vars, "$"+tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	all, err := ExpandAll(vars)
	require.NoError(t, err)
	assert.Len(t, all, len(vars))
	// Each call returns a fresh map: changing one must not leak.
	vars["HOME_NET"] = "any"
	assert.Equal(t, "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", DefaultVars()["HOME_NET"])
	assert.True(t, IsDefaultPortVar("HTTP_PORTS"))
	assert.False(t, IsDefaultPortVar("HOME_NET"))
}

func TestExpandErrors(t *testing.T) {
	vars := map[string]string{
		"A":    "[$B,1.2.3.4]",
		"B":    "$C",
		"C":    "$A",
		"SELF": "!$SELF",
		"U":    "[$NOPE]",
		"D":    "[$",
	}
	tests := []struct {
		in, want string
		cycle    bool
	}{
		{"$A", "variable $A is defined in terms of itself: $A -> $B -> $C -> $A", true},
		{"$SELF", "variable $SELF is defined in terms of itself: $SELF -> $SELF", true},
		{"$U", "undefined variable $NOPE (used by $U)", false},
		{"any,$MISSING", "undefined variable $MISSING", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Expand(vars, tt.in)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var ve *VarError
			require.True(t, errors.As(err, &ve))
			assert.Equal(t, tt.cycle, ve.Cycle)
		})
	}
	_, err := Expand(vars, "$D")
	assert.ErrorContains(t, err, `"$" not followed by a variable name`)

	out, err := ExpandAll(vars)
	require.Error(t, err)
	assert.Empty(t, out, "every variable here is broken")
}

func TestExpandBlowupBounded(t *testing.T) {
	vars := map[string]string{}
	names := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 0; i+1 < len(names); i++ {
		n, next := names[i:i+1], names[i+1:i+2]
		vars[n] = "[$" + next + ",$" + next + "]"
	}
	vars["Z"] = "1.2.3.4"
	_, err := Expand(vars, "$A")
	assert.ErrorContains(t, err, "more than")
}

func TestOverrides(t *testing.T) {
	vars := DefaultVars()
	require.NoError(t, ApplyOverrides(vars, []string{"HOME_NET=[10.1.0.0/16]", "$HTTP_PORTS=[80,8080]", "HOME_NET=10.2.0.0/16"}))
	assert.Equal(t, "10.2.0.0/16", vars["HOME_NET"])
	got, err := Expand(vars, "$EXTERNAL_NET")
	require.NoError(t, err)
	assert.Equal(t, "!10.2.0.0/16", got)
	assert.Equal(t, "[80,8080]", vars["HTTP_PORTS"])

	for _, bad := range []string{"HOME_NET", "=1", "HOME-NET=1", "X="} {
		t.Run(bad, func(t *testing.T) {
			assert.Error(t, ApplyOverrides(vars, []string{bad}))
		})
	}
}

func TestRefs(t *testing.T) {
	assert.Equal(t, []string{"HTTP_PORTS", "X"}, Refs("[$HTTP_PORTS,110,!$X,$HTTP_PORTS]"))
	assert.Nil(t, Refs("any"))
}

func TestReadSuricataVars(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "suricata.yaml"))
	require.NoError(t, err)
	vars, err := ReadSuricataVars("suricata.yaml", src)
	require.NoError(t, err)
	assert.Equal(t, "[10.0.0.0/8]", vars["HOME_NET"])
	assert.Equal(t, "!$HOME_NET", vars["EXTERNAL_NET"])
	assert.Equal(t, "1521", vars["ORACLE_PORTS"], "unquoted numbers are kept as written")
	assert.Equal(t, "[$HTTP_PORTS,110,143]", vars["FILE_DATA_PORTS"])
	assert.Len(t, vars, 5)

	bad := []struct{ src, want string }{
		{"vars: [1, 2]\n", "x.yaml:1:7: vars is not a mapping"},
		{"vars:\n  address-groups:\n    HOME_NET: [1, 2]\n", "x.yaml:3:15: value of HOME_NET is not a string"},
		{"vars:\n  port-groups:\n    BAD-NAME: 1\n", `x.yaml:3:5: "BAD-NAME" is not a variable name`},
		{"vars:\n  address-groups: {\n", "x.yaml:2: did not find expected node content"},
	}
	for _, tt := range bad {
		_, err := ReadSuricataVars("x.yaml", []byte(tt.src))
		require.Error(t, err, tt.src)
		assert.Equal(t, tt.want, err.Error())
	}
	empty, err := ReadSuricataVars("x.yaml", []byte("outputs: []\n"))
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestExpandEmptyBlowupBounded(t *testing.T) {
	vars := map[string]string{}
	names := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 0; i+1 < len(names); i++ {
		vars[names[i:i+1]] = "$" + names[i+1:i+2] + "$" + names[i+1:i+2]
	}
	vars["Z"] = ""
	_, err := Expand(vars, "$A")
	assert.ErrorContains(t, err, "nested references")
}
