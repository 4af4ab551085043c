package web

import (
	"sort"

	"github.com/sigtool/sigtool/rulesets"
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

// etCategories are the "ET <CATEGORY>" msg prefixes lint's ET style
// accepts, plus TROJAN: retired in favour of MALWARE (lint says so) but
// still in drafts such as the Kryptik example, which must load into the
// picker. Keep in step with sigparse/lint/et.go, which does not export it.
var etCategories = []string{
	"3CORESec", "ACTIVEX", "ADWARE_PUP", "ATTACK_RESPONSE", "CHAT", "CINS", "CNC", "COINMINER",
	"COMPROMISED", "CURRENT_EVENTS", "DELETED", "DNS", "DOS", "DROP", "EXPLOIT", "EXPLOIT_KIT", "FTP",
	"GAMES", "HUNTING", "ICMP", "ICMP_INFO", "IMAP", "INAPPROPRIATE", "INFO", "JA3", "MALWARE", "MISC",
	"MOBILE_MALWARE", "NETBIOS", "P2P", "PHISHING", "POLICY", "POP3", "RPC", "SCADA", "SCAN", "SHELLCODE",
	"SMTP", "SNMP", "SQL", "TELNET", "TFTP", "TOR", "TROJAN", "USER_AGENTS", "VOIP", "WEB_CLIENT",
	"WEB_SERVER", "WEB_SPECIFIC_APPS", "WORM",
}

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

// etMeta are the metadata keys of the ET style guide with their
// vocabularies where the guide fixes one.
var etMeta = []metaField{
	{Key: "attack_target", Values: []string{"Client_Endpoint", "Client_and_Server", "Any", "Server", "Web_Server", "Mobile_Client",
		"Networking_Equipment", "IoT", "ICS", "SMTP_Server", "SMB_Client", "SMB_Server", "DNS_Server", "FTP_Server", "SQL_Server", "Linux_Unix"}},
	{Key: "deployment", Values: []string{"Perimeter", "Internal", "Datacenter", "SSLDecrypt", "Internet", "alert_only"}},
	{Key: "signature_severity", Values: []string{"Informational", "Minor", "Major", "Critical"}},
	{Key: "confidence", Values: []string{"Low", "Medium", "High"}},
	{Key: "performance_impact", Values: []string{"Low", "Moderate", "Significant"}},
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
		Categories: etCategories,
		Buffers:    buffers,
		Meta:       etMeta,
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
