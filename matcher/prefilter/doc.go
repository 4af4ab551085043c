// Package prefilter is the multi-pattern stage in front of per-rule
// evaluation (Suricata's MPM): a search per buffer kind over the rules'
// fast patterns finds the rules whose fast pattern occurs in a buffer;
// only those, plus the rules with no fast pattern, need evaluating. A
// rule's fast pattern is a content the rule cannot match without
// (matcher.RulePattern.Fast), so skipping the others never changes a
// verdict.
//
// Only the presence of each pattern matters, not where or how often it
// occurs, so the search per buffer kind (search.go) is a filter rather than
// an automaton: one-byte patterns are found with bytes.IndexByte or a byte
// table; the others set bits in a bitmap over 2-byte keys or hashed,
// case-folded 4-byte windows (tested at every position, or every 2nd, 4th
// or 8th for long patterns), and each bitmap hit is verified against the
// whole pattern, folded for nocase and exact otherwise. Each pattern is
// keyed on the windows least likely to occur in traffic, by a rough
// byte-class model and by how many of the buffer's patterns share the
// window.
//
// A Prefilter is immutable and safe for concurrent use; the per-scan state
// is a Scratch the caller owns and reuses, and the scan path does not
// allocate once the scratch has grown to its working size.
package prefilter
