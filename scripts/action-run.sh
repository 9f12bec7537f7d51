#!/usr/bin/env bash
# The composite action's step (action.yml): builds the CLI from the action's source (pure Go, no cgo),
# runs the suite with the action's inputs (INPUT_*), writes the exit code to GITHUB_OUTPUT and exits
# with it, so the job gates on the verdict. The run itself appends the job summary (GITHUB_STEP_SUMMARY).
set -euo pipefail

src=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
# The CLI is built once per version of the action's sources and kept under their hash: a second run
# (the same job, or another one with action.yml's cache restored) reaches its verdict without compiling.
hash=${CONFORMANCE_SOURCE_HASH:-$("$src/scripts/source-hash.sh" "$src")}
bin=${CONFORMANCE_BIN_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/conformance-action}/$hash/conformance
if [ -x "$bin" ]; then
  echo "conformance action: reusing the CLI built from these sources ($hash)" >&2
else
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && CGO_ENABLED=0 go build -o "$bin.tmp" ./cmd/conformance) && mv "$bin.tmp" "$bin"
fi

args=(run --target "${INPUT_TARGET:-mock}")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
[ -n "${INPUT_TAGS:-}" ] && args+=(--tags "$INPUT_TAGS")
if [ -n "${INPUT_MIN_COVERAGE:-}" ]; then
  IFS=',' read -r -a mins <<<"$INPUT_MIN_COVERAGE"
  for m in "${mins[@]}"; do args+=(--min-coverage "$(echo "$m" | tr -d '[:space:]')"); done
fi
case "${INPUT_FAIL_ON_SKIPPED:-false}" in
  true) args+=(--fail-on-skipped) ;;
  false | "") ;;
  *) echo "conformance action: fail-on-skipped: want true or false, got '$INPUT_FAIL_ON_SKIPPED'" >&2; exit 2 ;;
esac
[ -n "${INPUT_JUNIT:-}" ] && args+=(--junit "$INPUT_JUNIT")
[ -n "${INPUT_HTML:-}" ] && args+=(--html "$INPUT_HTML")
[ -n "${INPUT_REPORT_JSON:-}" ] && args+=(--report-json "$INPUT_REPORT_JSON")
if [ -n "${INPUT_ARGS:-}" ]; then
  while IFS= read -r line; do
    [ -n "$line" ] && args+=("$line")
  done <<<"$INPUT_ARGS"
fi

code=0
"$bin" "${args[@]}" || code=$?
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$code" >>"$GITHUB_OUTPUT"
fi
exit "$code"
