package sigparse

import (
	"net/netip"
	"strconv"
	"strings"
)

// Pos is a byte offset into the physical source of a File (the bytes as
// they are on disk, continuation backslashes and '#' markers included).
// Line and column are computed from it only when needed, by File.Position.
type Pos int

// NoPos is the Pos of something that has no place in a source, such as an
// option added by a dialect conversion.
const NoPos Pos = -1

// IsValid reports whether p points into a source.
func (p Pos) IsValid() bool { return p >= 0 }

// Position is a Pos resolved to a file, a 1-based line and a 1-based
// column counted in bytes, as go/token does.
type Position struct {
	Filename string `json:"file"`
	Offset   int    `json:"-"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

// IsValid reports whether the position has a line.
func (p Position) IsValid() bool { return p.Line > 0 }

// String returns "file:line:col", dropping the parts that are unknown.
func (p Position) String() string {
	s := p.Filename
	if p.IsValid() {
		if s != "" {
			s += ":"
		}
		s += strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
	}
	if s == "" {
		s = "-"
	}
	return s
}

// Dialect is a rule language. The zero value asks the parser to detect it.
type Dialect int

const (
	DialectAuto     Dialect = iota // detect per file
	DialectSnort2                  // Snort 2.9: content modifiers follow the content
	DialectSuricata                // Suricata 5–8: sticky buffers, transforms
	DialectSnort3                  // Snort 3 text rules: content:"x",nocase; sticky buffers; service
)

var dialectNames = [...]string{"auto", "snort2", "suricata", "snort3"}

func (d Dialect) String() string {
	if d >= 0 && int(d) < len(dialectNames) {
		return dialectNames[d]
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// ParseDialect maps "auto", "snort2", "suricata" or "snort3" (and the
// aliases "snort", "snort2.9", "suricata7", "snort++") to a Dialect.
func ParseDialect(s string) (Dialect, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return DialectAuto, true
	case "snort2", "snort", "snort2.9", "snort29":
		return DialectSnort2, true
	case "suricata", "suricata5", "suricata6", "suricata7", "suricata8":
		return DialectSuricata, true
	case "snort3", "snort++":
		return DialectSnort3, true
	}
	return DialectAuto, false
}

// MarshalText makes a Dialect print as its name in JSON.
func (d Dialect) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText accepts the names ParseDialect accepts.
func (d *Dialect) UnmarshalText(b []byte) error {
	v, ok := ParseDialect(string(b))
	if !ok {
		return &Error{Msg: "unknown dialect " + strconv.Quote(string(b))}
	}
	*d = v
	return nil
}

// Options tune parsing. The zero value detects the dialect per file.
type Options struct {
	Dialect Dialect
}

// File is one parsed rule file.
type File struct {
	Name    string
	Src     []byte  // the source as given; the File keeps it, callers must not modify it
	Dialect Dialect // the dialect the file was parsed as (never DialectAuto)
	// Rules in source order, enabled and '#'-disabled alike. A rule whose
	// header or option list could not be parsed at all is not here; a rule
	// with a bad option value is, with that option marked Invalid.
	Rules    []*Rule
	Comments []*Comment // every comment that is not a disabled rule
	Errors   ErrorList  // the same list ParseFile returns

	lines []int // offset of the first byte of each line
}

// Comment is a '#' comment line that does not hold a rule.
type Comment struct {
	Pos  Pos    // the '#'
	Text string // the line from '#' on, without the newline
}

// Position resolves p to file, line and column.
func (f *File) Position(p Pos) Position {
	if f == nil || !p.IsValid() {
		return Position{}
	}
	if f.lines == nil {
		f.lines = lineStarts(f.Src)
	}
	return positionFor(f.Name, f.lines, p)
}

// Rule is one signature.
type Rule struct {
	Disabled bool    // the rule was commented out with '#'
	Dialect  Dialect // the dialect its options were read in

	Action   string // alert, drop, pass, reject, rejectsrc, rejectdst, rejectboth, sdrop, log, …
	Protocol string // tcp, udp, icmp, ip, or an app-layer protocol such as http, dns, tls
	// Header fields are nil in a Snort 3 rule written without a header
	// ("alert http (...)"): the rule then applies to any address and port.
	Src, Dst         *Addr
	SrcPort, DstPort *Port
	Bidirectional    bool // "<>" rather than "->"

	Options []*Option // in source order; repeated keywords appear each time

	// Raw is the rule exactly as it is in the file, from the action (after
	// any '#' marker) to the closing ')', continuation lines included.
	Raw string
	// Start is the first byte of the rule's line text including a leading
	// '#' marker; Pos is the action; End is just past the ')'.
	Start, Pos, End Pos
	// File is the file the rule came from (nil for ParseRule).
	File *File
}

// Addr is an address expression of a rule header: a single item or a list.
type Addr struct {
	Raw     string `json:"-"` // as written, e.g. "![$HOME_NET,10.0.0.0/8]"
	Negated bool   // a leading '!'
	Any     bool   // "any"
	Var     string // variable name without '$', e.g. "HOME_NET"
	// Prefix is an IPv4 or IPv6 address or CIDR block; a single address
	// has the full prefix length.
	Prefix netip.Prefix
	List   []*Addr // items of a [..] list, which may nest
	IsList bool
	Pos    Pos
}

// Port is a port expression of a rule header.
type Port struct {
	Raw     string
	Negated bool
	Any     bool
	Var     string
	// Low and High bound a port or a range (inclusive); "1024:" has
	// High 65535 and ":1023" Low 0.
	Low, High int
	IsRange   bool
	List      []*Port
	IsList    bool
	Pos       Pos
}

// Option is one keyword of the option list. (Fields are ordered so that
// the struct packs into 88 bytes: ET Open has half a million options.)
type Option struct {
	Name string // the keyword as written, lower-cased
	// Arg is the value text after ':' with surrounding spaces removed,
	// escapes kept (so `|41 41|` and `AA` stay distinct); "" when HasArg is false.
	Arg string
	// Value is the typed reading of Arg for the keywords sigparse knows;
	// nil for unknown keywords and for options marked Invalid.
	Value Value
	// Err is the error recorded in the file's ErrorList when Invalid.
	Err *Error

	Pos    Pos // first byte of the name
	ArgPos Pos // first byte of Arg (NoPos without one)
	End    Pos // the terminating ';' (or the ')' when it is missing)

	argOff int32 // offset of Arg in the logical line, for error positions

	HasArg bool
	// Invalid is set when Arg could not be read; the error is in the
	// file's ErrorList and in Err.
	Invalid bool
}

// Value is the typed value of a known option. The interface is sealed:
// the concrete types are the ones in this package.
type Value interface{ value() }

// IntOrVar is a number or the name of a byte_extract/byte_math variable.
type IntOrVar struct {
	N   int
	Var string
}

func (v IntOrVar) String() string {
	if v.Var != "" {
		return v.Var
	}
	return strconv.Itoa(v.N)
}

// Msg is msg:"..." with escapes removed.
type Msg struct {
	Text string `json:"text,omitempty"`
}

// Int is an integer-valued option: sid, gid, rev, priority.
type Int struct {
	N int `json:"n"`
}

// Classtype is classtype:NAME.
type Classtype struct {
	Name string `json:"name,omitempty"`
}

// Reference is reference:SCHEME,ID.
type Reference struct {
	Scheme string `json:"scheme,omitempty"`
	ID     string `json:"id,omitempty"`
}

// Metadata is metadata:key value, key value. Values keep their spaces.
type Metadata struct {
	Entries []MetaEntry `json:"entries,omitempty"`
}

// MetaEntry is one "key value" pair of a metadata option.
type MetaEntry struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// Content is a content (or uricontent) match with every modifier that
// applies to it folded in, whichever dialect wrote them.
type Content struct {
	Pattern []byte `json:"pattern,omitempty"` // the bytes to match, escapes and |hex| decoded
	Negated bool   `json:"negated,omitempty"`

	Nocase      bool         `json:"nocase,omitempty"`
	Depth       *IntOrVar    `json:"depth,omitempty"`
	Offset      *IntOrVar    `json:"offset,omitempty"`
	Distance    *IntOrVar    `json:"distance,omitempty"`
	Within      *IntOrVar    `json:"within,omitempty"` // nil when absent
	Startswith  bool         `json:"startswith,omitempty"`
	Endswith    bool         `json:"endswith,omitempty"`
	Rawbytes    bool         `json:"rawbytes,omitempty"`
	FastPattern *FastPattern `json:"fast_pattern,omitempty"` // nil when absent

	// Buffer is the canonical Suricata 7 sticky-buffer name ("" for the
	// packet or stream payload), whether it came from a Snort 2 modifier
	// (http_uri), a sticky buffer (http.uri;), a Snort 3 buffer keyword,
	// uricontent or a pcre flag.
	Buffer string `json:"buffer,omitempty"`
	// Transforms in force for the buffer, in order: the keyword, followed
	// by ":" and its argument text for those that take one
	// ("to_lowercase", "xor:\"0d0ac8ff\"").
	Transforms []string `json:"transforms,omitempty"`

	// Modifiers are the separate options that modified this content
	// (Snort 2 and Suricata style); lint uses them to report conflicts.
	Modifiers []*Option `json:"-"`
}

// FastPattern is fast_pattern, fast_pattern:only or fast_pattern:O,L.
type FastPattern struct {
	Only   bool `json:"only,omitempty"`
	Chop   bool `json:"chop,omitempty"`
	Offset int  `json:"offset,omitempty"`
	Length int  `json:"length,omitempty"`
}

// Modifier is the value of a content modifier written as its own option
// (nocase, depth, offset, distance, within, rawbytes, startswith, endswith,
// fast_pattern and the Snort 2 http_* modifiers).
type Modifier struct {
	Arg *IntOrVar `json:"arg,omitempty"` // depth, offset, distance, within
	// Content is the content the modifier applies to; nil when there is
	// none before it (lint reports that).
	Content *Content `json:"-"`
	// Buffer is set for buffer modifiers such as http_uri: the canonical name.
	Buffer string `json:"buffer,omitempty"`
}

// StickyBuffer is a buffer-selecting keyword (Suricata http.uri, file.data,
// Snort 3 http_uri used before content); Name is canonical.
type StickyBuffer struct {
	Name string `json:"name,omitempty"`
}

// Transform is a Suricata transform keyword (to_lowercase, dotprefix,
// xor:"0d0a", …); Arg is its argument text, "" for most.
type Transform struct {
	Name string `json:"name,omitempty"`
	Arg  string `json:"arg,omitempty"`
}

// PCRE is pcre:"/pattern/flags".
type PCRE struct {
	Pattern string `json:"pattern,omitempty"` // between the slashes, escapes kept
	Flags   string `json:"flags,omitempty"`   // every flag as written
	// Captures is Suricata's flowvar/pktvar list after the flags
	// ("flow:key,flow:value"), "" when there is none.
	Captures   string   `json:"captures,omitempty"`
	Negated    bool     `json:"negated,omitempty"`
	Relative   bool     `json:"relative,omitempty"` // R
	Buffer     string   `json:"buffer,omitempty"`
	Transforms []string `json:"transforms,omitempty"`
}

// Flow is flow:established,to_server,...
type Flow struct {
	Established    bool     `json:"established,omitempty"`
	NotEstablished bool     `json:"not_established,omitempty"`
	Stateless      bool     `json:"stateless,omitempty"`
	ToServer       bool     `json:"to_server,omitempty"`
	ToClient       bool     `json:"to_client,omitempty"`
	OnlyStream     bool     `json:"only_stream,omitempty"`
	NoStream       bool     `json:"no_stream,omitempty"`
	OnlyFrag       bool     `json:"only_frag,omitempty"`
	NoFrag         bool     `json:"no_frag,omitempty"`
	Flags          []string `json:"flags,omitempty"` // every item in order, as written
}

// Flowbits is flowbits:CMD[,NAME[,NAME|&...]].
type Flowbits struct {
	Cmd   string   `json:"cmd,omitempty"`   // set, isset, isnotset, unset, toggle, noalert
	Names []string `json:"names,omitempty"` // one or more names
	Op    string   `json:"op,omitempty"`    // "|" or "&" when several names are combined
}

// ByteTest is byte_test:bytes,[!]op,value,offset[,flags...].
type ByteTest struct {
	Bytes    int      `json:"bytes"`
	Op       string   `json:"op,omitempty"` // <, >, =, <=, >=, &, ^
	Negated  bool     `json:"negated,omitempty"`
	Value    IntOrVar `json:"value"`
	Offset   IntOrVar `json:"offset"`
	Relative bool     `json:"relative,omitempty"`
	String   bool     `json:"string,omitempty"`
	Base     string   `json:"base,omitempty"`   // hex, dec, oct when String
	Endian   string   `json:"endian,omitempty"` // big, little, or "" (default big)
	DCE      bool     `json:"dce,omitempty"`
	Bitmask  uint64   `json:"bitmask,omitempty"`
	Flags    []string `json:"flags,omitempty"`
}

// ByteJump is byte_jump:bytes,offset[,flags...].
type ByteJump struct {
	Bytes         int      `json:"bytes"`
	Offset        IntOrVar `json:"offset"`
	Relative      bool     `json:"relative,omitempty"`
	String        bool     `json:"string,omitempty"`
	Base          string   `json:"base,omitempty"`
	Align         bool     `json:"align,omitempty"`
	FromBeginning bool     `json:"from_beginning,omitempty"`
	FromEnd       bool     `json:"from_end,omitempty"`
	PostOffset    int      `json:"post_offset,omitempty"`
	Multiplier    int      `json:"multiplier,omitempty"`
	Endian        string   `json:"endian,omitempty"`
	DCE           bool     `json:"dce,omitempty"`
	Bitmask       uint64   `json:"bitmask,omitempty"`
	Flags         []string `json:"flags,omitempty"`
}

// ByteExtract is byte_extract:bytes,offset,name[,flags...].
type ByteExtract struct {
	Bytes      int      `json:"bytes"`
	Offset     int      `json:"offset"`
	Name       string   `json:"name,omitempty"`
	Relative   bool     `json:"relative,omitempty"`
	Multiplier int      `json:"multiplier,omitempty"`
	String     bool     `json:"string,omitempty"`
	Base       string   `json:"base,omitempty"`
	Align      int      `json:"align,omitempty"`
	Endian     string   `json:"endian,omitempty"`
	DCE        bool     `json:"dce,omitempty"`
	Bitmask    uint64   `json:"bitmask,omitempty"`
	Flags      []string `json:"flags,omitempty"`
}

// IsDataAt is isdataat:[!]offset[,relative][,rawbytes].
type IsDataAt struct {
	Offset   IntOrVar `json:"offset"`
	Negated  bool     `json:"negated,omitempty"`
	Relative bool     `json:"relative,omitempty"`
	Rawbytes bool     `json:"rawbytes,omitempty"`
}

// SizeRange is the comparison shared by dsize, urilen and bsize:
// Op is "=", "!=", "<", ">", "<=", ">=" (against Min) or "<>" (Min<x<Max).
type SizeRange struct {
	Op  string `json:"op,omitempty"`
	Min int    `json:"min"`
	Max int    `json:"max,omitempty"`
}

// Dsize is dsize:[op]N or dsize:N<>M.
type Dsize struct{ SizeRange }

// Urilen is urilen:[op]N or urilen:N<>M, with an optional ,norm or ,raw.
type Urilen struct {
	SizeRange
	Raw bool `json:"raw,omitempty"`
}

// Bsize is bsize:[op]N or bsize:N<>M.
type Bsize struct{ SizeRange }

// Threshold is threshold:type T, track B, count C, seconds S.
type Threshold struct {
	Type    string `json:"type,omitempty"`  // limit, threshold, both
	Track   string `json:"track,omitempty"` // by_src, by_dst, by_rule, by_both
	Count   int    `json:"count,omitempty"`
	Seconds int    `json:"seconds,omitempty"`
}

// DetectionFilter is detection_filter:track B, count C, seconds S.
type DetectionFilter struct {
	Track   string `json:"track,omitempty"`
	Count   int    `json:"count,omitempty"`
	Seconds int    `json:"seconds,omitempty"`
}

// Target is target:src_ip|dest_ip.
type Target struct {
	Side string `json:"side,omitempty"`
}

// Service is Snort 3 service:a,b.
type Service struct {
	Names []string `json:"names,omitempty"`
}

// Flag is the value of a known keyword that takes no argument (noalert,
// and the like) so that it is distinguished from an unknown keyword.
type Flag struct{}

func (*Msg) value()             {}
func (*Int) value()             {}
func (*Classtype) value()       {}
func (*Reference) value()       {}
func (*Metadata) value()        {}
func (*Content) value()         {}
func (*FastPattern) value()     {}
func (*Modifier) value()        {}
func (*StickyBuffer) value()    {}
func (*Transform) value()       {}
func (*PCRE) value()            {}
func (*Flow) value()            {}
func (*Flowbits) value()        {}
func (*ByteTest) value()        {}
func (*ByteJump) value()        {}
func (*ByteExtract) value()     {}
func (*IsDataAt) value()        {}
func (*Dsize) value()           {}
func (*Urilen) value()          {}
func (*Bsize) value()           {}
func (*Threshold) value()       {}
func (*DetectionFilter) value() {}
func (*Target) value()          {}
func (*Service) value()         {}
func (*Flag) value()            {}

// Option returns the first option called name, or nil.
func (r *Rule) Option(name string) *Option {
	for _, o := range r.Options {
		if o.Name == name {
			return o
		}
	}
	return nil
}

func (r *Rule) intOption(name string, def int) int {
	for _, o := range r.Options {
		if o.Name == name && !o.Invalid {
			if v, ok := o.Value.(*Int); ok {
				return v.N
			}
		}
	}
	return def
}

// SID returns the first valid sid, or 0 when there is none.
func (r *Rule) SID() int { return r.intOption("sid", 0) }

// GID returns the gid; 1 when absent, as Suricata and Snort assume.
func (r *Rule) GID() int { return r.intOption("gid", 1) }

// Rev returns the revision, or 0 when missing.
func (r *Rule) Rev() int { return r.intOption("rev", 0) }

// Priority returns the priority option, or 0 when absent (the
// classtype's priority then applies).
func (r *Rule) Priority() int { return r.intOption("priority", 0) }

// Msg returns the message with escapes removed.
func (r *Rule) Msg() string {
	if o := r.Option("msg"); o != nil {
		if v, ok := o.Value.(*Msg); ok {
			return v.Text
		}
	}
	return ""
}

// Classtype returns the classtype name, or "".
func (r *Rule) Classtype() string {
	if o := r.Option("classtype"); o != nil {
		if v, ok := o.Value.(*Classtype); ok {
			return v.Name
		}
	}
	return ""
}

// References returns every valid reference option in order.
func (r *Rule) References() []*Reference {
	var refs []*Reference
	for _, o := range r.Options {
		if v, ok := o.Value.(*Reference); ok {
			refs = append(refs, v)
		}
	}
	return refs
}

// Metadata returns the entries of every metadata option merged in order.
func (r *Rule) Metadata() []MetaEntry {
	var md []MetaEntry
	for _, o := range r.Options {
		if v, ok := o.Value.(*Metadata); ok {
			md = append(md, v.Entries...)
		}
	}
	return md
}

// Contents returns the typed content matches in order.
func (r *Rule) Contents() []*Content {
	var cs []*Content
	for _, o := range r.Options {
		if v, ok := o.Value.(*Content); ok {
			cs = append(cs, v)
		}
	}
	return cs
}

// Position resolves p against the rule's file (zero Position for ParseRule
// rules, whose positions are offsets into the text given).
func (r *Rule) Position(p Pos) Position {
	if r.File == nil {
		return Position{Offset: int(p)}
	}
	return r.File.Position(p)
}
