// Package iponly looks up the rules that have no content and test only
// addresses (ET Open's tor, ciarmy, compromised, drop, dshield and botcc
// lists: about 1,200 rules with tens of thousands of addresses). Instead of
// evaluating each such rule's address lists on every packet, New flattens
// every rule's source and destination expressions into sorted ranges and
// sweeps them into one table per side: the address space cut at every
// range boundary, each piece pointing at the (shared) list of rules whose
// set covers it. A lookup is two binary searches plus, for rules
// restricted on both sides, a check of the other side for the rules of the
// shorter list; it does not allocate once its Scratch has grown.
//
// The address semantics are the matcher's (see Addr): a list is the union
// of its positive items minus its negated ones, IPv4-mapped IPv6 addresses
// count as IPv4, and a prefix never matches the other family.
package iponly
