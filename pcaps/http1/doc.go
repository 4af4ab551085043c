// Package http1 is an incremental HTTP/1.x parser that turns the two
// reassembled byte streams of one TCP connection into transactions holding
// the buffers Suricata 7 inspects (http.uri, http.header, file.data, ...).
//
// It follows libhtp 0.5 (the parser behind Suricata 7) with Suricata's
// default "IDS" personality wherever the two could disagree: what counts as
// a request line, header folding and repeated headers, URI normalization,
// chunked and Content-Length bodies, 100-continue, gzip/deflate response
// bodies and HTTP/0.9.
//
// One Conn per TCP connection. Feed each direction's bytes in stream order
// with Request and Response (any split of the stream gives the same
// transactions), report holes with RequestGap/ResponseGap and end with
// Close. A Conn is not safe for concurrent use; distinct Conns are
// independent (the package has no state of its own).
//
// Byte slices returned by a Tx are owned by the Tx: they stay valid and
// unchanged once the part of the transaction they belong to is complete (see
// Buffer.Progress) and must not be modified by the caller.
package http1
