package web

import (
	"strings"

	"github.com/sigtool/sigtool/sigparse"
)

// ruleForm is a rule as the draft form edits it (POST /api/parse). Field
// values are rule syntax as written, so that loading a rule and building it
// again from the form keeps escapes and hex bytes as the author had them.
type ruleForm struct {
	Action    string         `json:"action"`
	Protocol  string         `json:"protocol"`
	Src       string         `json:"src"`
	SrcPort   string         `json:"src_port"`
	Direction string         `json:"direction"`
	Dst       string         `json:"dst"`
	DstPort   string         `json:"dst_port"`
	Category  string         `json:"category"`
	Msg       string         `json:"msg"`
	FlowState string         `json:"flow_state"`
	FlowDir   string         `json:"flow_dir"`
	Items     []formItem     `json:"items"`
	RefScheme string         `json:"ref_scheme"`
	Ref       string         `json:"ref"`
	Classtype string         `json:"classtype"`
	SID       string         `json:"sid"`
	Rev       string         `json:"rev"`
	Metadata  map[string]any `json:"metadata"`
	// Other holds the options the form has no field for, as "name:arg;"
	// text in source order.
	Other string `json:"other"`
}

// formItem is one detection item: a content or pcre in a buffer.
type formItem struct {
	Kind       string `json:"kind"` // content or pcre
	Buffer     string `json:"buffer"`
	Value      string `json:"value"`
	Negate     bool   `json:"negate"`
	Nocase     bool   `json:"nocase,omitempty"`
	Fast       bool   `json:"fast,omitempty"`
	Startswith bool   `json:"startswith,omitempty"`
	Endswith   bool   `json:"endswith,omitempty"`
	Depth      string `json:"depth,omitempty"`
	Offset     string `json:"offset,omitempty"`
	Distance   string `json:"distance,omitempty"`
	Within     string `json:"within,omitempty"`
}

// pcreBufferFlags are the pcre flags that select an HTTP buffer; the form
// expresses the buffer with its picker instead.
const pcreBufferFlags = "UIPHDMCSYKVWZQ"

