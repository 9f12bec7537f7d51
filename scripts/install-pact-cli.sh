#!/usr/bin/env bash
# Installs the standalone Rust `pact` CLI (mock server, verifier, broker client) from the npm registry
# into .pact/cli/pact and prints its path. The project's tests run its verifier against
# `conformance mock` through the mock's provider-state URL, as a client team would with its own pacts.
#
# Idempotent: an installed binary of the pinned version is used as it is. Exit 3 when it cannot
# install (npm missing, the registry unreachable, a checksum mismatch, or a platform the package is not
# built for: only linux x64 is pinned here).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.pact/cli"
pkg="@pact-foundation/pact-cli-linux-x64"
ver="18.1.2"
# sha256 of the npm tarball of $pkg@$ver, checked before anything is unpacked.
tgz_sha256="fdc1bdd7e4e3183bcc5c269c379d5b93a51317095ccba6b98b17914b996bf782"

log() { printf 'install-pact-cli: %s\n' "$*" >&2; }

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  log "only linux x64 is pinned ($pkg); this is $(uname -s)-$(uname -m)"
  exit 3
fi
if [ -x "$dest/pact" ] && [ "$(cat "$dest/version" 2>/dev/null)" = "$ver" ]; then
  printf '%s\n' "$dest/pact"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { log "npm is needed to fetch $pkg@$ver (apt-get install npm)"; exit 3; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log "fetching $pkg@$ver from the npm registry"
if ! (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null 2>"$tmp/npm.err"); then
  log "npm pack failed: $(tail -n 3 "$tmp/npm.err" | tr '\n' ' ')"
  exit 3
fi
tgz=$(ls "$tmp"/*.tgz)
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$tgz_sha256" ]; then
  log "checksum mismatch for $(basename "$tgz"): got $got, want $tgz_sha256"
  exit 3
fi
tar -xzf "$tgz" -C "$tmp" package/standalone/pact
mkdir -p "$dest"
# Write beside, then rename: an interrupted install never leaves a half-written binary.
cp "$tmp/package/standalone/pact" "$dest/pact.part"
chmod 0755 "$dest/pact.part"
mv -f "$dest/pact.part" "$dest/pact"
printf '%s\n' "$ver" >"$dest/version"
log "installed pact $ver in $dest"
printf '%s\n' "$dest/pact"
