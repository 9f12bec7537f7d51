#!/usr/bin/env bash
# check-archives.sh DIST: every release archive GoReleaser wrote holds what README says it holds (the
# binary, README.md, schemas/report.schema.json), the binary runs on this machine when it is this
# machine's (it prints its version), and checksums.txt lists every archive with its real SHA-256.
set -euo pipefail
if [[ $# -ne 1 || "$1" == -h || "$1" == --help ]]; then
	echo "usage: scripts/check-archives.sh DIST   (the folder 'goreleaser release --snapshot' wrote)" >&2
	exit 2
fi
dist=$1
shopt -s nullglob
archives=("$dist"/*.tar.gz "$dist"/*.zip)
want=(linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 windows_arm64 linux_amd64_static linux_arm64_static)
fail=0
for w in "${want[@]}"; do
	found=
	for a in "${archives[@]}"; do
		case "$a" in *_"$w".tar.gz | *_"$w".zip) found=$a ;; esac
	done
	if [[ -z "$found" ]]; then
		echo "check-archives: no archive for $w in $dist" >&2
		fail=1
	fi
done
for a in "${archives[@]}"; do
	case "$a" in
	*.zip) list=$(unzip -Z1 "$a") ;;
	*) list=$(tar -tzf "$a") ;;
	esac
	bin=conformance
	[[ "$a" == *windows* ]] && bin=conformance.exe
	for f in "$bin" README.md schemas/report.schema.json; do
		if ! grep -qx "$f" <<<"$list"; then
			echo "check-archives: $(basename "$a") lacks $f (it holds: $(tr '\n' ' ' <<<"$list"))" >&2
			fail=1
		fi
	done
	sum=$(sha256sum "$a" | cut -d' ' -f1)
	if ! grep -q "^$sum  $(basename "$a")\$" "$dist/checksums.txt"; then
		echo "check-archives: checksums.txt does not list $(basename "$a") with its SHA-256 $sum" >&2
		fail=1
	fi
done
host="$(go env GOOS)_$(go env GOARCH)"
for a in "$dist"/*_"$host".tar.gz "$dist"/*_"$host"_static.tar.gz; do
	tmp=$(mktemp -d)
	tar -xzf "$a" -C "$tmp"
	if ! out=$("$tmp/conformance" version 2>&1); then
		echo "check-archives: $(basename "$a"): conformance version failed: $out" >&2
		fail=1
	else
		echo "check-archives: $(basename "$a"): $out"
	fi
	rm -rf "$tmp"
done
if [[ $fail -ne 0 ]]; then
	exit 1
fi
echo "check-archives: ${#archives[@]} archives hold the binary, README.md and schemas/report.schema.json; checksums match"
