package web

import (
	"sort"

	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse/lint"
)

// vocabulary is what the draft form offers in its pickers. It is built
// once per Server from rulesets' defaults and the ET conventions.
type vocabulary struct {
	Actions    []string
	Protocols  []string
	AddrVars   []string
	PortVars   []string
	Categories []string
	Buffers    []bufferChoice
	RefSchemes []string
	Classtypes []rulesets.Class
	Meta       []metaField
}

type bufferChoice struct{ Name, Label string }

type metaField struct {
	Key         string
	Values      []string // a closed vocabulary; nil for free text
	Placeholder string
}

// retiredCategories are categories lint no longer accepts in a new msg
// (TROJAN was folded into MALWARE, and lint says so) that the picker still
// offers, so that older drafts such as the Kryptik example load with their
// category.
var retiredCategories = []string{"TROJAN"}

// buffers are Suricata 7 sticky buffers, payload first.
var buffers = []bufferChoice{
	{"", "payload"},
	{"http.uri", "http.uri"},
	{"http.uri.raw", "http.uri.raw"},
	{"http.method", "http.method"},
	{"http.request_line", "http.request_line"},
	{"http.protocol", "http.protocol"},
	{"http.header", "http.header"},
	{"http.header.raw", "http.header.raw"},
	{"http.header_names", "http.header_names"},
	{"http.host", "http.host"},
	{"http.host.raw", "http.host.raw"},
	{"http.user_agent", "http.user_agent"},
	{"http.cookie", "http.cookie"},
	{"http.accept", "http.accept"},
	{"http.content_type", "http.content_type"},
	{"http.referer", "http.referer"},
	{"http.request_body", "http.request_body"},
	{"http.stat_code", "http.stat_code"},
	{"http.stat_msg", "http.stat_msg"},
	{"http.response_line", "http.response_line"},
	{"http.response_body", "http.response_body"},
	{"file.data", "file.data"},
	{"dns.query", "dns.query"},
	{"tls.sni", "tls.sni"},
}

// etMeta are the metadata keys of the ET style guide the form offers, in
// the form's order. Keys with a closed vocabulary take it from lint (so the
// picker offers exactly what lint accepts); the others are free text.
var etMeta = []metaField{
	{Key: "attack_target"},
	{Key: "deployment"},
	{Key: "signature_severity"},
	{Key: "confidence"},
	{Key: "performance_impact"},
	{Key: "malware_family", Placeholder: "Kryptik"},
	{Key: "affected_product", Placeholder: "Windows_XP_Vista_7_8_10_Server_32_64_Bit"},
	{Key: "created_at", Placeholder: "2024_04_01"},
	{Key: "updated_at", Placeholder: "2024_04_01"},
	{Key: "former_category", Placeholder: "TROJAN"},
}

func newVocabulary() vocabulary {
	v := vocabulary{
		Actions:    []string{"alert", "drop", "reject", "pass"},
		Protocols:  []string{"http", "tcp", "udp", "icmp", "ip", "dns", "tls", "smtp", "ftp"},
		Categories: append(lint.ETCategories(), retiredCategories...),
		Buffers:    buffers,
	}
	sort.Strings(v.Categories)
	for _, m := range etMeta {
		m.Values, _ = lint.ETMetadataValues(m.Key)
		v.Meta = append(v.Meta, m)
	}
	for name, value := range rulesets.DefaultVars() {
		if rulesets.IsDefaultPortVar(name) {
			v.PortVars = append(v.PortVars, name)
		} else if value != "" {
			v.AddrVars = append(v.AddrVars, name)
		}
	}
	sort.Strings(v.AddrVars)
	sort.Strings(v.PortVars)
	for _, r := range rulesets.DefaultReferences().All() {
		v.RefSchemes = append(v.RefSchemes, r.Name)
	}
	sort.Slice(v.RefSchemes, func(i, j int) bool {
		// url first: it is what ET drafts mostly cite.
		if (v.RefSchemes[i] == "url") != (v.RefSchemes[j] == "url") {
			return v.RefSchemes[i] == "url"
		}
		return v.RefSchemes[i] < v.RefSchemes[j]
	})
	v.Classtypes = rulesets.DefaultClassifications().All()
	return v
}
