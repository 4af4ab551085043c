package http1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAgainstNetHTTP serializes requests and responses with net/http (a
// real, independent HTTP implementation), parses the bytes here, and
// compares what both read: method, target, every header, body.
func TestAgainstNetHTTP(t *testing.T) {
	type exchange struct {
		method, url string
		header      http.Header
		body        string
		chunked     bool
		status      int
		respHeader  http.Header
		respBody    string
		respChunked bool
	}
	for _, ex := range []exchange{
		{method: "GET", url: "http://www.example.com/a/b?c=d", header: http.Header{"User-Agent": {"curl/8.0"}, "Accept": {"*/*"}}, status: 200, respHeader: http.Header{"Content-Type": {"text/plain"}}, respBody: "hello"},
		{method: "POST", url: "http://h.example/submit", header: http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}}, body: `{"k":"v"}`, status: 201, respBody: "created"},
		{method: "PUT", url: "http://h.example/upload", body: strings.Repeat("0123456789", 500), chunked: true, status: 204},
		{method: "GET", url: "http://h.example/stream", status: 200, respBody: strings.Repeat("chunk!", 1000), respChunked: true, respHeader: http.Header{"Set-Cookie": {"a=1", "b=2"}}},
		{method: "DELETE", url: "http://h.example/x%20y/%7Euser", header: http.Header{"Cookie": {"s=1"}}, status: 404, respBody: "nope"},
	} {
		t.Run(ex.method+" "+ex.url, func(t *testing.T) {
			var body io.Reader
			if ex.body != "" {
				body = strings.NewReader(ex.body)
			}
			req, err := http.NewRequest(ex.method, ex.url, body)
			require.NoError(t, err)
			for k, v := range ex.header {
				req.Header[k] = v
			}
			if ex.chunked {
				req.ContentLength = -1
				req.Body = io.NopCloser(strings.NewReader(ex.body))
			}
			var rq bytes.Buffer
			require.NoError(t, req.Write(&rq))

			resp := &http.Response{StatusCode: ex.status, ProtoMajor: 1, ProtoMinor: 1, Header: ex.respHeader, Request: req,
				Body: io.NopCloser(strings.NewReader(ex.respBody)), ContentLength: int64(len(ex.respBody))}
			if resp.Header == nil {
				resp.Header = http.Header{}
			}
			if ex.respChunked {
				resp.ContentLength = -1
			}
			var rs bytes.Buffer
			require.NoError(t, resp.Write(&rs))

			txs := parse(rq.String(), rs.String())
			require.Len(t, txs, 1, snapshot(txs))
			tx := txs[0]
			assert.Equal(t, done, tx.Progress())

			// net/http reads the same bytes back: compare field by field.
			back, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(rq.Bytes())))
			require.NoError(t, err)
			assert.Equal(t, back.Method, string(tx.Method()))
			assert.Equal(t, back.RequestURI, string(tx.RawURI()))
			assert.Equal(t, back.Proto, string(tx.Protocol()))
			for name, vals := range back.Header {
				got, ok := tx.RequestHeader(name)
				assert.True(t, ok, name)
				assert.Equal(t, strings.Join(vals, ", "), string(got), name)
			}
			wantBody, _ := io.ReadAll(back.Body)
			assert.Equal(t, string(wantBody), string(tx.RequestBody()))
			host, _ := tx.Hostname()
			assert.Equal(t, strings.ToLower(back.Host), string(host))

			rback, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(rs.Bytes())), back)
			require.NoError(t, err)
			assert.Equal(t, rback.StatusCode, tx.StatusCode())
			for name, vals := range rback.Header {
				got, ok := tx.ResponseHeader(name)
				assert.True(t, ok, name)
				assert.Equal(t, strings.Join(vals, ", "), string(got), name)
			}
			wantResp, _ := io.ReadAll(rback.Body)
			assert.Equal(t, string(wantResp), string(tx.ResponseBody()))
		})
	}
}
