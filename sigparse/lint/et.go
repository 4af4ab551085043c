package lint

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sigtool/sigtool/sigparse"
)

// etCategories are the categories an ET msg may start with ("ET MALWARE
// ..."), from ET's published category list for the Suricata 5+ rulesets
// and the prefixes ET Open itself uses for its IP-list rule files (CINS,
// CNC, COMPROMISED, DROP, 3CORESec).
var etCategories = setOf(etCategoryWords)

const etCategoryWords = `
3CORESec ACTIVEX ADWARE_PUP ATTACK_RESPONSE CHAT CINS CNC COINMINER
COMPROMISED CURRENT_EVENTS DELETED DNS DOS DROP EXPLOIT EXPLOIT_KIT FTP
GAMES HUNTING ICMP ICMP_INFO IMAP INAPPROPRIATE INFO JA3 MALWARE MISC
MOBILE_MALWARE NETBIOS P2P PHISHING POLICY POP3 RPC SCADA SCAN SHELLCODE
SMTP SNMP SQL TELNET TFTP TOR USER_AGENTS VOIP WEB_CLIENT WEB_SERVER
WEB_SPECIFIC_APPS WORM
`

// etRetired maps categories ET no longer assigns to their replacement.
// TROJAN was folded into MALWARE (ET Open keeps it only as
// "former_category TROJAN" metadata).
var etRetired = map[string]string{
	"TROJAN": "MALWARE",
}

// etVocabWords is the closed vocabulary of ET metadata keys whose values
// ET picks from a fixed list (as found across ET Open, April 2024), most
// used first: ETMetadataValues hands this order to pickers.
var etVocabWords = map[string]string{
	"attack_target": `Client_Endpoint Client_and_Server Any Server Web_Server Mobile_Client
		Networking_Equipment IoT ICS SMTP_Server SMB_Client SMB_Server DNS_Server FTP_Server
		SQL_Server Linux_Unix`,
	"deployment":         `Perimeter Internal Datacenter SSLDecrypt Internet alert_only`,
	"signature_severity": `Informational Minor Major Critical`,
	"confidence":         `Low Medium High`,
	"performance_impact": `Low Moderate Significant`,
	"deprecation_reason": `Age Duplicate Relevance Performance False_Positive Moved_to_Open`,
	"tls_state":          `TLSDecrypt TLSEncrypt plaintext`,
}

// etVocab is etVocabWords as sets, for the checks.
var etVocab = func() map[string]map[string]bool {
	m := map[string]map[string]bool{}
	for k, words := range etVocabWords {
		m[k] = setOf(words)
	}
	return m
}()

// etDateKeys hold dates written YYYY_MM_DD.
var etDateKeys = setOf(`created_at updated_at reviewed_at`)

// etFreeKeys are ET metadata keys whose values are free tokens.
var etFreeKeys = setOf(`affected_product tag malware_family former_category former_sid cve
	mitre_tactic_id mitre_tactic_name mitre_technique_id mitre_technique_name ruleset`)

var etRequired = [...]string{"created_at", "updated_at"}

var (
	mitreTactic    = regexp.MustCompile(`^TA\d{4}$`)
	mitreTechnique = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	etDate         = regexp.MustCompile(`^\d{4}_\d{2}_\d{2}$`)
)

func (c *checker) checkET(r *sigparse.Rule) {
	c.etMsg(r)
	c.etSID(r)
	if r.Option("classtype") == nil {
		c.reportRule(r, "et-classtype-missing", "rule has no classtype")
	}
	c.etMetadata(r)
}

