package matcher

import (
	"context"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/sigtool/sigtool/matcher/iponly"
	"github.com/sigtool/sigtool/matcher/prefilter"
	"github.com/sigtool/sigtool/sigparse"
)

// DefaultPacketAlertMax is Suricata's packet-alert-max default: at most this
// many alerts are kept per packet; the rest are dropped in priority order.
const DefaultPacketAlertMax = 15

// Config selects the engine settings a run uses. The zero value is
// Suricata 7's default configuration: default address and port variables,
// no midstream pickup, IDS (not inline) stream inspection, checksums
// validated, 15 alerts per packet.
type Config struct {
	// Vars overrides or adds rule variables by name without the "$"
	// (HOME_NET, HTTP_PORTS, ...). Variables not named here keep Suricata's
	// defaults.
	Vars map[string]string
	// Midstream lets TCP sessions be picked up without a three-way handshake
	// (stream.midstream=true).
	Midstream bool
	// Inline inspects stream data as it arrives instead of once it is
	// acknowledged (stream.inline=true).
	Inline bool
	// NoChecksum disables checksum validation (-k none).
	NoChecksum bool
	// PacketAlertMax caps the alerts kept per packet; 0 means
	// DefaultPacketAlertMax.
	PacketAlertMax int
	// Frames makes each Alert keep a copy of its packet's frame
	// (Alert.Frame), for EVE's optional ether and packet fields. Off by
	// default: a frame per alert adds up on large runs.
	Frames bool
	// Profile makes a scan count, per rule, its evaluations, matches,
	// alerts and time (Stats.Profile), as Suricata's rule profiling does.
	// It costs two clock reads per evaluated rule.
	Profile bool
}

// RuleProfile is one rule's share of a scan (Config.Profile).
type RuleProfile struct {
	SID, GID, Rev int
	Msg           string
	Checks        int64 // evaluations: candidates past the prefilter, ready
	Matches       int64 // evaluations that matched (before thresholds)
	Alerts        int64 // alerts emitted
	Time          time.Duration
}

// NotEvaluated names a rule the engine cannot evaluate faithfully and why.
// Such a rule never alerts: it neither silently passes nor silently fails,
// it is reported instead.
type NotEvaluated struct {
	SID, GID int
	Msg      string
	// Keywords lists the option names that are not supported, in source
	// order.
	Keywords []string
	Reason   string
}

// HTTPInfo is the http object of an EVE alert for rules that matched in an
// HTTP transaction (or on a flow whose app-proto is HTTP).
type HTTPInfo struct {
	Hostname    string
	URL         string
	UserAgent   string
	Method      string
	Protocol    string
	Status      int
	ContentType string
	Referer     string
	Length      int
}

// FlowInfo is the flow object of an EVE alert: the flow's counters as of
// the alerting packet (that packet included), as Suricata writes them.
type FlowInfo struct {
	PktsToServer  int
	PktsToClient  int
	BytesToServer int // frame bytes, link-layer header included
	BytesToClient int
	Start         time.Time // the flow's first packet
}

// Match locates one content or pcre match of the alerting rule, for
// highlighting: Data[Start:End] is the matched part of the named buffer.
type Match struct {
	// Buffer is the canonical Suricata 7 buffer name ("" = packet payload,
	// "stream" = reassembled stream data, "http.uri", ...).
	Buffer string
	// Data is a copy of the inspected buffer, owned by the Alert.
	Data       []byte
	Start, End int
}

// Alert is one alert event, as Suricata writes it to eve.json. An Alert
// passed to an emit callback is owned by the callee.
type Alert struct {
	Time     time.Time
	PcapCnt  int
	FlowID   uint64
	SrcIP    netip.Addr
	DstIP    netip.Addr
	SrcPort  uint16
	DstPort  uint16
	Proto    string // "TCP", "UDP", "ICMP", ... as in EVE
	AppProto string // "http" or ""
	Action   string // "allowed" as Suricata reports IDS-mode alerts
	GID      int
	SID      int
	Rev      int
	Msg      string
	Category string // classtype description
	Severity int    // priority
	// TxID is the transaction of a transaction alert (a rule using HTTP
	// buffers); -1 for packet and stream alerts, for which Suricata
	// writes no tx_id.
	TxID int
	// HTTP describes the transaction of a transaction alert, or for
	// other alerts on an HTTP flow the flow's latest transaction (Suricata
	// logs the app-layer of the flow for them too).
	HTTP *HTTPInfo
	// Flow is set when the alerting packet belongs to a flow.
	Flow *FlowInfo
	// VLAN lists the packet's VLAN ids, outermost first.
	VLAN []uint16
	// ICMPType and ICMPCode are the packet's ICMP header fields when
	// Proto is "ICMP" or "IPv6-ICMP".
	ICMPType, ICMPCode uint8
	// Frame is a copy of the alerting packet's captured frame, from the
	// link-layer header on, when Config.Frames is set (nil for flow-end
	// pseudo packets), and LinkType its pcap link type: EVE's optional
	// ether, packet and packet_info fields come from them.
	Frame    []byte
	LinkType int
	Matches  []Match
}

