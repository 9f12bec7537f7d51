package schema

import (
	"io"
	"mime"
	"strings"
)

// MaxAnswerBody is the most of an answer the harness reads, after any decompression, in a run and in
// verify alike. An answer over it is a failure naming the limit, never judged on what fitted.
const MaxAnswerBody = 8 << 20

// ReadAnswer reads at most MaxAnswerBody bytes of an answer (it reads one more, to know); over says
// there was more than that.
func ReadAnswer(r io.Reader) (body []byte, over bool, err error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxAnswerBody+1))
	if len(b) > MaxAnswerBody {
		return b[:MaxAnswerBody], true, err
	}
	return b, false, err
}

// IsJSON tells whether a Content-Type declares JSON: application/json or a +json type.
func IsJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
