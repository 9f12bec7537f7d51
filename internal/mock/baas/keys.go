package baas

// The fixture API client of the mock (BAAS-16). The key pair was made for this harness with OpenSSL
// (P-521) and guards nothing: it lets the harness sign its requests to the mock as a real client signs
// them to QI Tech. A run against a sandbox uses the credentials of conformance.yaml instead.
const (
	APIClientKey = "conformance-api-client-key"

	FixturePrivateKeyPEM = `-----BEGIN EC PRIVATE KEY-----
MIHcAgEBBEIBJFC7Fs9HNCkSzBxvqugfQCaQ+t7HHLqHblBolgjcewMZdomksRe3
UOGAOKjtbl5Rc7W/HdzvKiZ0vbSJoeaw27mgBwYFK4EEACOhgYkDgYYABADEKu9j
KOwQxqInAvPBT4+Jpv1P6jvgG5AL0Qk0GKnqwGDEHQygub3EV44aNECG303Yqk1/
sWdjiOznpp6M9YkRJQBMyUhWKYQW2TAA6hYOa1FpcpKWso1+42bvaviupFMBbZdQ
RqV0J4NcbSXEjHuhwMHFYosioljaD7KVO3/B3t0LEA==
-----END EC PRIVATE KEY-----
`
	FixturePublicKeyPEM = `-----BEGIN PUBLIC KEY-----
MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQAxCrvYyjsEMaiJwLzwU+Piab9T+o7
4BuQC9EJNBip6sBgxB0MoLm9xFeOGjRAht9N2KpNf7FnY4js56aejPWJESUATMlI
VimEFtkwAOoWDmtRaXKSlrKNfuNm72r4rqRTAW2XUEaldCeDXG0lxIx7ocDBxWKL
IqJY2g+ylTt/wd7dCxA=
-----END PUBLIC KEY-----
`
)
