#!/usr/bin/env bash
# Installs libpact_ffi 0.5.8 (what `conformance verify` loads at run time, and what pact-go v2's consumer
# tests link through cgo) without reaching the internet at large: the library ships in an npm package
# per platform, which `npm pack` fetches from the npm registry.
#
# Platforms: linux x64 and arm64 (glibc or musl), darwin x64 and arm64, windows x64, each package
# pinned by the sha256 of its tarball. The platform is detected (uname, and musl by its loader); set
# PACT_FFI_PLATFORM (for example linux-arm64-musl) to choose it, and `--plan` prints what would be
# fetched without fetching.
#
# Idempotent: a library already in .pact/lib from the pinned package is used as it is; one in
# /usr/local/lib or /opt/pact/lib is used when its pactffi_version() is 0.5.x (checked with a C compiler,
# where there is one). On success it writes the chosen directory to .pact/libdir and prints it. Exit 3
# when it cannot install, 2 for an unknown platform name.
set -euo pipefail

case "${1:-}" in
-h | --help)
  # The header above is the help: print it without the shebang and the comment marks.
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
  ;;
"" | --plan) ;;
*)
  printf 'install-pact-ffi: unknown argument %q (want --plan or --help)\n' "$1" >&2
  exit 2
  ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.pact/lib"
ver="20.2.0" # @pact-foundation/pact-core-<platform>@20.2.0 carries libpact_ffi 0.5.8
want_major_minor="0.5"

log() { printf 'install-pact-ffi: %s\n' "$*" >&2; }
# shellcheck source=scripts/npm-fetch.sh
. "$root/scripts/npm-fetch.sh"

detect_platform() {
  local os arch libc=glibc
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
    *) os=$(uname -s) ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  if [ "$os" = linux ]; then
    if ls /lib/ld-musl-* >/dev/null 2>&1 || { ldd --version 2>&1 | grep -qi musl; }; then libc=musl; fi
    printf '%s-%s-%s\n' "$os" "$arch" "$libc"
  else
    printf '%s-%s\n' "$os" "$arch"
  fi
}

platform=${PACT_FFI_PLATFORM:-$(detect_platform)}
# Per platform: the tarball's sha256, the library's path in it, and the name it is installed under
# (the name `conformance verify` and the cgo linker look for).
case "$platform" in
  linux-x64-glibc) sha=c55ddf9fe721e90591c6cecdef7f940a8e127a657473738552452a335cdb45d6 member=package/prebuilds/linux-x64/libpact_ffi.so name=libpact_ffi.so ;;
  linux-x64-musl) sha=7dce569def1310e3ae81ea5f919d4ec7adfbf417686f49a1830fc3cac88751f7 member=package/prebuilds/linux-x64/libpact_ffi_musl.so name=libpact_ffi.so ;;
  linux-arm64-glibc) sha=463e65973c065bd1f2062f099050096bb1351dab8dcd4530bb25aca3b88c26e3 member=package/prebuilds/linux-arm64/libpact_ffi.so name=libpact_ffi.so ;;
  linux-arm64-musl) sha=374c61a33fd3da229a464d01d78e3b7ab5a7936865f5bfb0aa7b24d2ea6db734 member=package/prebuilds/linux-arm64/libpact_ffi_musl.so name=libpact_ffi.so ;;
  darwin-x64) sha=9fe30df7febaca851753c6f99fa6a99bf66dc64cd02dd82fab731e0ecd078588 member=package/prebuilds/darwin-x64/libpact_ffi.dylib name=libpact_ffi.dylib ;;
  darwin-arm64) sha=c64fa4cb334de3511a27b9346da26d7315674dcabbd241d7fc72f61d7d237dc8 member=package/prebuilds/darwin-arm64/libpact_ffi.dylib name=libpact_ffi.dylib ;;
  windows-x64) sha=237239076148657dc866eff0d22da32fae879c7da06c64cf2ed9d7d525237073 member=package/prebuilds/win32-x64/pact_ffi.dll name=pact_ffi.dll ;;
  *)
    log "no pinned libpact_ffi for platform '$platform' (known: linux-x64-glibc linux-x64-musl linux-arm64-glibc linux-arm64-musl darwin-x64 darwin-arm64 windows-x64)"
    exit 2
    ;;
esac
pkg="@pact-foundation/pact-core-$platform"
stamp="$pkg@$ver $sha"

if [ "${1:-}" = "--plan" ]; then
  printf 'platform %s\npackage %s@%s\nsha256 %s\nmember %s\ninstall %s/%s\n' "$platform" "$pkg" "$ver" "$sha" "$member" "$dest" "$name"
  exit 0
fi

# lib_version DIR: prints pactffi_version() of DIR/$name, or nothing (no library, or no C compiler).
lib_version() {
  local dir=$1 tmp
  [ -f "$dir/$name" ] || return 0
  command -v cc >/dev/null 2>&1 || { log "no C compiler (cc) to check $dir/$name"; return 0; }
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

if [ -f "$dest/$name" ] && [ "$(cat "$dest/.stamp" 2>/dev/null)" = "$stamp" ]; then
  use "$dest"
  exit 0
fi
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

npm_fetch "$pkg" "$ver" "$sha" "$member" "$dest/$name" || exit 3
printf '%s\n' "$stamp" >"$dest/.stamp"
v=$(lib_version "$dest")
if [ -n "$v" ] && ! compatible "$v"; then
  log "installed library reports version '$v', want $want_major_minor.x"
  exit 3
fi
log "installed libpact_ffi ${v:-(version not checked: no C compiler)} from $pkg@$ver in $dest"
use "$dest"
