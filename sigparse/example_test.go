package sigparse_test

import (
	"fmt"

	"github.com/sigtool/sigtool/sigparse"
)

func ExampleParseRule() {
	r, err := sigparse.ParseRule(`alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Kryptik Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; classtype:trojan-activity; sid:1000001; rev:1;)`, sigparse.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.SID(), r.Rev(), r.Msg())
	for _, c := range r.Contents() {
		fmt.Printf("%q in %s\n", c.Pattern, c.Buffer)
	}
	// Output:
	// 1000001 1 ET TROJAN Kryptik Checkin
	// "/imagedump/image.php" in http.uri
}

func ExampleParseFile() {
	src := []byte(`alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; reference:url,; classtype:trojan-activity; sid:x; rev:1;)
`)
	f, errs := sigparse.ParseFile("rules/local.rules", src, sigparse.Options{})
	for _, e := range errs {
		fmt.Println(e)
		fmt.Print(sigparse.Caret(e))
	}
	// The rule is kept, so lint can check the rest of it.
	fmt.Println(len(f.Rules), "rule,", f.Rules[0].Msg())
	// Output:
	// rules/local.rules:1:209: sid must be a positive integer, got "x"
	//   … hp"; http_uri; reference:url,; classtype:trojan-activity; sid:x; rev:1;)
	//                                                                   ^
	// 1 rule, ET TROJAN Win32/Kryptik.ABUD Checkin
}

func ExampleFormat() {
	r, _ := sigparse.ParseRule(`alert tcp any any -> any 80 (sid:1; rev:1; msg:"m"; content:"/a"; http_uri; nocase; content:"x=1"; http_client_body;)`, sigparse.Options{})
	canonical, _ := sigparse.Format(r, sigparse.FormatOptions{})
	fmt.Println(canonical)
	suricata, _ := sigparse.Format(r, sigparse.FormatOptions{To: sigparse.DialectSuricata})
	fmt.Println(suricata)
	// Output:
	// alert tcp any any -> any 80 (msg:"m"; content:"/a"; http_uri; nocase; content:"x=1"; http_client_body; sid:1; rev:1;)
	// alert tcp any any -> any 80 (msg:"m"; http.uri; content:"/a"; nocase; http.request_body; content:"x=1"; sid:1; rev:1;)
}
