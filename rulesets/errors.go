package rulesets

import (
	"fmt"
	"strings"
)

// Error is a problem at a place in a configuration file (classification.config,
// reference.config, suricata.yaml, enable.conf ...). Line and Column are
// 1-based; 0 means unknown.
type Error struct {
	Filename     string
	Line, Column int
	Msg          string
	Err          error
}

// Error formats the error as "file:line:col: msg", dropping the parts that
// are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Filename != "" {
		b.WriteString(e.Filename)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, "%d:", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
