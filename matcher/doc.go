// Package matcher decides, as Suricata 7 would with its default
// configuration, which rules alert on the packets, streams and HTTP
// transactions that package pcaps produces.
//
// Compile turns parsed rules into an immutable Engine: addresses and ports
// are resolved against the variables once, every option becomes a compiled
// step of a match list (payload or one per HTTP buffer), and rules the
// engine cannot evaluate faithfully are listed by NotEvaluated instead of
// silently passing or failing. An Engine is safe for concurrent scans.
//
// A scan (ScanFile, Scan) owns all mutable state: per-flow state hangs off
// pcaps.Flow.UserData, and a scratch area reused for every packet keeps the
// per-packet path free of allocations when nothing alerts. Alerts are
// handed to the emit callback in capture order; an Alert and its slices
// belong to the callee. ScanParallel (parallel.go) runs one scanner per
// shard of the capture's flows and calls emit from the caller's goroutine,
// in the same order with the same alerts.
//
// The files: api.go (public types), compile.go (rules to programs),
// header.go (addresses, ports, variables), inspect.go (Suricata's content
// inspection over byte views), pcre.go (RE2 or backtracking pcre),
// pktkw.go (flags, itype, icode), engine.go (the pcaps.Handler: stream,
// packet and transaction inspection, flowbits, thresholds,
// packet-alert-max), parallel.go (workers per capture and the ordered
// merge of their alerts).
package matcher
