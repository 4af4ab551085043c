package pcaps

import "github.com/sigtool/sigtool/pcaps/http1"

// HTTPEvent names a transaction whose progress advanced in one direction.
// It is delivered with the first packet of that direction at which
// Suricata would inspect the transaction: in IDS mode the request is parsed
// when the server ACKs it and inspected on the client's next packet (or the
// flow's end); in inline mode on the packet that carried it.
type HTTPEvent struct {
	// Tx is the transaction; it stays valid after HandlePacket returns
	// but keeps changing as the connection is parsed further.
	Tx *http1.Tx
	// TxID is Suricata's tx_id: the transaction's index in the flow.
	TxID int
	// ToServer is true when the request side advanced, false for the
	// response side.
	ToServer bool
	// Progress is the transaction's progress when the event was delivered.
	Progress http1.Progress
}
