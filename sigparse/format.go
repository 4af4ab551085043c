package sigparse

import (
	"errors"
	"fmt"
	"strings"
)

// FormatOptions tune Format. The zero value prints a rule in its own
// dialect.
type FormatOptions struct {
	// To converts the rule to another dialect; DialectAuto keeps the
	// rule's own.
	To Dialect
}

// ConvertError is returned by Format when a rule cannot be written in the
// target dialect without changing what it matches.
type ConvertError struct {
	SID    int
	Option string // the keyword that has no exact equivalent
	To     Dialect
	Reason string
}

func (e *ConvertError) Error() string {
	s := fmt.Sprintf("cannot convert to %s", e.To)
	if e.SID != 0 {
		s = fmt.Sprintf("sid %d: %s", e.SID, s)
	}
	if e.Option != "" {
		s += ": " + e.Option
	}
	return s + ": " + e.Reason
}

// Format returns the canonical text of r on a single line: one space
// between header fields and between options, "name:arg;" with the
// argument text kept as written, and options in the Emerging Threats order
// where moving them cannot change the meaning (msg and flow first;
// reference, classtype, sid, rev, metadata and target last). Detection
// options keep their relative order. A disabled rule is prefixed "# ".
// Format is idempotent: formatting its output again yields the same text.
func Format(r *Rule, opts FormatOptions) (string, error) {
	to := opts.To
	options := r.Options
	if to != DialectAuto && to != r.Dialect {
		var err error
		if options, err = convert(r, to); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	b.Grow(len(r.Raw) + 8)
	if r.Disabled {
		b.WriteString("# ")
	}
	b.WriteString(r.Action)
	b.WriteByte(' ')
	b.WriteString(r.Protocol)
	if r.Src != nil {
		b.WriteByte(' ')
		writeAddr(&b, r.Src)
		b.WriteByte(' ')
		writePort(&b, r.SrcPort)
		if r.Bidirectional {
			b.WriteString(" <> ")
		} else {
			b.WriteString(" -> ")
		}
		writeAddr(&b, r.Dst)
		b.WriteByte(' ')
		writePort(&b, r.DstPort)
	} else if to == DialectSnort2 || to == DialectSuricata {
		// A Snort 3 rule without a header applies to any address and port.
		b.WriteString(" any any -> any any")
	}
	b.WriteString(" (")
	for i, o := range canonicalOrder(options) {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeOption(&b, o)
	}
	b.WriteByte(')')
	return b.String(), nil
}

// Verbatim returns the rule exactly as it was written, continuation lines
// and all ('#' marker excluded for disabled rules).
func Verbatim(r *Rule) string { return r.Raw }

func writeOption(b *strings.Builder, o *Option) {
	b.WriteString(o.Name)
	if o.HasArg {
		b.WriteByte(':')
		b.WriteString(o.Arg)
		if !evenBackslashes(o.Arg) {
			// A last option written without ';' may end in a backslash;
			// a space keeps it from escaping the ';' (the parser trims it).
			b.WriteByte(' ')
		}
	}
	b.WriteByte(';')
}

func writeAddr(b *strings.Builder, a *Addr) {
	if a.Negated {
		b.WriteByte('!')
	}
	if a.IsList {
		b.WriteByte('[')
		for i, c := range a.List {
			if i > 0 {
				b.WriteByte(',')
			}
			writeAddr(b, c)
		}
		b.WriteByte(']')
		return
	}
	b.WriteString(strings.TrimPrefix(a.Raw, "!"))
}

func writePort(b *strings.Builder, p *Port) {
	if p.Negated {
		b.WriteByte('!')
	}
	if p.IsList {
		b.WriteByte('[')
		for i, c := range p.List {
			if i > 0 {
				b.WriteByte(',')
			}
			writePort(b, c)
		}
		b.WriteByte(']')
		return
	}
	b.WriteString(strings.TrimPrefix(p.Raw, "!"))
}

// tailRank orders the options that go last in the ET style; others rank 0.
var tailRank = map[string]int{
	"reference": 1, "classtype": 2, "sid": 3, "rev": 4, "metadata": 5, "target": 6,
}

// canonicalOrder returns opts with msg first, flow second, the options
// of tailRank last in that order, and everything else in between in source
// order. None of the moved keywords takes part in content matching, so no
// content, modifier, sticky buffer or relative match changes its meaning.
func canonicalOrder(opts []*Option) []*Option {
	out := make([]*Option, 0, len(opts))
	for _, o := range opts {
		if o.Name == "msg" {
			out = append(out, o)
		}
	}
	for _, o := range opts {
		if o.Name == "flow" {
			out = append(out, o)
		}
	}
	for _, o := range opts {
		if o.Name != "msg" && o.Name != "flow" && tailRank[o.Name] == 0 {
			out = append(out, o)
		}
	}
	for rank := 1; rank <= len(tailRank); rank++ {
		for _, o := range opts {
			if tailRank[o.Name] == rank {
				out = append(out, o)
			}
		}
	}
	return out
}

// FormatFile returns src with every rule replaced by its canonical text
// (continuation lines joined), and comments and blank lines kept as they
// are. When rules cannot be converted it returns every such error, each
// prefixed with the rule's position, joined with errors.Join.
func FormatFile(f *File, opts FormatOptions) ([]byte, error) {
	out := make([]byte, 0, len(f.Src)+len(f.Src)/16)
	var errs []error
	last := 0
	for _, r := range f.Rules {
		text, err := Format(r, opts)
		if err != nil {
			if p := f.Position(r.Pos); p.IsValid() {
				err = fmt.Errorf("%s: %w", p, err)
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, f.Src[last:r.Start]...)
		out = append(out, text...)
		last = int(r.End)
		// Trailing blanks after the ')' go, as gofmt drops them.
		for last < len(f.Src) && (f.Src[last] == ' ' || f.Src[last] == '\t') {
			last++
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out = append(out, f.Src[last:]...)
	return out, nil
}
