// Package rulesets is everything around the rules that is not the rule
// language itself: loading rule files and directories into parsed files,
// Suricata's address and port variables (its default suricata.yaml vars,
// NAME=VALUE overrides, the vars section of a suricata.yaml) and their
// expansion, classification.config and reference.config (with Suricata's
// defaults built in), and suricata-update style enable/disable filters.
//
// Concurrency: the package keeps no mutable state. Every Default* function
// returns a new value the caller owns; Classifications and References are
// read-only once built and safe to share between goroutines.
package rulesets
