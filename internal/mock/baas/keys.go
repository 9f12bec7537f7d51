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

// The mock's own key pair as the provider (BAAS-17): with the string_to_sign scheme QI signs its answers,
// so the mock signs each answer's encoded_body and Authorization with this key. Made for the harness with
// OpenSSL (P-521); it guards nothing. The public half is served at GET /__control/public_key.
const (
	ProviderPrivateKeyPEM = `-----BEGIN EC PRIVATE KEY-----
MIHcAgEBBEIB1AU7YLq2/a8iuzGCXdw5fua6NzTdnkzip7ThLJR35TS3QPRQ/oVu
PI3oGbUqMaUTyJffb8xRZQOumPh2+Svm89igBwYFK4EEACOhgYkDgYYABAFAB05S
Ob3TM9XaQGc3Ak8d6uwvuA1oGet/9GPTl8ZEsvGvSPr4DGPpoSwdz/sXaTXFTBwi
zoMEQx6fizd4WLVRPQGg/P5bhoC2nvlZ23PLFHFDZNFEuX+GLAA0vF3Wqjj0Qpi9
sI8cFMBsQu+DVAUTIjqp0OpC87s5Z/qvK21m3JVORA==
-----END EC PRIVATE KEY-----
`
	ProviderPublicKeyPEM = `-----BEGIN PUBLIC KEY-----
MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQBQAdOUjm90zPV2kBnNwJPHersL7gN
aBnrf/Rj05fGRLLxr0j6+Axj6aEsHc/7F2k1xUwcIs6DBEMen4s3eFi1UT0BoPz+
W4aAtp75WdtzyxRxQ2TRRLl/hiwANLxd1qo49EKYvbCPHBTAbELvg1QFEyI6qdDq
QvO7OWf6ryttZtyVTkQ=
-----END PUBLIC KEY-----
`
)
