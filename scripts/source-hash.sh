#!/usr/bin/env bash
# source-hash.sh DIR: one SHA-256 over every file the CLI is built from (Go sources, go.mod/go.sum and
# everything embedded: features, schemas, pacts, the catalogue), names included, so that a binary kept
# under it is never one of other sources. Build output, caches and installed tools are left out.
set -euo pipefail
if [[ $# -ne 1 || "$1" == -h || "$1" == --help ]]; then
	echo "usage: scripts/source-hash.sh DIR   (prints the hash of the sources under DIR)" >&2
	exit 2
fi
cd "$1"
find . \( -name .git -o -name .pact -o -name .tools -o -name dist -o -name bin -o -name reports -o -name node_modules \) -prune \
	-o -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.feature' -o -name '*.json' -o -name '*.tmpl' -o -name '*.md' -o -name '*.pem' \) -print |
	LC_ALL=C sort | while IFS= read -r f; do printf '%s ' "$f"; sha256sum <"$f"; done | sha256sum | cut -c1-16
