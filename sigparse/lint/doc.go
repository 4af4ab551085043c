// Package lint checks parsed rules for what Suricata 7 would refuse, what
// can never match, what is slow, and (with Style "et") the Emerging
// Threats house conventions. Check returns a Result that prints as text
// (file:line:col: severity: message [code], the source line and a caret),
// as one JSON document, or as SARIF 2.1.0 for GitHub code scanning.
//
// Every check has a stable code and a one-line description (Checks). Parse
// errors recorded in the files are diagnostics too, and a rule with a bad
// option value is still checked for everything else.
//
// Concurrency: the package keeps no mutable state; Check only reads the
// files it is given, so several Checks may share them.
package lint
