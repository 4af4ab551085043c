package matcher_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/sigparse"
)

func compileText(t *testing.T, name, text string) *matcher.Engine {
	t.Helper()
	f, errs := sigparse.ParseFile(name, []byte(text), sigparse.Options{})
	if len(errs) > 0 {
		t.Fatalf("parse %s: %v", name, errs)
	}
	eng, err := matcher.Compile(f.Rules, matcher.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if ne := eng.NotEvaluated(); len(ne) > 0 {
		t.Fatalf("rules not evaluated: %+v", ne)
	}
	return eng
}

// TestKryptikBenign: the Kryptik rule stays quiet on every benign
// capture.
func TestKryptikBenign(t *testing.T) {
	root := sharedtest.Path(t, "corpus", "benign")
	eng := compileText(t, "kryptik.rules", strings.SplitN(kryptikRules, "\n", 2)[0]+"\n")
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			return err
		}
		n++
		st, err := eng.ScanFile(context.Background(), p, nil)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if st.Alerts != 0 {
			t.Errorf("%s: %d alerts, want 0", p, st.Alerts)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walked %d captures: %v", n, err)
	}
}

// TestMalwareCheckins: each check-in capture fires its rule once per
// check-in request (tshark counts 3 CryptoWall POSTs and 1 c2sock POST).
func TestMalwareCheckins(t *testing.T) {
	root := sharedtest.Path(t, "corpus", "malware-http")
	src, err := os.ReadFile(filepath.Join("testdata", "malware.rules"))
	if err != nil {
		t.Fatal(err)
	}
	eng := compileText(t, "malware.rules", string(src))
	for _, c := range []struct {
		file string
		sid  int
		want int
	}{
		{"cryptowall4_c2.pcap", 9000001, 3},
		{"cryptowall4_c2.pcapng", 9000001, 3},
		{"ctu-62604-80.pcap", 9000002, 1},
	} {
		st, err := eng.ScanFile(context.Background(), filepath.Join(root, c.file), nil)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if st.PerSID[c.sid] != c.want || st.Alerts != c.want {
			t.Errorf("%s: sid %d alerted %d times (%d alerts in all), want %d", c.file, c.sid, st.PerSID[c.sid], st.Alerts, c.want)
		}
	}
}

// TestConcurrentScans: one Engine, several scans at once, same answers
// (run with -race to check the engine is not written during scans).
func TestConcurrentScans(t *testing.T) {
	eng := compileText(t, "kryptik.rules", kryptikRules)
	pcaps, _ := filepath.Glob(filepath.Join("testdata", "cases", "*", "input.pcap"))
	if len(pcaps) == 0 {
		t.Fatal("no generated cases")
	}
	want := map[string]int{}
	for _, p := range pcaps {
		st, err := eng.ScanFile(context.Background(), p, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[p] = st.Alerts
	}
	errs := make(chan error, 4*len(pcaps))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		for _, p := range pcaps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := eng.ScanFile(context.Background(), p, nil)
				if err == nil && st.Alerts != want[p] {
					err = fmt.Errorf("%s: %d alerts, sequential scan gave %d", p, st.Alerts, want[p])
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
