//go:build !linux

package main

// hugeHeap is a no-op outside Linux (see hugeheap_linux.go).
func hugeHeap() {}
