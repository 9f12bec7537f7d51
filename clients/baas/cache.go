package baas

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"sync"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
)

// signatures and verifications count the ES512 signatures this package made and really verified (the
// memo's misses): P-521 is most of a run's CPU, and a benchmark weighs a run's share of it (Work).
var signatures, verifications atomic.Int64

// Work returns how many ES512 signatures this process has made and verified through this package.
func Work() (signed, verified int64) { return signatures.Load(), verifications.Load() }

// sign is every ES512 signature this package makes.
func sign(claims jwt.Claims, key *ecdsa.PrivateKey) (string, error) {
	signatures.Add(1)
	return jwt.NewWithClaims(jwt.SigningMethodES512, claims).SignedString(key)
}

// The process shares what P-521 makes expensive: a PEM key is parsed once (a run parsed the fixture key
// again for every scenario), and a token is verified against a key once: the verdict of a signature
// depends on nothing else, so a second check of the same token with the same key reads the first one's
// result. The claims are still judged every time (freshness, method, URI, body).
var (
	privateKeys = newMemo[*ecdsa.PrivateKey](64)
	publicKeys  = newMemo[*ecdsa.PublicKey](64)
	verified    = newMemo[verdict](4096)
)

// verdict is the outcome of one signature check: the claims it read, or why it failed.
type verdict struct {
	claims any
	err    error
}

type verifyKey struct {
	pub   *ecdsa.PublicKey
	token [sha256.Size]byte
}

// memo is a bounded map: past max entries the oldest goes.
type memo[V any] struct {
	mu    sync.Mutex
	max   int
	m     map[any]V
	order []any
}

func newMemo[V any](max int) *memo[V] { return &memo[V]{max: max, m: map[any]V{}} }

func (c *memo[V]) get(k any) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// load returns the value under k, made by make on a miss (outside the lock: a P-521 check takes
// milliseconds). A value is kept only when make succeeds.
func (c *memo[V]) load(k any, make func() (V, error)) (V, error) {
	if v, ok := c.get(k); ok {
		return v, nil
	}
	v, err := make()
	if err == nil {
		c.put(k, v)
	}
	return v, err
}

func (c *memo[V]) put(k any, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok {
		c.order = append(c.order, k)
	}
	c.m[k] = v
	for len(c.order) > c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

// pemKey is the memo key of a PEM text.
func pemKey(b []byte) [sha256.Size]byte { return sha256.Sum256(b) }

// verifyOnce runs check (a signature verification of token with pub) once per token and key.
func verifyOnce(pub *ecdsa.PublicKey, token string, check func() (any, error)) (any, error) {
	v, _ := verified.load(verifyKey{pub: pub, token: sha256.Sum256([]byte(token))}, func() (verdict, error) {
		verifications.Add(1)
		claims, err := check()
		return verdict{claims: claims, err: err}, nil // a failed check is a verdict too, and is kept
	})
	return v.claims, v.err
}
