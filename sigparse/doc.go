// Package sigparse reads Snort 2.9, Snort 3 and Suricata rules into an AST,
// prints them back verbatim or in canonical form, and reports errors with
// file:line:column positions.
//
// Concurrency: the package keeps no mutable state; parsing different inputs
// from many goroutines at once is safe. A parsed Rule is not modified by the
// package after Parse returns.
package sigparse
