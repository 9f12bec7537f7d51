package pomelo

// knownVector is base64(HMAC-SHA256("key", "1700000000/hooks{}")), from openssl.
const knownVector = "UHFrBDITfNaUHjwRk0WNQrD2zDCjdIt53FPdMyVW48Q="
