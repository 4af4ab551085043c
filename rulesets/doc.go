// Package rulesets loads rule files and directories, address and port
// variables, classification.config and reference.config, and enables or
// disables rules.
package rulesets
