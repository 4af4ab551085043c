// Package pcaps reads pcap and pcapng captures, decodes packets, tracks flows,
// reassembles TCP streams and parses HTTP/1.x into per-transaction buffers.
//
// It knows nothing of rules: package matcher consumes what it produces.
package pcaps