// Stats sums up one scan.
type Stats struct {
	Packets          int
	Bytes            int
	Flows            int
	HTTPTransactions int
	Alerts           int
	// PerSID counts alerts per signature id.
	PerSID map[int]int
	// Profile has one entry per evaluated rule, in evaluation order, when
	// Config.Profile is set; scans of one Engine add up index by index.
	Profile []RuleProfile
}

// Engine is a compiled rule set. It is immutable after Compile and safe for
// concurrent scans; each scan owns its own state.
type Engine struct {
	cfg     Config
	rules   []*rule
	txRules []*rule // the rules using HTTP buffers, in evaluation order
	notEval []NotEvaluated
	// flowbitNames maps a flowbit name to its index in per-flow bit sets.
	flowbitNames map[string]int
	// addrSets are the distinct address expressions of the rules;
	// addrIndex maps their text to their index (compile time only).
	addrSets  []*addrNode
	addrIndex map[string]int
	// pf is the multi-pattern prefilter over the rules' needed contents
	// (payload and one HTTP buffer per rule); nil without patterns.
	pf *prefilter.Prefilter
	// ipo pre-selects the content-less packet rules by address (see
	// buildPrefilter); they are never prefilter candidates. nil when none.
	ipo *iponly.Table
	// pfBufs are the prefilter buffer ids of the HTTP buffers with
	// patterns; pfPayload, pfPacket and pfNonTCP are those of the
	// payload rules' buckets (payloadBucket); -1 when empty.
	pfBufs                        []pfBuf
	pfPayload, pfPacket, pfNonTCP int
	// txGroups[d] groups the transaction rules with a prefilter pattern
	// by the progress they need in direction d (dirIdx); at most 64.
	txGroups [2][]txGroup
	// mixed[d] is set when some HTTP rule of direction d (dirIdx) also
	// has payload keywords, so the scan keeps that direction's stream
	// start for it. ET Open's are nearly all requests: the response
	// bodies, most of the bytes, need no copy.
	mixed [2]bool
}

// Compile turns parsed rules into an Engine. It never fails because of one
// rule: disabled rules are skipped and rules that cannot be evaluated are
// listed by NotEvaluated. It fails only when the configuration itself is
// unusable (for instance a variable that does not parse).
func Compile(rules []*sigparse.Rule, cfg Config) (*Engine, error) {
	return compile(rules, cfg)
}

// NotEvaluated lists the rules the engine does not evaluate, in input order.
func (e *Engine) NotEvaluated() []NotEvaluated {
	out := make([]NotEvaluated, len(e.notEval))
	copy(out, e.notEval)
	return out
}

// Rules reports how many rules are evaluated.
func (e *Engine) Rules() int { return len(e.rules) }

// ScanFile runs the engine over the capture at path (pcap or pcapng, gzip
// allowed), calling emit for each alert in capture order.
func (e *Engine) ScanFile(ctx context.Context, path string, emit func(*Alert)) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	return e.Scan(ctx, f, path, emit)
}

// Scan runs the engine over a capture read from r; name is used in errors.
// Alerts are passed to emit (which may be nil) in capture order. When the
// capture is damaged, the alerts of the packets before the damage are
// still emitted and the error names the file and packet number.
func (e *Engine) Scan(ctx context.Context, r io.Reader, name string, emit func(*Alert)) (Stats, error) {
	return e.scan(ctx, r, name, emit)
}

// RulePattern describes one evaluated rule for a multi-pattern prefilter.
type RulePattern struct {
	// Index is the rule's place in evaluation order (0-based).
	Index    int
	SID, GID int
	// Fast is the rule's fast pattern: the content marked fast_pattern,
	// else its longest positive content; nil when the rule has none, so a
	// prefilter must always keep it.
	Fast *Fast
	// Needs lists, per buffer the rule inspects, the longest positive
	// content that buffer must contain for the rule to match. Buffer ""
	// is the packet payload or stream.
	Needs []Fast
}

// RulePatterns lists the patterns of every evaluated rule, in evaluation
// order. Skipping a rule whose needed pattern is absent from its buffer
// does not change any verdict.
func (e *Engine) RulePatterns() []RulePattern {
	out := make([]RulePattern, len(e.rules))
	for i, r := range e.rules {
		rp := RulePattern{Index: i, SID: r.sid, GID: r.gid, Fast: r.fast}
		if len(r.payNeed) > 0 {
			rp.Needs = append(rp.Needs, Fast{Buffer: "", Pattern: r.payNeed, Nocase: r.payNeedFold})
		}
		for _, b := range r.bufs {
			// A transformed buffer is not the one a prefilter sees.
			if len(b.need) > 0 && len(b.transforms) == 0 {
				rp.Needs = append(rp.Needs, Fast{Buffer: b.name, Pattern: b.need, Nocase: b.needFold})
			}
		}
		out[i] = rp
	}
	return out
}
