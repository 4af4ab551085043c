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
// Byte slices returned by a Tx are owned by the Tx and must not be modified
// by the caller. Once the part of the transaction a buffer belongs to is
// complete (see Buffer.Progress) a returned slice never changes; two buffers
// may still grow afterwards, as in Suricata: http.header.raw takes chunked
// trailers, and a 100 Continue's status line is replaced by the final one.
//
// Transactions leave the Conn's list once complete and reported by
// Updated, or when more than 512 wait (Suricata's max-tx), so memory does
// not grow with the connection; header blocks, folded lines, bodies and
// decompressed output are capped (Config).
package http1
