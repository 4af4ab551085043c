//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// hugeHeapChild makes the test binary run hugeHeap on its fresh heap and
// report, instead of running the tests (see TestHugeHeap).
const hugeHeapChild = "SIGTOOL_TEST_HUGEHEAP_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(hugeHeapChild) != "" {
		hugeHeap()
		hugeHeap() // a second call must do nothing (the heap is used now)
		fmt.Println(hugeHeapReport())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestHugeHeap runs hugeHeap first thing in a fresh process, as sigtool
// test does: a mapping of at least hugeHeapBytes must be marked for huge
// pages ("hg" in smaps' VmFlags) and the process must not have touched
// it (resident memory stays small).
func TestHugeHeap(t *testing.T) {
	if !thpOnRequest() {
		t.Skip("transparent huge pages are not in madvise mode here")
	}
	if !roomToReserve() {
		t.Skip("address-space limit or strict overcommit: hugeHeap stands down")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), hugeHeapChild+"=1", "GODEBUG=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var marked bool
	var rssKB int64
	if _, err := fmt.Sscanf(string(out), "marked=%t rss_kb=%d", &marked, &rssKB); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	if !marked {
		t.Errorf("no mapping of %d bytes or more is marked for huge pages", hugeHeapBytes)
	}
	if rssKB > 256<<10 {
		t.Errorf("resident memory after hugeHeap is %d kB: the reserved span was touched", rssKB)
	}
}

// hugeHeapReport reads /proc/self/smaps: whether a mapping of at least
// hugeHeapBytes has the "hg" flag, and the resident set size.
func hugeHeapReport() string {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	marked := false
	var size, rss int64 // kB
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "Size:":
			size, _ = strconv.ParseInt(fields[1], 10, 64)
		case "Rss:":
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			rss += n
		case "VmFlags:":
			for _, fl := range fields[1:] {
				if fl == "hg" && size*1024 >= hugeHeapBytes {
					marked = true
				}
			}
		}
	}
	return fmt.Sprintf("marked=%t rss_kb=%d", marked, rss)
}
