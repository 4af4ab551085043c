//go:build linux

package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestHugeHeap: with THP in madvise mode, hugeHeap leaves a mapping of at
// least hugeHeapBytes marked for huge pages ("hg" in smaps' VmFlags).
func TestHugeHeap(t *testing.T) {
	if !thpOnRequest() {
		t.Skip("transparent huge pages are not in madvise mode here")
	}
	if strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
		t.Skip("GODEBUG=disablethp=1")
	}
	hugeHeap()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	var size int64 // of the current mapping, in kB
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 2 && fields[0] == "Size:":
			size, _ = strconv.ParseInt(fields[1], 10, 64)
		case len(fields) >= 1 && fields[0] == "VmFlags:":
			for _, fl := range fields[1:] {
				if fl == "hg" && size*1024 >= hugeHeapBytes {
					return
				}
			}
		}
	}
	t.Fatalf("no mapping of %d bytes or more is marked for huge pages", hugeHeapBytes)
}
