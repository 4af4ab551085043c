//go:build linux

package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"syscall"
)

// hugeHeapBytes is how much of the heap's address space hugeHeap marks:
// more than loading ET Open and scanning with it use.
const hugeHeapBytes = 1 << 30

// hugeHeap asks Linux to back the Go heap with transparent huge pages
// when the system gives them only to memory that asks (THP mode
// "madvise", Ubuntu's default and this project's test machine's). Go's
// runtime does not ask, so every 4 KiB of a growing heap is a page fault:
// loading ET Open took ~68,000 of them (sys time, and on a VM nested page
// walks), ~5,000 with huge pages; CPU for the load fell by ~20-40 % and
// the scan's user time too, for ~5-50 MB more RSS (2 MiB granularity).
//
// It reserves a large span, marks it MADV_HUGEPAGE and frees it: the
// runtime hands out the lowest free addresses first, so the heap grows
// into the marked range (untouched until then, so it costs no memory).
// GODEBUG=disablethp=1 turns it off as it does for the runtime. Call it
// before the program has allocated much (see freshHeap).
func hugeHeap() {
	if !thpOnRequest() || strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") || !roomToReserve() || !freshHeap() {
		return
	}
	markHuge()
	runtime.GC() // frees the span for the heap to grow into
}

// freshHeap reports whether the heap has never freed memory (no GC cycle
// yet, no free pages): a large allocation is then new memory from the OS,
// which the runtime does not zero. On a used heap it could start over
// freed pages and be zeroed whole, touching the full gigabyte; hugeHeap
// then does nothing, which also makes it run at most once per process.
func freshHeap() bool {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() != metrics.KindUint64 || x.Value.Uint64() != 0 {
			return false
		}
	}
	return true
}

func markHuge() {
	b := make([]byte, hugeHeapBytes)
	// Best effort: without huge pages the heap works as before.
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
}

// roomToReserve reports whether reserving hugeHeapBytes of address space
// cannot fail: the Go runtime aborts when the heap cannot be mapped, so
// with an address-space limit or strict overcommit accounting
// (vm.overcommit_memory 2) hugeHeap does nothing.
func roomToReserve() bool {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil || lim.Cur != ^uint64(0) {
		return false
	}
	mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
	return err == nil && (bytes.HasPrefix(mode, []byte("0")) || bytes.HasPrefix(mode, []byte("1")))
}

// thpOnRequest reports whether transparent huge pages are in "madvise"
// mode: with "always" the heap already gets them, with "never" nothing can.
func thpOnRequest() bool {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && bytes.Contains(mode, []byte("[madvise]"))
}