func (c *checker) etMsg(r *sigparse.Rule) {
	o := r.Option("msg")
	if o == nil || o.Value == nil {
		return // msg-missing or option-invalid already said so
	}
	msg := r.Msg()
	f := strings.Fields(msg)
	switch {
	case len(f) < 3 || f[0] != "ET" && f[0] != "GPL":
		c.reportArg(r, o, "et-msg-prefix", `msg should start with "ET <CATEGORY> " (e.g. "ET MALWARE "), got %q`, firstWords(msg, 2))
	case etRetired[f[1]] != "":
		c.reportArg(r, o, "et-msg-prefix", `category %s is retired; use "%s %s"`, f[1], f[0], etRetired[f[1]])
	case !etCategories[f[1]]:
		c.reportArg(r, o, "et-msg-prefix", "%q is not a current ET category", f[1])
	case !strings.HasPrefix(msg, f[0]+" "+f[1]+" "):
		c.reportArg(r, o, "et-msg-prefix", `msg prefix should be "%s %s " with single spaces`, f[0], f[1])
	}
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

func (c *checker) etSID(r *sigparse.Rule) {
	sid := r.SID()
	if sid <= 0 {
		return
	}
	if sid >= 1000000 && sid <= 2999999 {
		return
	}
	c.reportArg(r, r.Option("sid"), "et-sid-range", "sid %d is outside the ET ranges: new local rules use 1000000-1999999", sid)
}

func (c *checker) etMetadata(r *sigparse.Rule) {
	var last *sigparse.Option
	var have [len(etRequired)]bool
	for _, o := range r.Options {
		md, ok := o.Value.(*sigparse.Metadata)
		if !ok {
			continue
		}
		last = o
		for _, e := range md.Entries {
			if i := slices.Index(etRequired[:], e.Key); i >= 0 {
				have[i] = true
			}
			c.etEntry(r, o, e)
		}
	}
	if !slices.Contains(have[:], false) {
		return
	}
	var missing []string
	for i, k := range etRequired {
		if !have[i] {
			missing = append(missing, k)
		}
	}
	msg := "metadata lacks " + strings.Join(missing, " and ")
	if last == nil {
		c.reportRule(r, "et-metadata-missing", "rule has no metadata (ET rules carry created_at and updated_at)")
		return
	}
	c.reportOpt(r, last, "et-metadata-missing", "%s", msg)
}

func (c *checker) etEntry(r *sigparse.Rule, o *sigparse.Option, e sigparse.MetaEntry) {
	k, v := e.Key, e.Value
	if v == "" {
		c.reportArg(r, o, "et-metadata-value", "metadata key %s has no value", k)
		return
	}
	if strings.ContainsAny(v, " \t") {
		c.reportArg(r, o, "et-metadata-value", "metadata %s value %q has spaces; ET values are single tokens joined with _", k, v)
		return
	}
	switch {
	case etDateKeys[k]:
		if !etDate.MatchString(v) {
			c.reportArg(r, o, "et-metadata-value", "metadata %s %s: dates are written YYYY_MM_DD", k, v)
		} else if _, err := time.Parse("2006_01_02", v); err != nil {
			c.reportArg(r, o, "et-metadata-value", "metadata %s %s is not a calendar date", k, v)
		}
	case etVocab[k] != nil:
		if !etVocab[k][v] {
			c.reportArg(r, o, "et-metadata-value", "metadata %s %s is not one of %s", k, v, vocabList(etVocab[k]))
		}
	case k == "mitre_tactic_id":
		if !mitreTactic.MatchString(v) {
			c.reportArg(r, o, "et-metadata-value", "metadata mitre_tactic_id %s is not a MITRE tactic id (TA0001)", v)
		}
	case k == "mitre_technique_id":
		if !mitreTechnique.MatchString(v) {
			c.reportArg(r, o, "et-metadata-value", "metadata mitre_technique_id %s is not a MITRE technique id (T1071 or T1071.001)", v)
		}
	case k == "former_category":
		if !etCategories[v] && etRetired[v] == "" {
			c.reportArg(r, o, "et-metadata-value", "metadata former_category %s is not an ET category", v)
		}
	case etFreeKeys[k]:
	default:
		c.reportArg(r, o, "et-metadata-key", "metadata key %s is not one ET uses", k)
	}
}

// vocabList prints a vocabulary in a stable order.
func vocabList(m map[string]bool) string {
	var ws []string
	for w := range m {
		ws = append(ws, w)
	}
	slices.Sort(ws)
	return strings.Join(ws, ", ")
}

// ETCategories returns the current ET msg categories (the CATEGORY of
// "ET CATEGORY ..."), sorted, as lint's ET style accepts them. Retired
// ones such as TROJAN are not included: lint reports them. The slice is
// new on every call; changing it changes nothing in lint.
func ETCategories() []string {
	return strings.Fields(etCategoryWords)
}

// ETMetadataValues returns the closed vocabulary lint's ET style accepts
// for metadata key, most used first, and false for a key whose values are
// free (or that ET does not use). The slice is new on every call.
func ETMetadataValues(key string) ([]string, bool) {
	words, ok := etVocabWords[key]
	if !ok {
		return nil, false
	}
	return strings.Fields(words), true
}
