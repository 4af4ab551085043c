package rulesets

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// defaultAddressGroups and defaultPortGroups are the vars section of the
// suricata.yaml that Suricata 7 installs, in the order it lists them. They
// are functions, not package variables, so no caller can change the
// defaults another caller sees.
func defaultAddressGroups() [][2]string {
	return [][2]string{
		{"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
		{"EXTERNAL_NET", "!$HOME_NET"},
		{"HTTP_SERVERS", "$HOME_NET"},
		{"SMTP_SERVERS", "$HOME_NET"},
		{"SQL_SERVERS", "$HOME_NET"},
		{"DNS_SERVERS", "$HOME_NET"},
		{"TELNET_SERVERS", "$HOME_NET"},
		{"AIM_SERVERS", "$EXTERNAL_NET"},
		{"DC_SERVERS", "$HOME_NET"},
		{"DNP3_SERVER", "$HOME_NET"},
		{"DNP3_CLIENT", "$HOME_NET"},
		{"MODBUS_CLIENT", "$HOME_NET"},
		{"MODBUS_SERVER", "$HOME_NET"},
		{"ENIP_CLIENT", "$HOME_NET"},
		{"ENIP_SERVER", "$HOME_NET"},
	}
}

func defaultPortGroups() [][2]string {
	return [][2]string{
		{"HTTP_PORTS", "80"},
		{"SHELLCODE_PORTS", "!80"},
		{"ORACLE_PORTS", "1521"},
		{"SSH_PORTS", "22"},
		{"DNP3_PORTS", "20000"},
		{"MODBUS_PORTS", "502"},
		{"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
		{"FTP_PORTS", "21"},
		{"GENEVE_PORTS", "6081"},
		{"VXLAN_PORTS", "4789"},
		{"TEREDO_PORTS", "3544"},
	}
}

// DefaultAddressGroups returns the address variables of Suricata 7's default
// suricata.yaml (HOME_NET, EXTERNAL_NET, HTTP_SERVERS, ...), unexpanded:
// EXTERNAL_NET is "!$HOME_NET". The map is the caller's to change.
func DefaultAddressGroups() map[string]string { return toMap(defaultAddressGroups()) }

// DefaultPortGroups returns the port variables of Suricata 7's default
// suricata.yaml (HTTP_PORTS "80", SHELLCODE_PORTS "!80", ...), unexpanded.
func DefaultPortGroups() map[string]string { return toMap(defaultPortGroups()) }

// DefaultVars returns Suricata 7's default address and port variables in one
// map keyed by name without the "$". Values are as suricata.yaml writes them
// (they may refer to other variables); use Expand or ExpandAll to resolve
// them. The names of the two groups do not overlap. Each call returns a new
// map that the caller owns.
func DefaultVars() map[string]string {
	m := toMap(defaultAddressGroups())
	for _, kv := range defaultPortGroups() {
		m[kv[0]] = kv[1]
	}
	return m
}

// IsDefaultPortVar reports whether name is one of Suricata's default port
// groups, as opposed to an address group.
func IsDefaultPortVar(name string) bool {
	for _, kv := range defaultPortGroups() {
		if kv[0] == name {
			return true
		}
	}
	return false
}

func toMap(kvs [][2]string) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv[0]] = kv[1]
	}
	return m
}

// ParseVarOverride splits a command-line override "NAME=VALUE" (a leading
// "$" on NAME is accepted) and checks that NAME is a valid variable name.
func ParseVarOverride(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("variable override %q: want NAME=VALUE", s)
	}
	name = strings.TrimPrefix(strings.TrimSpace(name), "$")
	value = strings.TrimSpace(value)
	if !validVarName(name) {
		return "", "", fmt.Errorf("variable override %q: %q is not a variable name (letters, digits and _)", s, name)
	}
	if value == "" {
		return "", "", fmt.Errorf("variable override %q: empty value", s)
	}
	return name, value, nil
}

