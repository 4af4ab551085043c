package rulesets

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Class is one classification (classtype) from a classification.config:
// "config classification: trojan-activity,A Network Trojan was detected,1".
type Class struct {
	Name        string
	Description string
	// Priority is the alert priority a rule gets from its classtype unless
	// it sets priority itself (1 is the most severe).
	Priority int
}

// Classifications is a set of classtypes in file order. Lookup ignores
// case, as Suricata's classtype table does. A Classifications is read-only
// after it is built and safe for concurrent use.
type Classifications struct {
	classes []Class
	byName  map[string]int // lower-cased name -> index in classes
}

// NewClassifications builds a set from classes; a later class with the same
// name (ignoring case) replaces an earlier one, as a later line of
// classification.config does in Suricata.
func NewClassifications(classes []Class) *Classifications {
	c := &Classifications{byName: make(map[string]int, len(classes))}
	for _, cl := range classes {
		c.add(cl)
	}
	return c
}

func (c *Classifications) add(cl Class) {
	k := strings.ToLower(cl.Name)
	if i, ok := c.byName[k]; ok {
		c.classes[i] = cl
		return
	}
	c.byName[k] = len(c.classes)
	c.classes = append(c.classes, cl)
}

// Lookup returns the class named name, ignoring case.
func (c *Classifications) Lookup(name string) (Class, bool) {
	if c == nil {
		return Class{}, false
	}
	i, ok := c.byName[strings.ToLower(name)]
	if !ok {
		return Class{}, false
	}
	return c.classes[i], true
}

// All returns the classes in file order; the slice is the caller's.
func (c *Classifications) All() []Class {
	if c == nil {
		return nil
	}
	return append([]Class(nil), c.classes...)
}

// Len reports the number of classes.
func (c *Classifications) Len() int {
	if c == nil {
		return 0
	}
	return len(c.classes)
}

// DefaultClassifications returns the classtypes of the classification.config
// that Suricata 7 ships (etc/classification.config), which is also what
// suricata-update installs with ET Open. Each call builds a new set.
func DefaultClassifications() *Classifications {
	return NewClassifications([]Class{
		{"not-suspicious", "Not Suspicious Traffic", 3},
		{"unknown", "Unknown Traffic", 3},
		{"bad-unknown", "Potentially Bad Traffic", 2},
		{"attempted-recon", "Attempted Information Leak", 2},
		{"successful-recon-limited", "Information Leak", 2},
		{"successful-recon-largescale", "Large Scale Information Leak", 2},
		{"attempted-dos", "Attempted Denial of Service", 2},
		{"successful-dos", "Denial of Service", 2},
		{"attempted-user", "Attempted User Privilege Gain", 1},
		{"unsuccessful-user", "Unsuccessful User Privilege Gain", 1},
		{"successful-user", "Successful User Privilege Gain", 1},
		{"attempted-admin", "Attempted Administrator Privilege Gain", 1},
		{"successful-admin", "Successful Administrator Privilege Gain", 1},
		{"rpc-portmap-decode", "Decode of an RPC Query", 2},
		{"shellcode-detect", "Executable code was detected", 1},
		{"string-detect", "A suspicious string was detected", 3},
		{"suspicious-filename-detect", "A suspicious filename was detected", 2},
		{"suspicious-login", "An attempted login using a suspicious username was detected", 2},
		{"system-call-detect", "A system call was detected", 2},
		{"tcp-connection", "A TCP connection was detected", 4},
		{"trojan-activity", "A Network Trojan was detected", 1},
		{"unusual-client-port-connection", "A client was using an unusual port", 2},
		{"network-scan", "Detection of a Network Scan", 3},
		{"denial-of-service", "Detection of a Denial of Service Attack", 2},
		{"non-standard-protocol", "Detection of a non-standard protocol or event", 2},
		{"protocol-command-decode", "Generic Protocol Command Decode", 3},
		{"web-application-activity", "access to a potentially vulnerable web application", 2},
		{"web-application-attack", "Web Application Attack", 1},
		{"misc-activity", "Misc activity", 3},
		{"misc-attack", "Misc Attack", 2},
		{"icmp-event", "Generic ICMP event", 3},
		{"inappropriate-content", "Inappropriate Content was Detected", 1},
		{"policy-violation", "Potential Corporate Privacy Violation", 1},
		{"default-login-attempt", "Attempt to login by a default username and password", 2},
		{"targeted-activity", "Targeted Malicious Activity was Detected", 1},
		{"exploit-kit", "Exploit Kit Activity Detected", 1},
		{"external-ip-check", "Device Retrieving External IP Address Detected", 2},
		{"domain-c2", "Domain Observed Used for C2 Detected", 1},
		{"pup-activity", "Possibly Unwanted Program Detected", 2},
		{"credential-theft", "Successful Credential Theft Detected", 1},
		{"social-engineering", "Possible Social Engineering Attempted", 2},
		{"coin-mining", "Crypto Currency Mining Activity Detected", 2},
		{"command-and-control", "Malware Command and Control Activity Detected", 1},
	})
}

