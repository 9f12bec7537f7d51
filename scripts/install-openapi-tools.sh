#!/usr/bin/env bash
# Installs the outside tools that check the OpenAPI documents of openapi/ (Redocly CLI, Prism) from
# the npm registry, exactly as tools/openapi/package-lock.json pins them (every package's integrity
# hash), into .tools/openapi, and prints that directory: its node_modules/.bin holds redocly and prism.
#
# Idempotent: an install of the same lock file is used as it is. Exit 3 when it cannot install (npm
# missing, the registry unreachable, an integrity mismatch).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/tools/openapi"
dest="$root/.tools/openapi"
log() { printf 'install-openapi-tools: %s\n' "$*" >&2; }

command -v npm >/dev/null 2>&1 || { log "npm is needed (apt-get install npm)"; exit 3; }
want=$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)
if [ -x "$dest/node_modules/.bin/redocly" ] && [ -x "$dest/node_modules/.bin/prism" ] && [ "$(cat "$dest/lock.sha256" 2>/dev/null)" = "$want" ]; then
  printf '%s\n' "$dest"
  exit 0
fi
tmp="$dest.part"
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$src/package.json" "$src/package-lock.json" "$tmp/"
log "npm ci of tools/openapi/package-lock.json"
if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1); then
  log "npm ci failed: $(tail -n 3 "$tmp/npm.log" | tr '\n' ' ')"
  rm -rf "$tmp"
  exit 3
fi
printf '%s\n' "$want" >"$tmp/lock.sha256"
rm -rf "$dest"
mv "$tmp" "$dest"
log "installed $(cd "$dest" && node -e 'const l=require("./package-lock.json").packages;console.log(["@redocly/cli","@stoplight/prism-cli"].map(p=>p+"@"+l["node_modules/"+p].version).join(", "))') in $dest"
printf '%s\n' "$dest"