// ApplyOverrides sets each "NAME=VALUE" of overrides in vars, in order (a
// later override of the same name wins), and stops at the first malformed
// one.
func ApplyOverrides(vars map[string]string, overrides []string) error {
	for _, o := range overrides {
		name, value, err := ParseVarOverride(o)
		if err != nil {
			return err
		}
		vars[name] = value
	}
	return nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isVarByte(s[i]) {
			return false
		}
	}
	return true
}

func isVarByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// VarError reports a variable that cannot be expanded: one that is not
// defined, or one whose definition refers back to itself.
type VarError struct {
	// Name is the variable that failed.
	Name string
	// Chain is the path of references that led to it, outermost first; for
	// a cycle it starts and ends with the same name.
	Chain []string
	// Cycle is true for a self-referential definition, false for an
	// undefined variable.
	Cycle bool
}

func (e *VarError) Error() string {
	if e.Cycle {
		return fmt.Sprintf("variable $%s is defined in terms of itself: $%s", e.Name, strings.Join(e.Chain, " -> $"))
	}
	if len(e.Chain) > 1 {
		return fmt.Sprintf("undefined variable $%s (used by $%s)", e.Name, strings.Join(e.Chain[:len(e.Chain)-1], " -> $"))
	}
	return fmt.Sprintf("undefined variable $%s", e.Name)
}

// maxExpansion bounds the length of an expanded value, and maxRefs the
// number of references followed, so a definition that doubles at each
// level ("A: [$B,$B]", "B: [$C,$C]", ...) can exhaust neither memory nor
// time, even when the innermost value is empty.
const (
	maxExpansion = 1 << 20
	maxRefs      = 10000
)

// Expand replaces every $NAME in value with the fully expanded definition of
// NAME in vars, recursively, as Suricata does when it parses an address or
// port. It fails with a *VarError on an undefined or cyclic variable.
func Expand(vars map[string]string, value string) (string, error) {
	var b strings.Builder
	refs := 0
	if err := expandInto(&b, &refs, vars, value, nil); err != nil {
		return "", err
	}
	return b.String(), nil
}

func expandInto(b *strings.Builder, refs *int, vars map[string]string, value string, chain []string) error {
	for i := 0; i < len(value); {
		c := value[i]
		if c != '$' {
			b.WriteByte(c)
			i++
			continue
		}
		j := i + 1
		for j < len(value) && isVarByte(value[j]) {
			j++
		}
		name := value[i+1 : j]
		if name == "" {
			return fmt.Errorf("%q: \"$\" not followed by a variable name", value)
		}
		i = j
		if *refs++; *refs > maxRefs {
			return fmt.Errorf("variable $%s: more than %d nested references", name, maxRefs)
		}
		next := append(slices.Clip(chain), name)
		if slices.Contains(chain, name) {
			return &VarError{Name: name, Chain: next, Cycle: true}
		}
		def, ok := vars[name]
		if !ok {
			return &VarError{Name: name, Chain: next}
		}
		if err := expandInto(b, refs, vars, def, next); err != nil {
			return err
		}
		if b.Len() > maxExpansion {
			return fmt.Errorf("variable $%s expands to more than %d bytes", name, maxExpansion)
		}
	}
	return nil
}

// ExpandAll expands every variable of vars and returns a new map of the
// results. Variables that cannot be expanded are left out of the result and
// reported together, sorted by name.
func ExpandAll(vars map[string]string) (map[string]string, error) {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make(map[string]string, len(vars))
	var errs []error
	for _, n := range names {
		v, err := Expand(vars, "$"+n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[n] = v
	}
	return out, errors.Join(errs...)
}

// Refs returns the variable names value refers to directly, in order of
// first appearance, without the "$".
func Refs(value string) []string {
	var names []string
	for i := 0; i < len(value); i++ {
		if value[i] != '$' {
			continue
		}
		j := i + 1
		for j < len(value) && isVarByte(value[j]) {
			j++
		}
		if n := value[i+1 : j]; n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
		i = j - 1
	}
	return names
}
