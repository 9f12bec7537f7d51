package gu1

// knownVector is HMAC-SHA256("secret", `{"event":"kyc.validation_approved"}`) in hex, from openssl.
const knownVector = "44157eb4ca0face210e482f044776ea039bab652be8872cc9b03e646fe7d115b"
