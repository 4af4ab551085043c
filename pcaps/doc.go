// Package pcaps reads pcap and pcapng captures, decodes packets, tracks flows,
// reassembles TCP streams and drives the HTTP/1.x parser (package
// pcaps/http1), handing each packet to a Handler with what Suricata 7 would
// inspect at that packet: its payload, the reassembled stream data that
// became inspectable, and the HTTP transactions that advanced.
//
// It knows nothing of rules: package matcher consumes what it produces.
//
// Concurrency: Process runs one capture on the calling goroutine and keeps
// all its state (flow table, reassembly buffers) in a value of its own, so
// several captures may be processed concurrently; the Handler is called
// from that goroutine only, in capture order. There is no package state.
// ProcessSharded (shard.go) spreads one capture's flows over several
// engines on goroutines of their own, one ShardHandler each, called from
// its shard's goroutine only.
//
// Memory is bounded independently of the capture's size: the flow table by
// Config.MaxFlows and flow timeouts (each flow against its own), stream
// data by the reassembly depth and Config.StreamMemcap, and data that was
// both inspected and parsed is released as the peers acknowledge it; an
// emptied stream gives its buffer back to the engine's pool (bufpool.go),
// so flows waiting for their timeout hold no stream memory. Frame data is
// read in place from the reader's buffer (no copy per frame).
package pcaps
