package lint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sigtool/sigtool/sigparse"
)

// FuzzCheck: whatever the parser makes of the input, Check and every
// writer finish without panicking, and every diagnostic points into the
// file.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(goodRule))
	if src, err := os.ReadFile(filepath.Join("testdata", "golden.rules")); err == nil {
		for _, line := range strings.Split(string(src), "\n") {
			f.Add([]byte(line))
		}
		f.Add(src)
	}
	f.Add([]byte("alert tcp any any -> any any (content:\"a\"; within:0; distance:0; depth:0; fast_pattern:9,9; bsize:<>; urilen:0<>1;)"))
	f.Add([]byte("alert http any any -> any any (msg:\"\xff\xfe\"; http.uri; content:\"|00|\"; fast_pattern; content:\"x\"; fast_pattern; fast_pattern:only; sid:1;)"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, _ := sigparse.ParseFile("f.rules", src, sigparse.Options{})
		res := Check([]*sigparse.File{file}, Options{Style: StyleET})
		nLines := bytes.Count(src, []byte("\n")) + 1
		for _, d := range res.Diagnostics {
			if d.Line < 1 || d.Line > nLines || d.Column < 1 || d.EndColumn <= d.Column {
				t.Fatalf("diagnostic out of the file: %+v", d)
			}
		}
		var b bytes.Buffer
		if err := res.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if err := res.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if err := res.WriteSARIF(&b, SARIFOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

// Check only reads the files: many Checks over the same files at once
// agree (run with -race to see data races).
func TestCheckConcurrent(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "golden.rules"))
	if err != nil {
		t.Fatal(err)
	}
	file, _ := sigparse.ParseFile("golden.rules", src, sigparse.Options{})
	want := Check([]*sigparse.File{file}, Options{Style: StyleET})
	var wg sync.WaitGroup
	results := make([]*Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = Check([]*sigparse.File{file}, Options{Style: StyleET})
		}()
	}
	wg.Wait()
	for _, got := range results {
		if len(got.Diagnostics) != len(want.Diagnostics) || got.Summary != want.Summary {
			t.Fatalf("concurrent Check differs: %+v vs %+v", got.Summary, want.Summary)
		}
	}
}
