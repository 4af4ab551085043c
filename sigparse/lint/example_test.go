package lint_test

import (
	"fmt"
	"os"

	"github.com/sigtool/sigtool/sigparse"
	"github.com/sigtool/sigtool/sigparse/lint"
)

func ExampleCheck() {
	src := []byte(`alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Kryptik Checkin"; flow:established,to_server; http.uri; content:"/imagedump/image.php"; classtype:trojan-activity; sid:1000001;)` + "\n")
	f, _ := sigparse.ParseFile("local.rules", src, sigparse.Options{})
	res := lint.Check([]*sigparse.File{f}, lint.Options{Style: lint.StyleET})
	for _, d := range res.Diagnostics {
		fmt.Printf("%d:%d %s %s\n", d.Line, d.Column, d.Severity, d.Code)
	}
	fmt.Println(res.SummaryLine(), "failed:", res.Failed())
	// Output:
	// 1:1 warning et-metadata-missing
	// 1:1 warning rev-missing
	// 1:52 warning et-msg-prefix
	// 0 errors, 3 warnings in 1 file (1 rule) failed: false
}

func ExampleResult_WriteText() {
	src := []byte(`alert tcp any any -> any any (msg:"x"; content:"ab"; depth:1; flow:established; sid:1; rev:1;)` + "\n")
	f, _ := sigparse.ParseFile("local.rules", src, sigparse.Options{})
	lint.Check([]*sigparse.File{f}, lint.Options{}).WriteText(os.Stdout)
	// Output:
	// local.rules:1:48: warning: the longest content is 2 bytes long; fast patterns under 4 bytes pre-match too often [fast-pattern-short]
	//   alert tcp any any -> any any (msg:"x"; content:"ab"; depth:1; flow:estab …
	//                                                  ^
	// local.rules:1:54: error: depth:1 is smaller than the 2-byte content "ab" [content-cannot-fit]
	//   …  tcp any any -> any any (msg:"x"; content:"ab"; depth:1; flow:establishe …
	//                                                     ^
}
