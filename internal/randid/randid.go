// Package randid makes the random identifiers the mocks hand out and the fixtures use: UUIDs (v4),
// Pomelo-style "prefix-<alphanumerics>", hex and digit strings. crypto/rand, so concurrent scenarios
// never collide in practice.
package randid

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func pick(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// UUID returns a random (version 4) UUID.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Prefixed returns prefix-<n letters and digits>, the shape of Pomelo ids (usr-…, ses-…).
func Prefixed(prefix string, n int) string { return prefix + "-" + pick(alnum, n) }

// Hex returns 2n lower-case hex digits.
func Hex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Digits returns n decimal digits (leading zeros included).
func Digits(n int) string { return pick("0123456789", n) }
