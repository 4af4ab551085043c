// Package export turns rules into an Emerging Threats submission bundle and
// into iptables and nftables rules, and applies the latter through a small
// Firewall interface.
package export
