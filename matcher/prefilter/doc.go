// Package prefilter is the multi-pattern stage in front of per-rule
// evaluation (Suricata's MPM): one Aho-Corasick automaton per buffer kind
// over the rules' fast patterns finds, in one pass over each buffer, the
// rules whose fast pattern occurs; only those, plus the rules with no fast
// pattern, need evaluating. A rule's fast pattern is a content the rule
// cannot match without (matcher.RulePattern.Fast), so skipping the others
// never changes a verdict.
//
// The automaton folds ASCII case (nocase patterns match as is, and
// case-sensitive hits are confirmed against the input), keeps full
// 256-entry transition rows for the states near the root, where scanning
// spends most of its time, and sparse children plus failure links deeper
// down, which keeps ET Open's tens of thousands of patterns in a few MB.
//
// A Prefilter is immutable and safe for concurrent use; the per-scan state
// is a Scratch the caller owns and reuses, and the scan path does not
// allocate once the scratch has grown to its working size.
package prefilter
