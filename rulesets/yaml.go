package rulesets

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReadSuricataVars reads the vars section of a suricata.yaml (its
// address-groups and port-groups) and returns the variables it defines,
// keyed by name without the "$". Unquoted numbers (ORACLE_PORTS: 1521) are
// kept as written. The rest of the file is ignored, including include
// directives. A file with no vars section yields an empty map.
//
// Errors carry the file name and the line and column of the offending node.
func ReadSuricataVars(filename string, src []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, yamlError(filename, err)
	}
	out := map[string]string{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, nodeError(filename, root, "top level is not a mapping")
	}
	vars := mapValue(root, "vars")
	if vars == nil {
		return out, nil
	}
	if vars.Kind != yaml.MappingNode {
		return nil, nodeError(filename, vars, "vars is not a mapping")
	}
	for _, group := range []string{"address-groups", "port-groups"} {
		g := mapValue(vars, group)
		if g == nil {
			continue
		}
		if g.Kind != yaml.MappingNode {
			return nil, nodeError(filename, g, "vars."+group+" is not a mapping")
		}
		for i := 0; i+1 < len(g.Content); i += 2 {
			k, v := g.Content[i], g.Content[i+1]
			name := strings.TrimPrefix(k.Value, "$")
			if !validVarName(name) {
				return nil, nodeError(filename, k, fmt.Sprintf("%q is not a variable name", k.Value))
			}
			if v.Kind != yaml.ScalarNode {
				return nil, nodeError(filename, v, fmt.Sprintf("value of %s is not a string", name))
			}
			out[name] = strings.TrimSpace(v.Value)
		}
	}
	return out, nil
}

// yamlError turns yaml.v3's "yaml: line N: msg" into an *Error at line N,
// so it reads "file:N: msg" like every other error.
func yamlError(filename string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{Filename: filename, Msg: msg, Err: err}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if line, convErr := strconv.Atoi(n); convErr == nil {
				e.Line, e.Msg = line, after
			}
		}
	}
	return e
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func nodeError(filename string, n *yaml.Node, msg string) *Error {
	return &Error{Filename: filename, Line: n.Line, Column: n.Column, Msg: msg}
}
