package sigparse

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// marshal is json.Marshal without HTML escaping: rule text is full of
// '<', '>' and '&' (byte_test:2,>,… content:"a&b") and is not embedded in HTML.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// MarshalJSON prints a number as a JSON number and a variable as a string.
func (v IntOrVar) MarshalJSON() ([]byte, error) {
	if v.Var != "" {
		return marshal(v.Var)
	}
	return []byte(strconv.Itoa(v.N)), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *IntOrVar) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*v = IntOrVar{}
		return json.Unmarshal(b, &v.Var)
	}
	*v = IntOrVar{}
	return json.Unmarshal(b, &v.N)
}

// MarshalJSON writes the pattern in Suricata's content notation
// (printable text, other bytes as |hex|) rather than base64, so that JSON
// output is readable and diffable.
func (c *Content) MarshalJSON() ([]byte, error) {
	type plain Content
	return marshal(struct {
		Pattern string `json:"pattern"`
		*plain
	}{EscapeContent(c.Pattern), (*plain)(c)})
}

// EscapeContent writes b the way a content string is written in a rule:
// printable ASCII as text, and '"', ';', '\', '|', ':' and every other
// byte in |hex| blocks.
func EscapeContent(b []byte) string {
	var s strings.Builder
	inHex := false
	for _, c := range b {
		plain := c >= 0x20 && c < 0x7f && c != '"' && c != ';' && c != '\\' && c != '|' && c != ':'
		if plain {
			if inHex {
				s.WriteByte('|')
				inHex = false
			}
			s.WriteByte(c)
			continue
		}
		if inHex {
			s.WriteByte(' ')
		} else {
			s.WriteByte('|')
			inHex = true
		}
		const digits = "0123456789ABCDEF"
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
	}
	if inHex {
		s.WriteByte('|')
	}
	return s.String()
}

// MarshalJSON writes the parsed address without positions or raw text.
func (a *Addr) MarshalJSON() ([]byte, error) {
	type out struct {
		Negated bool    `json:"negated,omitempty"`
		Any     bool    `json:"any,omitempty"`
		Var     string  `json:"var,omitempty"`
		CIDR    string  `json:"cidr,omitempty"`
		List    []*Addr `json:"list,omitempty"`
	}
	o := out{Negated: a.Negated, Any: a.Any, Var: a.Var, List: a.List}
	if a.Prefix.IsValid() {
		o.CIDR = a.Prefix.String()
	}
	return marshal(o)
}

// MarshalJSON writes the parsed port without positions or raw text.
func (p *Port) MarshalJSON() ([]byte, error) {
	type out struct {
		Negated bool    `json:"negated,omitempty"`
		Any     bool    `json:"any,omitempty"`
		Var     string  `json:"var,omitempty"`
		Low     *int    `json:"low,omitempty"`
		High    *int    `json:"high,omitempty"`
		List    []*Port `json:"list,omitempty"`
	}
	o := out{Negated: p.Negated, Any: p.Any, Var: p.Var, List: p.List}
	if !p.Any && p.Var == "" && !p.IsList {
		lo, hi := p.Low, p.High
		o.Low, o.High = &lo, &hi
	}
	return marshal(o)
}

// ruleJSON is the JSON form of a rule: what it means, without positions,
// raw text or file name, so that the canonical text of a rule parses back
// to an identical object. Options are listed in canonical order.
type ruleJSON struct {
	Action        string        `json:"action"`
	Protocol      string        `json:"protocol"`
	Src           *Addr         `json:"src,omitempty"`
	SrcPort       *Port         `json:"src_port,omitempty"`
	Direction     string        `json:"direction,omitempty"`
	Dst           *Addr         `json:"dst,omitempty"`
	DstPort       *Port         `json:"dst_port,omitempty"`
	Dialect       Dialect       `json:"dialect"`
	Options       []*optionJSON `json:"options"`
	Bidirectional bool          `json:"-"`
}

type optionJSON struct {
	Name    string  `json:"name"`
	Arg     *string `json:"arg,omitempty"`
	Value   Value   `json:"value,omitempty"`
	Invalid bool    `json:"invalid,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// MarshalJSON writes the rule as `sigtool parse --format json` prints it
// under "rule": action, protocol, parsed header, dialect and the options in
// canonical order with their argument text and typed value. Positions,
// the raw text, the file and Disabled are left out (the CLI prints those
// beside the object).
func (r *Rule) MarshalJSON() ([]byte, error) {
	out := ruleJSON{
		Action: r.Action, Protocol: r.Protocol,
		Src: r.Src, SrcPort: r.SrcPort, Dst: r.Dst, DstPort: r.DstPort,
		Dialect: r.Dialect,
		Options: make([]*optionJSON, 0, len(r.Options)),
	}
	if r.Src != nil {
		out.Direction = "->"
		if r.Bidirectional {
			out.Direction = "<>"
		}
	}
	for _, o := range canonicalOrder(r.Options) {
		oj := &optionJSON{Name: o.Name, Value: o.Value, Invalid: o.Invalid}
		if o.HasArg {
			a := o.Arg
			oj.Arg = &a
		}
		if o.Err != nil {
			oj.Error = o.Err.Msg
		}
		out.Options = append(out.Options, oj)
	}
	return marshal(out)
}
