#!/usr/bin/env bash
# Installs libpact_ffi (needed by pact-go v2 through cgo) without reaching the internet at large:
# the library ships in an npm package, so `npm pack` fetches it from the npm registry.
#
# Idempotent: a library already in .pact/lib, /usr/local/lib or /opt/pact/lib is used when its
# pactffi_version() is compatible (0.5.x, the line pact-go v2.7.0 is built against); nothing is downloaded.
# On success it writes the chosen directory to .pact/libdir and prints it. Exit 3 when it cannot install.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.pact/lib"
pkg="@pact-foundation/pact-core-linux-x64-glibc"
ver="20.2.0"
# sha256 of the npm tarball of $pkg@$ver, checked before anything is unpacked.
tgz_sha256="c55ddf9fe721e90591c6cecdef7f940a8e127a657473738552452a335cdb45d6"
want_major_minor="0.5"

log() { printf 'install-pact-ffi: %s\n' "$*" >&2; }
# shellcheck source=scripts/npm-fetch.sh
. "$root/scripts/npm-fetch.sh"

# lib_version DIR: prints pactffi_version() of DIR/libpact_ffi.so, or nothing.
lib_version() {
  local dir=$1 tmp
  [ -f "$dir/libpact_ffi.so" ] || return 0
  command -v cc >/dev/null 2>&1 || { log "no C compiler (cc) to check $dir/libpact_ffi.so"; return 0; }
  tmp=$(mktemp -d)
  printf '#include <stdio.h>\nconst char *pactffi_version(void);\nint main(void){puts(pactffi_version());return 0;}\n' >"$tmp/v.c"
  if cc "$tmp/v.c" -o "$tmp/v" -L"$dir" -lpact_ffi -Wl,-rpath,"$dir" 2>/dev/null; then
    "$tmp/v" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}

compatible() { case "$1" in "$want_major_minor".*) return 0 ;; *) return 1 ;; esac; }

use() {
  mkdir -p "$root/.pact"
  printf '%s\n' "$1" >"$root/.pact/libdir"
  printf '%s\n' "$1"
}

for dir in "$dest" /usr/local/lib /opt/pact/lib; do
  v=$(lib_version "$dir")
  if [ -n "$v" ]; then
    if compatible "$v"; then
      log "using libpact_ffi $v in $dir"
      use "$dir"
      exit 0
    fi
    log "ignoring libpact_ffi $v in $dir (want $want_major_minor.x)"
  fi
done

npm_fetch "$pkg" "$ver" "$tgz_sha256" package/prebuilds/linux-x64/libpact_ffi.so "$dest/libpact_ffi.so" || exit 3
v=$(lib_version "$dest")
if ! compatible "$v"; then
  log "installed library reports version '${v:-unknown}', want $want_major_minor.x"
  exit 3
fi
log "installed libpact_ffi $v in $dest"
use "$dest"
