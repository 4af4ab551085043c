// Package matcher decides, as Suricata would with its default configuration,
// which rules alert on the packets, streams and HTTP transactions that
// package pcaps produces.
//
// Rules are compiled once into an immutable program; matching works on byte
// views with scratch state owned by the caller, and the per-packet path does
// not allocate.
package matcher
