package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "TestX" }
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg += format
	for _, a := range args {
		if s, ok := a.(string); ok {
			r.msg += " " + s
		}
	}
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func TestCheck(t *testing.T) {
	if *update {
		t.Skip("Check's compare path is tested without -update")
	}
	dir := t.TempDir()
	text := filepath.Join(dir, "a.golden")
	if err := os.WriteFile(text, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "b.pcap")
	if err := os.WriteFile(bin, []byte{0xd4, 0xc3, 0xb2, 0xa1, 0xff}, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		got        []byte
		fail       bool
		msg        string
	}{
		{"text equal", text, []byte("one\ntwo\n"), false, ""},
		{"text differs", text, []byte("one\nthree\n"), true, "three"},
		{"binary equal", bin, []byte{0xd4, 0xc3, 0xb2, 0xa1, 0xff}, false, ""},
		{"binary differs", bin, []byte{0xd4, 0xc3, 0xb2, 0xa1, 0xfe}, true, "differs from byte %d"},
		{"missing", filepath.Join(dir, "none"), []byte("x"), true, "-update creates it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Check(r, tc.path, tc.got)
			if r.failed != tc.fail {
				t.Fatalf("failed = %v, want %v (%s)", r.failed, tc.fail, r.msg)
			}
			if !strings.Contains(r.msg, tc.msg) {
				t.Errorf("message %q lacks %q", r.msg, tc.msg)
			}
		})
	}
}

func TestCheckUpdate(t *testing.T) {
	old := *update
	*update = true
	defer func() { *update = old }()
	path := filepath.Join(t.TempDir(), "sub", "c.golden")
	Check(t, path, []byte("new\n"))
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new\n" {
		t.Fatalf("after -update: %q, %v", b, err)
	}
	Check(t, path, []byte("newer\n"))
	if b, _ := os.ReadFile(path); string(b) != "newer\n" {
		t.Fatalf("after second -update: %q", b)
	}
}
