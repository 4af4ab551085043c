// Package report writes alerts as Suricata EVE JSON, fast.log lines and a
// per-signature summary, and checks a run against expected alert counts.
package report
