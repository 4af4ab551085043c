// Package pcapgen writes synthetic captures: whole TCP conversations built
// from HTTP request and response bytes, single TCP segments, UDP datagrams and
// ICMP messages, over Ethernet (optionally 802.1Q or QinQ tagged), Linux SLL
// and SLL2, raw IP or BSD loopback, as pcap or pcapng.
//
// It exists so that tests and `sigtool synth` can make a true-positive capture
// from an HTTP exchange copied out of a log, and so that the reader and the
// matcher have testdata for the hard cases (segmented, out-of-order,
// retransmitted and overlapping data, pipelining, IPv6, VLANs, odd ports, a
// missing handshake, a bad checksum) without shipping opaque binary files.
//
// Output is deterministic: the same calls produce the same bytes, with
// timestamps that advance by a fixed step from a fixed start, so generated
// files can be compared with golden copies and alerts with expected
// timestamps.
//
// A Capture is not safe for concurrent use; build one per goroutine. The
// package keeps no state of its own.
package pcapgen
