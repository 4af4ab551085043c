// Package report writes alerts as Suricata EVE JSON, fast.log lines and a
// per-signature summary, and checks a run against expected alert counts.
//
// EVE records follow Suricata 7's field names and order, so jq filters,
// Elastic pipelines and suricata-verify checks written for Suricata read
// sigtool's output unchanged. Expectations come in two shapes: sigtool's own
// `{alerts: {sid: n}, alerts_min: {sid: n}}` (YAML or JSON; the
// expected.json files of the shared corpus are of this shape) and
// suricata-verify's test.yaml, whose filters are applied to the EVE records
// by dotted path.
//
// Writers are plain functions of their arguments; a Summary collects counts
// from one goroutine (wrap it in a mutex to share it). The package keeps no
// state.
package report
