package export

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteVerdicts prints one line per signature (gid:sid, verdict,
// location, msg) with its notes indented below, then the totals.
func (t *Translation) WriteVerdicts(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %-17s %s\n", "SIGNATURE", "VERDICT ("+string(t.Format)+")", "MSG")
	for _, r := range t.Results {
		where := ""
		if r.File != "" {
			where = fmt.Sprintf(" (%s:%d)", r.File, r.Line)
		}
		fmt.Fprintf(&b, "%-14s %-17s %s%s\n", fmt.Sprintf("%d:%d", r.GID, r.SID), r.Verdict, oneLine(r.Msg), where)
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "%32s- %s\n", "", n)
		}
	}
	fmt.Fprintf(&b, "%s: %s\n", Plural(len(t.Results), "signature"), summaryText(t.Summary()))
	_, err := io.WriteString(w, b.String())
	return err
}

// JSONDocument is what WriteJSON writes: the verdicts and the loadable
// rule set as one document.
type JSONDocument struct {
	Format  Format          `json:"format"`
	Version string          `json:"sigtool_version"`
	Summary map[Verdict]int `json:"summary"`
	Results []*Result       `json:"results"`
	// Ruleset is the iptables-restore or nft -f file.
	Ruleset string `json:"ruleset"`
}

// WriteJSON writes the verdicts, the per-signature rules and the whole
// loadable file as an indented JSON document.
func (t *Translation) WriteJSON(w io.Writer, version string) error {
	var rs strings.Builder
	if err := t.WriteRuleset(&rs, version); err != nil {
		return err
	}
	doc := JSONDocument{Format: t.Format, Version: version, Summary: t.Summary(), Results: t.Results, Ruleset: rs.String()}
	if doc.Results == nil {
		doc.Results = []*Result{}
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(doc)
}

// WriteRuleset writes the loadable file of the translation's format.
func (t *Translation) WriteRuleset(w io.Writer, version string) error {
	if t.Format == NFTables {
		return t.WriteNFT(w, version)
	}
	return t.WriteIPTablesRestore(w, version)
}

// Plural returns "1 signature" or "N signatures".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
