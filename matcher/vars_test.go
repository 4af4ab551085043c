package matcher

import (
	"net/netip"
	"testing"

	"github.com/sigtool/sigtool/sigparse"
)

// TestVariableValues resolves header variables whose values use the whole
// address and port syntax (lists, nesting, negation, netmasks, open ranges,
// other variables), as read by sigparse.ParseAddr and ParsePort.
func TestVariableValues(t *testing.T) {
	r := newResolver(map[string]string{
		"NETS":     "[10.0.0.0/255.0.0.0, !10.1.0.0/16, [192.0.2.1]]",
		"NOT_NETS": "!$NETS",
		"WEB":      "[80,8000:8080]",
		"LOW":      ":1023",
		"NOT_WEB":  "![$WEB,443]",
	})
	addrs := []struct {
		expr string
		ip   string
		want bool
	}{
		{"$NETS", "10.2.3.4", true},
		{"$NETS", "10.1.2.3", false},
		{"$NETS", "192.0.2.1", true},
		{"$NETS", "192.0.2.2", false},
		{"$NOT_NETS", "10.1.2.3", true},
		{"$NOT_NETS", "10.2.3.4", false},
		{"!$NETS", "8.8.8.8", true},
		{"$HOME_NET", "172.20.0.1", true}, // Suricata's default, from rulesets
		{"$EXTERNAL_NET", "172.20.0.1", false},
		{"$EXTERNAL_NET", "8.8.8.8", true},
	}
	for _, c := range addrs {
		a, err := sigparse.ParseAddr(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		n, err := r.addr(a, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := n.match(netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("%s matches %s = %v, want %v", c.expr, c.ip, got, c.want)
		}
	}
	ports := []struct {
		expr string
		port uint16
		want bool
	}{
		{"$WEB", 80, true},
		{"$WEB", 8042, true},
		{"$WEB", 81, false},
		{"$LOW", 0, true},
		{"$LOW", 1023, true},
		{"$LOW", 1024, false},
		{"$NOT_WEB", 443, false},
		{"$NOT_WEB", 8080, false},
		{"$NOT_WEB", 22, true},
	}
	for _, c := range ports {
		p, err := sigparse.ParsePort(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		n, err := r.port(p, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := n.match(c.port); got != c.want {
			t.Errorf("%s matches %d = %v, want %v", c.expr, c.port, got, c.want)
		}
	}
	for _, bad := range []string{"[10.0.0.0/8", "10.0.0.300", "$UNDEFINED"} {
		a, err := sigparse.ParseAddr("$BAD")
		if err != nil {
			t.Fatal(err)
		}
		br := newResolver(map[string]string{"BAD": bad})
		if _, err := br.addr(a, 0); err == nil {
			t.Errorf("variable value %q resolved without error", bad)
		}
	}
	loop := newResolver(map[string]string{"A": "$B", "B": "[$A]"})
	a, _ := sigparse.ParseAddr("$A")
	if _, err := loop.addr(a, 0); err == nil {
		t.Error("cyclic variables resolved without error")
	}
}
