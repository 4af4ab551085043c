package sigparse

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCaret(t *testing.T) {
	tests := []struct {
		name string
		line string
		col  int
		want string
	}{
		{"short", `alert tcp any any -> any any (sid:x;)`, 35,
			"  alert tcp any any -> any any (sid:x;)\n" +
				"                                    ^\n"},
		{"tab kept", "\talert tcp any any -> any any (sid:x;)", 36,
			"  \talert tcp any any -> any any (sid:x;)\n" +
				"  \t                                  ^\n"},
		{"utf-8 counts runes", `alert tcp any any -> any any (msg:"é"; sid:x;)`, 45,
			"  alert tcp any any -> any any (msg:\"é\"; sid:x;)\n" +
				"                                             ^\n"},
		{"long line, error near the start", "alert tcp any any -> any any (msg:x; " + repeat("content:\"abcdefgh\"; ", 6) + "sid:1;)", 35,
			"  alert tcp any any -> any any (msg:x; content:\"abcdefgh\"; content:\"abcdef …\n" +
				"                                    ^\n"},
		{"error past the end", `alert tcp any any -> any any (sid:1;`, 37,
			"  alert tcp any any -> any any (sid:1;\n" +
				"                                      ^\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Error{Pos: Position{Filename: "f", Line: 1, Column: tt.col}, Line: tt.line, Msg: "m"}
			assert.Equal(t, tt.want, Caret(e))
		})
	}
	assert.Equal(t, "", Caret(&Error{Msg: "no position"}))
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

func TestErrorStrings(t *testing.T) {
	e := &Error{Pos: Position{Filename: "a.rules", Line: 3, Column: 7}, Msg: "bad", Err: strconv.ErrSyntax}
	assert.Equal(t, "a.rules:3:7: bad", e.Error())
	assert.True(t, errors.Is(e, strconv.ErrSyntax))
	list := ErrorList{e, {Pos: Position{Line: 1, Column: 1}, Msg: "first"}}
	assert.Equal(t, "a.rules:3:7: bad (and 1 more errors)", list.Error())
	assert.NoError(t, ErrorList(nil).Err())
	assert.Error(t, list.Err())
	assert.Equal(t, "no position", (&Error{Msg: "no position"}).Error())
}

func TestLineAt(t *testing.T) {
	src := []byte("first\r\nsecond\nlast")
	tests := []struct {
		off  int
		want string
	}{
		{0, "first"}, {3, "first"}, {5, "first"}, // \r is dropped
		{7, "second"}, {13, "second"}, // the \n ends "second"
		{14, "last"}, {18, "last"}, {99, "last"},
		{-1, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, LineAt(src, tt.off), "offset %d", tt.off)
	}
}