// toForm maps a parsed rule onto the form. Warnings name what the form
// cannot show (transforms, options it would have to move).
func toForm(r *sigparse.Rule, vocab vocabulary) (ruleForm, []string) {
	f := ruleForm{
		Action: r.Action, Protocol: r.Protocol,
		Src: addrText(r.Src), SrcPort: portText(r.SrcPort),
		Dst: addrText(r.Dst), DstPort: portText(r.DstPort),
		Direction: "->", Metadata: map[string]any{},
	}
	if r.Bidirectional {
		f.Direction = "<>"
	}
	var warnings, other []string
	metaKeys := map[string]bool{}
	for _, m := range vocab.Meta {
		metaKeys[m.Key] = true
	}
	keep := func(o *sigparse.Option) {
		if o.HasArg {
			other = append(other, o.Name+":"+o.Arg+";")
		} else {
			other = append(other, o.Name+";")
		}
	}
	refSeen := false
	var moved []string
	for _, o := range r.Options {
		switch v := o.Value.(type) {
		case *sigparse.Msg:
			f.Msg = v.Text
			if rest, ok := strings.CutPrefix(v.Text, "ET "); ok {
				cat, tail, _ := strings.Cut(rest, " ")
				for _, c := range vocab.Categories {
					if c == cat {
						f.Category, f.Msg = cat, tail
						break
					}
				}
			}
		case *sigparse.Flow:
			if flowExtras(v) {
				keep(o)
				continue
			}
			switch {
			case v.Established:
				f.FlowState = "established"
			case v.NotEstablished:
				f.FlowState = "not_established"
			case v.Stateless:
				f.FlowState = "stateless"
			}
			switch {
			case v.ToServer:
				f.FlowDir = "to_server"
			case v.ToClient:
				f.FlowDir = "to_client"
			}
		case *sigparse.Content:
			it := formItem{Kind: "content", Buffer: v.Buffer, Value: quoted(o.Arg), Negate: v.Negated,
				Nocase: v.Nocase, Fast: v.FastPattern != nil, Startswith: v.Startswith, Endswith: v.Endswith,
				Depth: intOrVar(v.Depth), Offset: intOrVar(v.Offset), Distance: intOrVar(v.Distance), Within: intOrVar(v.Within)}
			if len(v.Transforms) > 0 {
				warnings = append(warnings, "transforms ("+strings.Join(v.Transforms, ", ")+") are not shown in the form; the rule text keeps them until the form is edited")
			}
			f.Items = append(f.Items, it)
		case *sigparse.PCRE:
			val := quoted(o.Arg)
			if i := strings.LastIndexByte(val, '/'); i > 0 && v.Buffer != "" {
				flags := strings.Map(func(r rune) rune {
					if strings.ContainsRune(pcreBufferFlags, r) {
						return -1
					}
					return r
				}, val[i+1:])
				val = val[:i+1] + flags
			}
			f.Items = append(f.Items, formItem{Kind: "pcre", Buffer: v.Buffer, Value: val, Negate: v.Negated})
		case *sigparse.Modifier, *sigparse.FastPattern, *sigparse.StickyBuffer, *sigparse.Transform:
			// Folded into the content they modify.
		case *sigparse.ByteTest, *sigparse.ByteJump, *sigparse.ByteExtract, *sigparse.IsDataAt, *sigparse.Bsize:
			// Their place among the contents matters (relative offsets,
			// the buffer in force); Other goes after the last item.
			keep(o)
			moved = append(moved, o.Name)
		case *sigparse.Reference:
			if refSeen {
				keep(o)
				continue
			}
			refSeen = true
			f.RefScheme, f.Ref = v.Scheme, v.ID
		case *sigparse.Classtype:
			f.Classtype = v.Name
		case *sigparse.Metadata:
			var rest []string
			for _, e := range v.Entries {
				if _, dup := f.Metadata[e.Key]; metaKeys[e.Key] && !dup {
					f.Metadata[e.Key] = e.Value
				} else {
					rest = append(rest, e.Key+" "+e.Value)
				}
			}
			if len(rest) > 0 {
				other = append(other, "metadata:"+strings.Join(rest, ", ")+";")
			}
		default:
			switch o.Name {
			case "sid":
				f.SID = o.Arg
			case "rev":
				f.Rev = o.Arg
			case "msg":
				f.Msg = quoted(o.Arg)
			default:
				keep(o)
			}
		}
	}
	f.Other = strings.Join(other, " ")
	if len(moved) > 0 {
		warnings = append(warnings, "the form has no place for "+strings.Join(moved, ", ")+
			" among the detection items; editing the form moves it after them, which can change what it inspects")
	}
	return f, warnings
}

// flowExtras reports flow flags the form's two pickers cannot show.
func flowExtras(v *sigparse.Flow) bool {
	return v.OnlyStream || v.NoStream || v.OnlyFrag || v.NoFrag || len(v.Flags) > 2
}

func addrText(a *sigparse.Addr) string {
	if a == nil {
		return "any"
	}
	return a.Raw
}

func portText(p *sigparse.Port) string {
	if p == nil {
		return "any"
	}
	return p.Raw
}

func intOrVar(v *sigparse.IntOrVar) string {
	if v == nil {
		return ""
	}
	return v.String()
}

// quoted returns the text between the first pair of unescaped double
// quotes of an option argument (content:!"a\"b",nocase gives a\"b), or the
// argument itself when it has no quotes.
func quoted(arg string) string {
	start := strings.IndexByte(arg, '"')
	if start < 0 {
		return arg
	}
	for i := start + 1; i < len(arg); i++ {
		switch arg[i] {
		case '\\':
			i++
		case '"':
			return arg[start+1 : i]
		}
	}
	return arg[start+1:]
}
