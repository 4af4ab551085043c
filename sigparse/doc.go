// Package sigparse reads Snort 2.9, Snort 3 and Suricata rules into an AST,
// prints them back verbatim or in canonical form, converts between the
// dialects, and reports errors with file:line:column positions.
//
// ParseFile lexes a file with a synchronous state machine (no goroutine),
// joins backslash-continued lines while keeping every position a byte
// offset into the physical file, parses '#'-disabled rules too, detects
// the dialect per file and reads a typed Value for each option it knows.
// Content modifiers are folded into their Content, whichever dialect wrote
// them, with Content.Buffer naming the Suricata 7 sticky buffer. A bad
// option value marks that option Invalid and is recorded in the ErrorList;
// the rule is still returned. Unknown keywords are kept with a nil Value.
//
// Format prints a rule on one line in Emerging Threats option order
// (moving only options that do not take part in matching) and, with
// FormatOptions.To, converts it to another dialect or says why it cannot.
//
// Concurrency: the package keeps no mutable state; parsing different inputs
// from many goroutines at once is safe. A parsed File and its Rules are
// not modified by the package after ParseFile returns, except that
// File.Position fills a line table on first use, so share a File between
// goroutines only after calling Position once (ParseFile does).
package sigparse
