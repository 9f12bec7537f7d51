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
# shellcheck source=scripts/npm-fetch.sh
. "$root/scripts/npm-fetch.sh"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  log "only linux x64 is pinned ($pkg); this is $(uname -s)-$(uname -m)"
  exit 3
fi
if [ -x "$dest/pact" ] && [ "$(cat "$dest/version" 2>/dev/null)" = "$ver" ]; then
  printf '%s\n' "$dest/pact"
  exit 0
fi
npm_fetch "$pkg" "$ver" "$tgz_sha256" package/standalone/pact "$dest/pact" || exit 3
printf '%s\n' "$ver" >"$dest/version"
log "installed pact $ver in $dest"
printf '%s\n' "$dest/pact"