// ParseClassifications reads a classification.config. Each non-blank line
// that is not a "#" comment must be
//
//	config classification: NAME,DESCRIPTION,PRIORITY
//
// where NAME starts with a letter and holds letters, digits, "-" and "_",
// DESCRIPTION may itself contain commas (the last comma ends it, as in
// Suricata's regular expression) and PRIORITY is a non-negative integer.
// Every bad line is reported (as *Error values joined with errors.Join), and
// the good lines are still returned.
func ParseClassifications(filename string, src []byte) (*Classifications, error) {
	c := NewClassifications(nil)
	var errs errorList
	eachConfigLine(src, func(lineNo int, line string) {
		rest, col, ok := cutConfigPrefix(line, "classification")
		if !ok {
			errs.add(filename, lineNo, firstNonSpace(line), `want "config classification: NAME,DESCRIPTION,PRIORITY"`)
			return
		}
		name, desc, prio, err := splitClass(rest)
		if err != "" {
			errs.add(filename, lineNo, col, err)
			return
		}
		c.add(Class{Name: name, Description: desc, Priority: prio})
	})
	return c, errs.err()
}

func splitClass(s string) (name, desc string, prio int, msg string) {
	first := strings.IndexByte(s, ',')
	last := strings.LastIndexByte(s, ',')
	if first < 0 || first == last {
		return "", "", 0, "want NAME,DESCRIPTION,PRIORITY"
	}
	name = strings.TrimSpace(s[:first])
	desc = strings.TrimSpace(s[first+1 : last])
	p := strings.TrimSpace(s[last+1:])
	if !validClassName(name) {
		return "", "", 0, fmt.Sprintf("classification name %q must start with a letter and hold only letters, digits, - and _", name)
	}
	if desc == "" {
		return "", "", 0, "empty classification description"
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 {
		return "", "", 0, fmt.Sprintf("classification priority %q is not a non-negative integer", p)
	}
	return name, desc, n, ""
}

func validClassName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isVarByte(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// eachConfigLine calls fn with every line of src that is neither blank nor a
// "#" comment, with its 1-based number. A trailing "\r" is dropped.
func eachConfigLine(src []byte, fn func(lineNo int, line string)) {
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), len(src)+1)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		fn(n, line)
	}
}

// cutConfigPrefix strips "config KIND:" (any spacing) from line and returns
// the rest with its 1-based column.
func cutConfigPrefix(line, kind string) (rest string, col int, ok bool) {
	i := firstNonSpace(line) - 1
	s := line[i:]
	if !strings.HasPrefix(s, "config") {
		return "", 0, false
	}
	j := len("config")
	k := j
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k == j || !strings.HasPrefix(s[k:], kind) {
		return "", 0, false
	}
	k += len(kind)
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k >= len(s) || s[k] != ':' {
		return "", 0, false
	}
	k++
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	return s[k:], i + k + 1, true
}

func firstNonSpace(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] != ' ' && line[i] != '\t' {
			return i + 1
		}
	}
	return 1
}

// errorList gathers *Error values for a whole file.
type errorList []error

func (l *errorList) add(filename string, line, col int, msg string) {
	*l = append(*l, &Error{Filename: filename, Line: line, Column: col, Msg: msg})
}

func (l errorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return joinedErrors(l)
}

// joinedErrors prints one error per line like errors.Join, and lets
// callers get at each *Error through Unwrap() []error.
type joinedErrors []error

func (j joinedErrors) Error() string {
	var b strings.Builder
	for i, e := range j {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (j joinedErrors) Unwrap() []error { return j }
